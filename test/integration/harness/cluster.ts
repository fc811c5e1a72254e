// A real ipyparallel cluster for integration tests, benchmarks and `npm start`: a fresh IPYTHONDIR, real
// ipcluster/ipcontroller/ipengine processes, readiness from the Hub itself, fault injection by pid, and a
// stop that leaves nothing behind. See README.md in this folder for what we learned about the processes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionFilePath, parseConnectionInfo, profileDir, type ConnectionInfo } from '../../../src/core/protocol';
import { clusterStateFile, engineFileOf, engineIdFromLog, ipclusterEngineLog, removeIfExists, waitForConnectionFiles } from './clusterFiles';
import { logTails, redact } from './files';
import { HubProbe, queryEngines, type EngineMap } from './hubProbe';
import { descendants, killNow, pollUntil, ProcRef, readCmdline, terminate } from './procs';
import { findIpyparallelPython } from './python';
import { checkIpyparallel, ippEnv, versionUnderTest } from './ippVersion';
import { installLastResort, live } from './lastResort';
import type { ClusterMode, ClusterOptions, EngineProcess } from './options';
import { exitDescription, spawnPython, type Spawned } from './spawn';

export { findIpyparallelPython } from './python';
export type { ClusterMode, ClusterOptions, EngineProcess } from './options';

interface EngineRec {
  index: number;
  ref: ProcRef;
  nanny?: ProcRef;
  source: 'ipcluster' | 'harness';
  logFile?: string;
  spawned?: Spawned;
}

const DEFAULT_REGISTRATION_TIMEOUT = 60_000;

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function cmdOf(pid: number): string {
  return readCmdline(pid).join(' ');
}

/** A real ipyparallel cluster in a temporary IPYTHONDIR. Create with `TestCluster.start()`. */
export class TestCluster {
  readonly mode: ClusterMode;
  readonly python: string;
  /** A fresh temp IPYTHONDIR (mkdtemp), removed by stop(). */
  readonly ipythonDir: string;
  readonly profile: string;
  readonly clusterId: string;
  readonly profileDir: string;
  /** Output of the processes the harness started (profile/log holds ipcluster's own per-process logs). */
  readonly logDir: string;
  readonly #opts: ClusterOptions;
  /** The environment of every process of the cluster (IPYTHONDIR, and PYTHONPATH for 9.x). */
  readonly env: NodeJS.ProcessEnv;
  /** The ipyparallel version the cluster runs, checked at start, e.g. "7.1.0" or "9.2.0.dev0". */
  readonly ippVersion: string;
  readonly #tracked = new Map<string, ProcRef>();
  readonly #keys = new Set<string>();
  #launcher: Spawned | undefined;
  #controllerSpawn: Spawned | undefined;
  #controller: ProcRef | undefined;
  #engines: EngineRec[] = [];
  #saved: { client: string; engine: string } | undefined;
  #logSeq = 0;
  #stopping: Promise<void> | undefined;
  /** True while start()/restartController() wait for their engines: then engines dying is fatal. */
  #launching = false;
  #lastCommand = '';

  private constructor(opts: ClusterOptions) {
    this.#opts = opts;
    this.mode = opts.mode ?? 'ipcluster';
    this.python = opts.python ?? findIpyparallelPython();
    this.profile = opts.profile ?? 'default';
    this.clusterId = opts.clusterId ?? '';
    // Checked before anything is created: a run that claims 9.x must not quietly run another version.
    const wanted = opts.ippVersion ?? versionUnderTest();
    const env = { ...process.env, ...ippEnv(wanted), ...(opts.env ?? {}) };
    this.ippVersion = checkIpyparallel(this.python, env, wanted).version;
    this.ipythonDir = mkdtempSync(join(tmpdir(), 'ipp-harness-'));
    this.env = { ...env, IPYTHONDIR: this.ipythonDir };
    this.profileDir = profileDir(this.ipythonDir, this.profile);
    this.logDir = join(this.ipythonDir, 'harness-logs');
    mkdirSync(this.logDir, { recursive: true });
    mkdirSync(this.profileDir, { recursive: true });
  }

