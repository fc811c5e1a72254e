/**
 * A local cluster started by the extension: `<python> -m ipyparallel.cluster start -n N --cluster-id=…`
 * in its own process group, with its log piped to ours. Node only (no `vscode`).
 *
 * ipcluster starts the controller and engines in sessions of their own (start_new_session), so they do
 * not die with its group: stop() sends SIGINT, which makes ipcluster stop them cleanly, and only if it
 * does not exit in time kills it and the pids recorded in cluster-<id>.json. Windows cannot send SIGINT
 * to another process: there stop() runs `ipcluster stop` for the cluster id instead, and the forced kill
 * is `taskkill /T /F` (core/platform.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Emitter } from '../core/event';
import { gracefulStopSignal, killProcessTree } from '../core/platform';
import type { Logger } from '../core/log';
import { connectionFilePath, defaultIpythonDir } from '../core/protocol/discovery';
import { isPidAlive } from '../core/protocol/clusterRecords';
import { redact } from '../core/redact';
import { restartAllEnginesArgs, restartResult, runPython, tail } from './ipcluster';
import { l10n } from './l10n';

/**
 * ipcluster tears the whole cluster down when its engines stop within this time of their start
 * (IPClusterStart.early_shutdown, 30 s in 7.1 and 9.x), and logs ENGINES_SETTLED when it has passed: a
 * restart of all engines waits for that line (or, if ipcluster's log level hides it, this time plus a margin
 * for the engines' launch after the controller's).
 */
export const EARLY_SHUTDOWN_MS = 30_000;
const ENGINES_SETTLED = 'Engines appear to have started successfully';
const LAUNCH_MARGIN_MS = 15_000;

export interface LocalClusterOptions {
  python: string;
  engines: number;
  profile?: string;
  ipythonDir?: string;
  /** Default: a fresh `vscode-<time>` id, so an old connection file is never mistaken for ours. */
  clusterId?: string;
  /** More `ipcluster start` arguments (the engine launcher and its options). */
  extraArgs?: string[];
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the connection file (default 60 s). */
  startTimeoutMs?: number;
  /** How to stop and kill (default: this machine's); tests inject 'win32' to run the Windows stop. */
  platform?: NodeJS.Platform;
  signal?: AbortSignal;
}

export class LocalClusterError extends Error {
  readonly code = 'ERR_LOCAL_CLUSTER';
  constructor(message: string) {
    super(message);
    this.name = 'LocalClusterError';
  }
}

/** The arguments after the interpreter. */
export function ipclusterArgs(o: Pick<LocalClusterOptions, 'engines' | 'profile' | 'ipythonDir' | 'extraArgs'> & { clusterId: string }): string[] {
  return ['-m', 'ipyparallel.cluster', 'start', `--n=${o.engines}`, ...clusterSelector(o), ...(o.extraArgs ?? [])];
}

/** The arguments after the interpreter that stop the cluster cleanly (where no SIGINT can be sent). */
export function ipclusterStopArgs(o: Pick<LocalClusterOptions, 'profile' | 'ipythonDir'> & { clusterId: string }): string[] {
  return ['-m', 'ipyparallel.cluster', 'stop', ...clusterSelector(o)];
}

function clusterSelector(o: Pick<LocalClusterOptions, 'profile' | 'ipythonDir'> & { clusterId: string }): string[] {
  const args = [`--cluster-id=${o.clusterId}`];
  if (o.profile && o.profile !== 'default') args.push(`--profile=${o.profile}`);
  if (o.ipythonDir) args.push(`--ipython-dir=${o.ipythonDir}`);
  return args;
}

/** The process runs ipyparallel (its command line names it); true where that cannot be read (not Linux). */
function isIpyparallelProcess(pid: number): boolean {
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return process.platform !== 'linux';
  }
  return /ipyparallel|ipengine|ipcontroller/.test(cmd);
}

export class LocalCluster {
  readonly #child: ChildProcess;
  readonly #tail: string[] = [];
  #exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** stop() asked ipcluster to stop (an exit before that is ipcluster's own decision). */
  #stopAsked = false;
  readonly #startedAt = Date.now();
  /** ipcluster logged that its early-shutdown window has passed. */
  #settled = false;
  readonly #onSettled = new Emitter<void>();
  readonly #onDidExit = new Emitter<{ code: number | null; signal: NodeJS.Signals | null }>();
  /** ipcluster exited (on stop() or on its own). */
  readonly onDidExit = this.#onDidExit.event;

