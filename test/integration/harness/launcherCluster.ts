// `ipcluster start --engines=<launcher>` (MPI, Slurm, ...) in a fresh IPYTHONDIR, as HPC users start it,
// stopped the way ipyparallel stops it (`ipcluster stop`) or killed by pid to leave a stale record behind.
// TestCluster (cluster.ts) covers local engines in depth; this one only starts, reports its processes and stops.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionFilePath, profileDir } from '../../../src/core/protocol';
import { clusterStateFile, waitForConnectionFiles } from './clusterFiles';
import { logTails, redact } from './files';
import { HubProbe } from './hubProbe';
import { checkIpyparallel, ippEnv, versionUnderTest, type IppVersion } from './ippVersion';
import { installLastResort, live } from './lastResort';
import { descendants, killNow, pollUntil, ProcRef, terminate } from './procs';
import { findIpyparallelPython } from './python';
import { exitDescription, spawnPython, type Spawned } from './spawn';

export interface LauncherClusterOptions {
  /** ipcluster's --engines: 'mpi', 'slurm', 'local', ... */
  launcher: string;
  engines?: number;
  clusterId?: string;
  /** Extra environment for ipcluster and everything it starts (IPYTHONDIR is always the temp dir). */
  env?: Record<string, string>;
  /** More `ipcluster start` arguments. */
  args?: string[];
  python?: string;
  /** '7' or '9' (the vendored 9.x on PYTHONPATH); default IPP_VERSION_UNDER_TEST, as TestCluster. */
  ippVersion?: IppVersion;
  /** Deadline for the connection file and the engines' registration. Default 90 s. */
  startTimeoutMs?: number;
  /** Wait until the Hub lists every engine (default), or only for the connection files. */
  waitForEngines?: boolean;
}

/** A cluster started by `ipcluster start --engines=<launcher>`, ipcluster in the foreground as our child. */
export class LauncherCluster {
  readonly python: string;
  /** The ipyparallel version the cluster runs, checked before the start (e.g. "7.1.0", "9.2.0.dev0"). */
  readonly ippVersion: string;
  readonly ipythonDir: string;
  readonly profileDir: string;
  readonly clusterId: string;
  readonly connectionFile: string;
  readonly recordFile: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #tracked = new Map<string, ProcRef>();
  readonly #keys = new Set<string>();
  #ipcluster: Spawned | undefined;
  #disposed = false;