  /** Starts a cluster and waits until `engines` engines are registered with the Hub. */
  static async start(opts: ClusterOptions = {}): Promise<TestCluster> {
    const cluster = new TestCluster(opts);
    live.add(cluster);
    installLastResort();
    const n = opts.engines ?? 2;
    const deadline = Date.now() + (opts.startTimeoutMs ?? 90_000);
    cluster.#launching = true;
    try {
      if (cluster.mode === 'ipcluster') cluster.#spawnIpcluster(n, opts.controllerArgs ?? []);
      else cluster.#spawnController(opts.controllerArgs ?? []);
      await cluster.#waitForConnectionFile(deadline - Date.now());
      if (cluster.mode === 'separate') await cluster.startEngines(n, { wait: false });
      await cluster.waitForEngines(n, Math.max(1000, deadline - Date.now()));
      cluster.#discover();
      cluster.#launching = false;
    } catch (e) {
      await cluster.#settleExits();
      const report = cluster.#failureReport('could not start the cluster', e);
      await cluster.stop().catch(() => undefined);
      throw new Error(report);
    }
    return cluster;
  }

  /** Path of ipcontroller[-<clusterId>]-client.json in the temp profile. */
  get connectionFile(): string {
    return connectionFilePath(this.ipythonDir, this.profile, this.clusterId);
  }

  get engineConnectionFile(): string {
    return engineFileOf(this.connectionFile);
  }

  /** The parsed JSON of the current connection file (contains the key: never log it). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  connectionInfo(): any {
    return JSON.parse(readFileSync(this.connectionFile, 'utf8'));
  }

  /** The current connection file, validated by the protocol core. */
  connection(): ConnectionInfo {
    return parseConnectionInfo(readFileSync(this.connectionFile, 'utf8'), this.connectionFile);
  }

  /** The controller (Hub) process; its schedulers are its children in its process group. */
  controllerPid(): number | undefined {
    this.#discover();
    return this.#controller?.alive() ? this.#controller.pid : undefined;
  }

  /** The `ipcluster start` process in 'ipcluster' mode. */
  launcherPid(): number | undefined {
    return this.#launcher?.ref.alive() ? this.#launcher.ref.pid : undefined;
  }

  /** Pids of the running engine kernels (not the nannies), in start order. */
  enginePids(): number[] {
    return this.engines().filter((e) => e.alive).map((e) => e.pid);
  }

  /** Pids of the running nannies, one per engine kernel that has one. */
  nannyPids(): number[] {
    return this.engines().flatMap((e) => (e.alive && e.nannyPid !== undefined ? [e.nannyPid] : []));
  }