  private constructor(
    readonly clusterId: string,
    readonly connectionFile: string,
    readonly engines: number,
    child: ChildProcess,
    private readonly log: Logger,
    /** How stop() asks ipcluster to stop where no signal can be sent (`ipcluster stop` for this cluster). */
    private readonly how: { platform: NodeJS.Platform; python: string; stopArgs: string[]; env?: NodeJS.ProcessEnv },
  ) {
    this.#child = child;
    const onData = (d: Buffer) => {
      for (const line of redact(d.toString('utf8')).split('\n')) {
        if (!line.trim()) continue;
        if (!this.#settled && line.includes(ENGINES_SETTLED)) {
          this.#settled = true;
          this.#onSettled.fire();
        }
        this.#tail.push(line);
        if (this.#tail.length > 20) this.#tail.shift();
        this.log.debug(`[ipcluster] ${line}`);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code, signal) => {
      this.#exited = { code, signal };
      const how = signal ?? `code ${code}`;
      // ipcluster stops the cluster by itself when its engines end (early_shutdown), and removes their log
      // files as it goes: its own last lines (which quote the engines' output) are then the only trace.
      if (this.#stopAsked) this.log.info(`ipcluster (pid ${child.pid}) exited with ${how}`);
      else this.log.warn(`ipcluster (pid ${child.pid}) exited on its own with ${how}; its last lines:\n${this.tail}`);
      this.#onDidExit.fire(this.#exited);
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }
  get running(): boolean {
    return this.#exited === undefined;
  }
  /** The last lines ipcluster printed (for error messages). */
  get tail(): string {
    return this.#tail.join('\n');
  }

  /** Starts ipcluster and resolves once its client connection file is written. */
  static async start(o: LocalClusterOptions): Promise<LocalCluster> {
    const clusterId = o.clusterId ?? `vscode-${Date.now().toString(36)}`;
    const ipythonDir = o.ipythonDir || defaultIpythonDir(o.env ?? process.env);
    const file = connectionFilePath(ipythonDir, o.profile || 'default', clusterId);
    const args = ipclusterArgs({ ...o, clusterId });
    o.log.info(`starting local cluster: ${o.python} ${args.join(' ')}`);
    const child = spawn(o.python, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: o.env ?? process.env,
      windowsHide: true,
    });
    const how = { platform: o.platform ?? process.platform, python: o.python, stopArgs: ipclusterStopArgs({ ...o, clusterId }), env: o.env };
    const cluster = new LocalCluster(clusterId, file, o.engines, child, o.log, how);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    try {
      await cluster.#waitForFile(o.startTimeoutMs ?? 60000, spawnError, o.signal);
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  async #waitForFile(timeoutMs: number, spawnError: Promise<Error>, signal?: AbortSignal): Promise<void> {
    const started = Date.now();
    let failed: Error | undefined;
    spawnError.then((e) => (failed = e));
    for (;;) {
      if (failed) throw new LocalClusterError(l10n.t('could not start ipcluster: {0}', failed.message));
      if (this.#exited) {
        throw new LocalClusterError(
          l10n.t('ipcluster exited ({0}) before writing {1}.\n{2}', this.#exited.signal ?? l10n.t('code {0}', String(this.#exited.code)), this.connectionFile, this.tail),
        );
      }
      if (signal?.aborted) throw new LocalClusterError(l10n.t('cancelled'));
      if (existsSync(this.connectionFile)) {
        try {
          const content = readFileSync(this.connectionFile, 'utf8');
          if (statSync(this.connectionFile).size > 0 && JSON.parse(content).key !== undefined) return;
        } catch {
          // being written: try again
        }
      }
      if (Date.now() - started > timeoutMs) {
        throw new LocalClusterError(l10n.t('ipcluster did not write {0} within {1} s.\n{2}', this.connectionFile, Math.round(timeoutMs / 1000), this.tail));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The profile directory of the cluster (its connection file is in `<profileDir>/security`). */
  get profileDir(): string {
    return dirname(dirname(this.connectionFile));
  }

  /**
   * Restarts every engine: stops them all with the cluster's launcher and starts `want` new ones in the
   * same cluster (new processes, new engine ids, empty namespaces). Within ipcluster's early-shutdown
   * window after the start it first waits, or ipcluster would take the stop for a failed start and tear
   * the cluster down. Resolves with the number of engines started.
   */
  async restartEngines(want = this.engines, timeoutMs = 120_000): Promise<number> {
    if (this.#exited) throw new LocalClusterError(l10n.t('The cluster {0} is not running: start it again.', this.clusterId));
    await this.#engineStartSettled();
    this.log.info(`restarting all engines of ${this.clusterId}: ${want} new engines`);
    const r = await runPython(this.how.python, restartAllEnginesArgs(this, want), timeoutMs, this.how.env);
    const result = restartResult(r.stdout);
    if (r.code !== 0 || !result) {
      throw new LocalClusterError(l10n.t('Restarting the engines of {0} failed ({1}):\n{2}', this.clusterId, r.code ?? l10n.t('timed out'), redact(tail(r.stderr || r.stdout))));
    }
    return result.started;
  }

  /** Resolves once ipcluster's early-shutdown window is over (its log line, else the time plus a margin). */
  async #engineStartSettled(): Promise<void> {
    const wait = this.#startedAt + EARLY_SHUTDOWN_MS + LAUNCH_MARGIN_MS - Date.now();
    if (this.#settled || wait <= 0) return;
    this.log.info(`waiting up to ${Math.ceil(wait / 1000)} s for ipcluster's early-shutdown window to pass before restarting the engines of ${this.clusterId}`);
    let timer: NodeJS.Timeout | undefined;
    let sub: { dispose(): void } | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, wait);
      sub = this.#onSettled.event(() => resolve());
    });
    clearTimeout(timer);
    sub?.dispose();
  }

  /** Stops the cluster: SIGINT to ipcluster (Windows: `ipcluster stop`), then force after `timeoutMs`. Resolves when it is gone. */
  async stop(timeoutMs = 20000): Promise<void> {
    const pid = this.#child.pid;
    if (pid === undefined || this.#exited) return;
    const exited = new Promise<void>((resolve) => (this.#exited ? resolve() : this.#child.once('exit', () => resolve())));
    // Engines started into this cluster by another process (Add Engines, Restart Engines) are in the record
    // but not in ipcluster's memory: it leaves them running. Read them before it removes the record.
    const recorded = this.#recordedPids();
    this.#stopAsked = true;
    if (!this.#askToStop(pid, timeoutMs)) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!timedOut) return this.#endLeftovers(recorded, timeoutMs);
    this.log.warn(`ipcluster (pid ${pid}) did not stop within ${timeoutMs} ms: killing it and its processes`);
    const platform = this.how.platform;
    const pids = this.#recordedPids();
    killProcessTree(pid, 'SIGKILL', platform);
    // The controller and each engine lead their own process group (start_new_session): kill the groups,
    // or the process alone if it leads none (on Windows taskkill /T takes the process and its children).
    for (const p of pids) {
      if (killProcessTree(p, 'SIGKILL', platform) || platform === 'win32') continue;
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
  }

  /**
   * SIGTERM to the recorded engines and controller still running after ipcluster stopped (ipengine stops
   * cleanly on it), SIGKILL to those left after `timeoutMs`. Only ipyparallel's own processes: a pid is
   * checked against its command line first (Linux), so a reused pid is never signalled.
   */
  async #endLeftovers(pids: number[], timeoutMs: number): Promise<void> {
    const left = pids.filter((p) => isPidAlive(p) && isIpyparallelProcess(p));
    if (left.length === 0) return;
    this.log.info(`ipcluster left processes ${left.join(', ')} of the cluster running (engines started by another process): stopping them`);
    const signal = (sig: NodeJS.Signals) => {
      for (const p of left.filter(isPidAlive)) {
        try {
          process.kill(p, sig);
        } catch {
          // gone meanwhile
        }
      }
    };
    signal('SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (left.some(isPidAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    signal('SIGKILL');
  }

  /** SIGINT to ipcluster, or where none can be sent `ipcluster stop` (bounded by timeoutMs); false when ipcluster is gone. */
  #askToStop(pid: number, timeoutMs: number): boolean {
    const signal = gracefulStopSignal(this.how.platform);
    if (signal) {
      try {
        process.kill(pid, signal);
        return true;
      } catch {
        return false;
      }
    }
    const { python, stopArgs, env } = this.how;
    this.log.info(`stopping local cluster: ${python} ${stopArgs.join(' ')}`);
    const stopper = spawn(python, stopArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, windowsHide: true, timeout: timeoutMs });
    const log = (d: Buffer) => this.log.debug(`[ipcluster stop] ${redact(d.toString('utf8')).trim()}`);
    stopper.stdout?.on('data', log);
    stopper.stderr?.on('data', log);
    stopper.on('error', (e) => this.log.warn(`ipcluster stop did not run: ${e.message}`));
    return true;
  }

  /** Controller and engine pids from `cluster-<id>.json`. */
  #recordedPids(): number[] {
    try {
      const state = JSON.parse(readFileSync(join(dirname(this.connectionFile), `cluster-${this.clusterId}.json`), 'utf8'));
      const pids: number[] = [];
      const add = (p: unknown) => typeof p === 'number' && pids.push(p);
      add(state?.controller?.state?.pid);
      for (const set of Object.values<{ engines?: Record<string, { pid?: unknown }> }>(state?.engines?.sets ?? {})) {
        for (const e of Object.values(set.engines ?? {})) add(e.pid);
      }
      return pids;
    } catch {
      return [];
    }
  }

  dispose(): void {
    this.#onDidExit.dispose();
    this.#onSettled.dispose();
  }
}