  private constructor(readonly opts: LauncherClusterOptions) {
    this.python = opts.python ?? findIpyparallelPython();
    const wanted = opts.ippVersion ?? versionUnderTest();
    this.#env = { ...process.env, ...ippEnv(wanted), ...(opts.env ?? {}) };
    this.ippVersion = checkIpyparallel(this.python, this.#env, wanted).version;
    this.clusterId = opts.clusterId ?? '';
    this.ipythonDir = mkdtempSync(join(tmpdir(), `ipp-${opts.launcher}-`));
    this.profileDir = profileDir(this.ipythonDir, 'default');
    this.connectionFile = connectionFilePath(this.ipythonDir, 'default', this.clusterId);
    this.recordFile = clusterStateFile(this.profileDir, this.clusterId);
    mkdirSync(join(this.ipythonDir, 'harness-logs'), { recursive: true });
    this.#env.IPYTHONDIR = this.ipythonDir;
  }

  /** Starts ipcluster and resolves once the Hub lists every engine (see waitForEngines). Cleans up and throws with the logs otherwise. */
  static async start(opts: LauncherClusterOptions): Promise<LauncherCluster> {
    const c = new LauncherCluster(opts);
    live.add(c);
    installLastResort();
    const n = opts.engines ?? 2;
    const deadline = Date.now() + (opts.startTimeoutMs ?? 90_000);
    try {
      c.#ipcluster = c.#spawn(
        ['-m', 'ipyparallel.cluster', 'start', '-n', String(n), `--engines=${opts.launcher}`, `--profile-dir=${c.profileDir}`, `--cluster-id=${c.clusterId}`, '--ip=127.0.0.1', ...(opts.args ?? [])],
        'ipcluster',
      );
      const files = await waitForConnectionFiles(c.connectionFile, { timeoutMs: deadline - Date.now(), failIf: () => c.#problem() });
      c.#keys.add(files.info.key);
      if (opts.waitForEngines ?? true) await c.#waitForEngines(n, deadline);
      c.discover();
      return c;
    } catch (e) {
      const report = c.#report('could not start', e);
      await c.dispose().catch(() => undefined);
      throw new Error(report);
    }
  }

  /** The `ipcluster start` process, while it runs. */
  ipclusterPid(): number | undefined {
    return this.#ipcluster?.ref.alive() ? this.#ipcluster.ref.pid : undefined;
  }

  /** Every living process of the cluster on this machine: ipcluster and all it started (controller, mpiexec, engines, ...). */
  discover(): number[] {
    const roots = [...this.#tracked.values()].filter((r) => r.alive()).map((r) => r.pid);
    for (const st of descendants(roots)) {
      const ref = ProcRef.fromStat(st, 'cluster process');
      if (!this.#tracked.has(ref.key)) this.#tracked.set(ref.key, ref);
    }
    return this.alivePids();
  }

  /** Tracked processes alive now (without rescanning). */
  alivePids(): number[] {
    return [...this.#tracked.values()].filter((r) => r.alive()).map((r) => r.pid);
  }

  /**
   * Stops the cluster the way users do, `ipcluster stop` with the same Python, and waits until ipcluster
   * and every process it started are gone. Resolves with the pids that were running before the stop.
   */
  async stopWithIpcluster(timeoutMs = 60_000): Promise<number[]> {
    const before = this.discover();
    const stop = this.#spawn(['-m', 'ipyparallel.cluster', 'stop', `--profile-dir=${this.profileDir}`, `--cluster-id=${this.clusterId}`], 'ipcluster stop');
    const ok = await pollUntil(() => stop.exit !== undefined && this.alivePids().length === 0, timeoutMs, 100);
    if (!ok) {
      throw new Error(this.#report(`ipcluster stop did not stop everything within ${timeoutMs / 1000} s (left: ${this.alivePids().join(', ')})`, undefined));
    }
    if (stop.exit?.code !== 0) throw new Error(this.#report(`ipcluster stop ${exitDescription(stop)}`, undefined));
    return before;
  }

  /** SIGKILLs every process by pid, without `ipcluster stop`: the record and connection files stay (stale). */
  async killAll(): Promise<number[]> {
    this.discover();
    const refs = [...this.#tracked.values()].filter((r) => r.alive());
    const left = await terminate(refs, { signal: 'SIGKILL' });
    if (left.length > 0) throw new Error(`processes ${left.map((r) => r.pid).join(', ')} survived SIGKILL`);
    return refs.map((r) => r.pid);
  }

  /** The HMAC key of the connection file (for checking that logs never hold it; never log it). */
  key(): string {
    return [...this.#keys][0] ?? '';
  }

  /** Redacted log tails (harness output and ipyparallel's own logs). */
  logs(lines = 20): string {
    return logTails([join(this.ipythonDir, 'harness-logs'), join(this.profileDir, 'log')], this.#keys, lines);
  }

  /** Terminates whatever is left (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.discover();
    const left = await terminate([...this.#tracked.values()].filter((r) => r.alive()), { graceMs: 5000 });
    live.delete(this);
    if (process.env.IPP_HARNESS_KEEP !== '1') rmSync(this.ipythonDir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`could not stop ${left.map((r) => r.pid).join(', ')}`);
  }

  killAllSync(): void {
    killNow(this.#tracked.values());
    live.delete(this);
    if (process.env.IPP_HARNESS_KEEP !== '1') rmSync(this.ipythonDir, { recursive: true, force: true });
  }

  #spawn(args: string[], role: string): Spawned {
    const logFile = join(this.ipythonDir, 'harness-logs', `${role.replace(/\W+/g, '-')}.log`);
    const s = spawnPython(this.python, args, { env: this.#env, cwd: this.ipythonDir, logFile, role });
    this.#tracked.set(s.ref.key, s.ref);
    return s;
  }

  #problem(): string | undefined {
    const ended = this.#ipcluster && exitDescription(this.#ipcluster);
    return ended ? `ipcluster ${ended}` : undefined;
  }

  async #waitForEngines(n: number, deadline: number): Promise<void> {
    const probe = new HubProbe((await waitForConnectionFiles(this.connectionFile, { timeoutMs: 1000 })).info);
    let last = 'no answer yet';
    try {
      for (;;) {
        const problem = this.#problem();
        if (problem) throw new Error(`${problem} while waiting for ${n} engines`);
        try {
          const count = Object.keys(await probe.engines(Math.max(500, Math.min(5000, deadline - Date.now())))).length;
          if (count >= n) return;
          last = `${count} registered`;
        } catch (e) {
          last = (e as Error).message;
        }
        this.discover();
        if (Date.now() >= deadline) throw new Error(`timed out waiting for ${n} engines (last: ${last})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      probe.close();
    }
  }

  #report(what: string, e: unknown): string {
    const reason = e === undefined ? '' : `: ${redact((e as Error)?.message ?? String(e), this.#keys)}`;
    return [`ipcluster --engines=${this.opts.launcher} ${what}${reason}`, `python: ${this.python} (ipyparallel ${this.ippVersion})`, `IPYTHONDIR: ${this.ipythonDir}`, this.logs()].join('\n');
  }
}