  /** Every engine process seen so far, alive or not. */
  engines(): EngineProcess[] {
    this.#discover();
    return this.#engines.map((e) => ({
      index: e.index,
      pid: e.ref.pid,
      nannyPid: e.nanny?.alive() ? e.nanny.pid : undefined,
      source: e.source,
      alive: e.ref.alive(),
      logFile: e.logFile ?? ipclusterEngineLog(this.profileDir, this.clusterId, e.ref.pid),
    }));
  }

  /** Every living process that belongs to this cluster (launcher, controller and schedulers, kernels, nannies). */
  allPids(): number[] {
    this.#discover();
    return [...this.#tracked.values()].filter((r) => r.alive()).map((r) => r.pid);
  }

  /** The Hub's engine id of an engine process, from its log ("Completed registration with id N"). */
  engineIdOf(pid: number): number | undefined {
    return engineIdFromLog(this.#engines.find((e) => e.ref.pid === pid)?.logFile ?? ipclusterEngineLog(this.profileDir, this.clusterId, pid));
  }

  /** One connection_request: the engines the Hub lists now. */
  async registeredEngines(timeoutMs = 5000): Promise<EngineMap> {
    return queryEngines(this.connection(), timeoutMs);
  }

  /** Waits until at least `n` engines are registered with the Hub (polls with connection_request). */
  async waitForEngines(n: number, timeoutMs = DEFAULT_REGISTRATION_TIMEOUT): Promise<void> {
    await this.waitForEngineCount((count) => count >= n, timeoutMs, `at least ${n} engine(s)`);
  }

  /**
   * Polls the Hub with signed connection_requests until `accept(count, engines)` holds. Re-reads the
   * connection file each round, so it follows a restarted controller. Fails early if the controller died.
   */
  async waitForEngineCount(
    accept: (count: number, engines: EngineMap) => boolean,
    timeoutMs = DEFAULT_REGISTRATION_TIMEOUT,
    what = 'the expected engines',
  ): Promise<EngineMap> {
    const deadline = Date.now() + timeoutMs;
    let probe: HubProbe | undefined;
    let probeText = '';
    let last = 'no answer yet';
    try {
      for (;;) {
        const dead = this.#controllerProblem() ?? this.#launchProblem();
        if (dead) throw new Error(`${dead} while waiting for ${what}`);
        let text = '';
        let info: ConnectionInfo | undefined;
        try {
          text = readFileSync(this.connectionFile, 'utf8');
          info = parseConnectionInfo(text, this.connectionFile);
        } catch {
          last = 'no readable connection file';
        }
        if (info) {
          this.#keys.add(info.key);
          if (!probe || text !== probeText) {
            probe?.close();
            probe = new HubProbe(info);
            probeText = text;
          }
          try {
            const engines = await probe.engines(Math.max(500, Math.min(5000, deadline - Date.now())));
            const count = Object.keys(engines).length;
            if (accept(count, engines)) return engines;
            last = `${count} registered`;
          } catch (e) {
            last = (e as Error).message;
            probe.close();
            probe = undefined;
          }
        }
        if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${last})`);
        await delay(200);
      }
    } finally {
      probe?.close();
    }
  }

  /**
   * Kills the controller's whole process group (the Hub and its scheduler processes: killing only the
   * Hub's pid leaves the schedulers running, still bound to their ports and still answering engine
   * heartbeats). Waits until every one is gone. Default SIGKILL (a crash).
   * In 'ipcluster' mode, ipcluster then stops its engines and exits, as it does for users.
   */
  async killController(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.#discover();
    const ctl = this.#controller;
    if (!ctl?.alive()) return;
    const group = [ctl, ...descendants([ctl.pid]).map((s) => this.#track(ProcRef.fromStat(s, 'controller child')))];
    const left = await terminate(group, { signal, graceMs: 15_000 });
    if (left.length > 0) throw new Error(`controller processes ${left.map((r) => r.pid).join(', ')} survived SIGKILL`);
  }

  /**
   * Starts a new controller (new key and ports unless `newKey: false`, which restores the old connection
   * files and passes --reuse), rewrites the connection file, replaces the engines (engines cannot move to
   * a new controller in 7.x), and by default waits for them. Kills the old controller first if it runs.
   */
  async restartController(opts: { newKey?: boolean; engines?: number; wait?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const newKey = opts.newKey ?? true;
    const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
    this.#discover();
    const n = opts.engines ?? (this.#engines.filter((e) => e.ref.alive()).length || (this.#opts.engines ?? 2));
    const oldKey = this.#saved ? parseConnectionInfo(this.#saved.client).key : undefined;

    // Everything but the processes to keep goes: the controller group, all engines, and ipcluster itself.
    await this.killController('SIGKILL');
    const rest = [...this.#tracked.values()].filter((r) => r.alive());
    await terminate(rest, { signal: 'SIGTERM', graceMs: 15_000 });
    this.#engines = this.#engines.filter((e) => e.ref.alive());

    const args = [...(this.#opts.controllerArgs ?? [])];
    removeIfExists(clusterStateFile(this.profileDir, this.clusterId));
    if (newKey) {
      removeIfExists(this.connectionFile);
      removeIfExists(this.engineConnectionFile);
    } else if (this.#saved) {
      writeFileSync(this.connectionFile, this.#saved.client, { mode: 0o600 });
      writeFileSync(this.engineConnectionFile, this.#saved.engine, { mode: 0o600 });
      args.push('--reuse');
    }
    this.#launching = true;
    try {
      if (this.mode === 'ipcluster') this.#spawnIpcluster(n, args);
      else this.#spawnController(args);
      await this.#waitForConnectionFile(deadline - Date.now(), (info) => !newKey || info.key !== oldKey);
      if (this.mode === 'separate') await this.startEngines(n, { wait: false });
      if (opts.wait ?? true) await this.waitForEngines(n, Math.max(1000, deadline - Date.now()));
    } catch (e) {
      await this.#settleExits();
      throw new Error(this.#failureReport('could not restart the controller', e));
    } finally {
      this.#launching = false;
    }
  }

  /**
   * Starts `n` more engines (our own children, in either mode) and by default waits until the Hub lists
   * that many more than before.
   */
  async startEngines(n: number, opts: { wait?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const wait = opts.wait ?? true;
    const before = wait ? Object.keys(await this.registeredEngines()).length : 0;
    for (let i = 0; i < n; i++) {
      const index = this.#engines.length;
      const logFile = join(this.logDir, `engine-${index}-${this.#logSeq++}.log`);
      const args = [
        '-m', 'ipyparallel.engine',
        `--profile-dir=${this.profileDir}`,
        `--cluster-id=${this.clusterId}`,
        '--log-level=20',
        ...(this.#opts.engineArgs ?? []),
      ];
      const spawned = this.#spawn(args, logFile, 'engine');
      this.#engines.push({ index, ref: spawned.ref, source: 'harness', logFile, spawned });
    }
    if (wait) await this.waitForEngines(before + n, opts.timeoutMs ?? DEFAULT_REGISTRATION_TIMEOUT);
  }

  /**
   * Kills one engine kernel, chosen by its position in enginePids(). Default SIGKILL, so that an engine
   * busy in a cell really dies (SIGTERM is only acted on between cells). Waits until the kernel is gone,
   * then until its nanny has exited (it reports the death to the Hub: unregistration_notification).
   */
  async killEngine(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.#discover();
    const running = this.#engines.filter((e) => e.ref.alive());
    const rec = running[index];
    if (!rec) throw new RangeError(`no running engine at index ${index}: ${running.length} running`);
    await this.#killEngineRec(rec, signal);
  }

  /** Kills the engine process whose Hub engine id is `engineId` (see engineIdOf()). */
  async killEngineById(engineId: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.#discover();
    const rec = this.#engines.find((e) => e.ref.alive() && this.engineIdOf(e.ref.pid) === engineId);
    if (!rec) throw new RangeError(`no running engine process with engine id ${engineId}`);
    await this.#killEngineRec(rec, signal);
  }

  /** Stops every process by pid/process group (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#doStop();
    return this.#stopping;
  }

  /** Redacted tails of every log, for a failing test's message. */
  logs(lines = 20): string {
    return logTails([this.logDir, join(this.profileDir, 'log')], this.#keys, lines);
  }

  // ---- internals ----

  async #doStop(): Promise<void> {
    this.#discover();
    const all = [...this.#tracked.values()].filter((r) => r.alive());
    const left = await terminate(all, { signal: 'SIGTERM', graceMs: this.#opts.stopGraceMs ?? 5000, killWaitMs: 10_000 });
    live.delete(this);
    if (!(this.#opts.keepDir ?? process.env.IPP_HARNESS_KEEP === '1')) {
      rmSync(this.ipythonDir, { recursive: true, force: true });
    }
    if (left.length > 0) {
      throw new Error(`could not stop ${left.map((r) => `${r.role} ${r.pid}`).join(', ')}`);
    }
  }

  async #killEngineRec(rec: EngineRec, signal: NodeJS.Signals): Promise<void> {
    const nanny = rec.nanny ?? this.#findNanny(rec);
    const left = await terminate([rec.ref], { signal, graceMs: 10_000 });
    if (left.length > 0) throw new Error(`engine ${rec.ref.pid} survived SIGKILL`);
    if (nanny && !(await pollUntil(() => !nanny.alive(), 10_000))) {
      await terminate([nanny], { signal: 'SIGKILL' });
    }
  }

  #spawn(args: string[], logFile: string, role: string): Spawned {
    const spawned = spawnPython(this.python, args, { env: this.env, cwd: this.ipythonDir, logFile, role });
    this.#lastCommand = spawned.commandLine;
    this.#track(spawned.ref);
    return spawned;
  }

  #spawnIpcluster(n: number, controllerArgs: string[]): void {
    const args = [
      '-m', 'ipyparallel.cluster', 'start',
      '-n', String(n),
      `--profile-dir=${this.profileDir}`,
      `--cluster-id=${this.clusterId}`,
      '--ip=127.0.0.1',
      // Otherwise ipcluster tears the whole cluster down when all engines die in their first 30 s.
      '--IPClusterStart.early_shutdown=0',
    ];
    if (controllerArgs.length > 0) args.push('--', ...controllerArgs);
    this.#launcher = this.#spawn(args, join(this.logDir, `ipcluster-${this.#logSeq++}.log`), 'ipcluster');
    this.#controller = undefined;
  }

  #spawnController(controllerArgs: string[]): void {
    const args = [
      '-m', 'ipyparallel.controller',
      `--profile-dir=${this.profileDir}`,
      `--cluster-id=${this.clusterId}`,
      '--ip=127.0.0.1',
      ...controllerArgs,
    ];
    this.#controllerSpawn = this.#spawn(args, join(this.logDir, `controller-${this.#logSeq++}.log`), 'controller');
    this.#controller = this.#controllerSpawn.ref;
  }

  /** Waits for a parseable connection file (accepted by `accept`), remembering its key and a copy for --reuse. */
  async #waitForConnectionFile(timeoutMs: number, accept?: (info: ConnectionInfo) => boolean): Promise<void> {
    const files = await waitForConnectionFiles(this.connectionFile, { timeoutMs, accept, failIf: () => this.#controllerProblem() });
    this.#keys.add(files.info.key);
    this.#saved = { client: files.client, engine: files.engine };
    this.#discover();
  }

  /** Why the controller cannot be running (its process or ipcluster exited), or undefined. */
  #controllerProblem(): string | undefined {
    if (this.mode === 'ipcluster') {
      const ended = this.#launcher && exitDescription(this.#launcher);
      return ended ? `ipcluster ${ended}` : undefined;
    }
    const ended = this.#controllerSpawn && exitDescription(this.#controllerSpawn);
    return ended ? `the controller ${ended}` : undefined;
  }

  /** While launching: every engine process seen so far has exited (they failed to start or connect). */
  #launchProblem(): string | undefined {
    if (!this.#launching) return undefined;
    this.#discover();
    if (this.#engines.length === 0 || this.#engines.some((e) => e.ref.alive())) return undefined;
    return `all ${this.#engines.length} engine process(es) exited`;
  }

  #track(ref: ProcRef): ProcRef {
    const existing = this.#tracked.get(ref.key);
    if (existing) return existing;
    this.#tracked.set(ref.key, ref);
    return ref;
  }

  /** Scans /proc below the processes we started: controller, ipcluster's engines, nannies, schedulers. */
  #discover(): void {
    const roots = [...this.#tracked.values()].filter((r) => r.alive()).map((r) => r.pid);
    if (roots.length === 0) return;
    const launcherPid = this.#launcher?.ref.alive() ? this.#launcher.ref.pid : -1;
    const enginePids = new Set(this.#engines.map((e) => e.ref.key));
    for (const st of descendants(roots)) {
      const cmd = cmdOf(st.pid);
      const isNanny = cmd.includes('ipyparallel.engine.nanny');
      const isEngine = !isNanny && cmd.includes('ipyparallel.engine');
      const role = isNanny ? 'nanny' : isEngine ? 'engine' : cmd.includes('ipyparallel.controller') ? 'controller' : 'child';
      const ref = this.#track(ProcRef.fromStat(st, role));
      if (st.ppid === launcherPid && role === 'controller' && !this.#controller?.alive()) this.#controller = ref;
      if (st.ppid === launcherPid && isEngine && !enginePids.has(ref.key)) {
        this.#engines.push({ index: this.#engines.length, ref, source: 'ipcluster' });
        enginePids.add(ref.key);
      }
    }
    for (const e of this.#engines) if (!e.nanny && e.ref.alive()) e.nanny = this.#findNanny(e);
  }

  #findNanny(rec: EngineRec): ProcRef | undefined {
    const st = descendants([rec.ref.pid]).find((s) => s.ppid === rec.ref.pid && cmdOf(s.pid).includes('ipyparallel.engine.nanny'));
    return st ? this.#track(ProcRef.fromStat(st, 'nanny')) : undefined;
  }

  /** Lets Node reap processes that have just died, so that reports can give their exit codes. */
  async #settleExits(): Promise<void> {
    const spawned = [this.#launcher, this.#controllerSpawn].filter((s): s is Spawned => s !== undefined);
    await pollUntil(() => spawned.every((s) => s.exit || s.error || s.ref.alive()), 3000);
  }

  #failureReport(what: string, e: unknown): string {
    const reason = redact((e as Error)?.message ?? String(e), this.#keys);
    const main = this.mode === 'ipcluster' ? this.#launcher : this.#controllerSpawn;
    const status = main ? (exitDescription(main) ?? 'is running') : 'was not started';
    return [
      `TestCluster (${this.mode} mode) ${what}: ${reason}`,
      `${this.mode === 'ipcluster' ? 'ipcluster' : 'the controller'} ${status}`,
      `python: ${this.python}`,
      `last command: ${this.#lastCommand}`,
      `IPYTHONDIR: ${this.ipythonDir}`,
      this.logs(),
    ].join('\n');
  }

  /** Synchronous SIGKILL of everything and removal of the dir: for process 'exit' and fatal signals. */
  killAllSync(): void {
    killNow([...this.#tracked.values()]);
    live.delete(this);
    if (!(this.#opts.keepDir ?? process.env.IPP_HARNESS_KEEP === '1')) {
      try {
        rmSync(this.ipythonDir, { recursive: true, force: true });
      } catch {
        // best effort at exit
      }
    }
  }
}

/** Starts a cluster, runs `fn`, and always stops the cluster. */
export async function withCluster<T>(opts: ClusterOptions, fn: (c: TestCluster) => Promise<T>): Promise<T> {
  const cluster = await TestCluster.start(opts);
  try {
    return await fn(cluster);
  } finally {
    await cluster.stop();
  }
}
