/**
 * Our language server as the extension uses it: `node dist/server.js --stdio`, spoken to with
 * vscode-languageserver-protocol over the child's stdio. CPU is the server's (from /proc) plus this
 * process's share (the JSON-RPC work the extension host would do).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createProtocolConnection,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import {
  SERVER_ENV,
  SERVER_NODE_ARGS,
  ConnectRequest,
  DisconnectRequest,
  EnginesRequest,
  ExecuteRequest,
  OutputNotification,
  PurgeRequest,
  TasksChangedNotification,
  TasksRequest,
  WaitRequest,
  type ExecuteParams,
  type WaitResult,
} from '../../src/shared/protocol';
import { ownCpuMs, processCpuMs } from '../procfs';
import { TERMINAL_STATES } from '../../src/core/client/types';
import { warmUp, type BenchClient, type RunSample, type SoakResult, type Throughput } from './benchClient';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const SERVER_JS = join(REPO_ROOT, 'dist', 'server.js');

export interface ServerProcessOptions {
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeArgs?: string[];
  /** The server's stderr is appended here. */
  logFile?: string;
  /** Working directory (where --heapsnapshot-signal writes its snapshots). */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** A running server with an initialized LSP connection. */
export class ServerProcess {
  readonly child: ChildProcess;
  readonly connection: ProtocolConnection;
  #exited: Promise<void>;
  #alive = true;

  private constructor(child: ChildProcess, connection: ProtocolConnection) {
    this.child = child;
    this.connection = connection;
    this.#exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.once('exit', () => {
      this.#alive = false;
    });
  }

  /** Spawns the server and runs initialize/initialized. `spawnedAt` is performance.now() at spawn time. */
  static async start(opts: ServerProcessOptions = {}): Promise<{ server: ServerProcess; spawnedAt: number }> {
    const spawnedAt = performance.now();
    // Started as the extension starts it (SERVER_NODE_ARGS), plus the bench's own probes.
    const child = spawn(process.execPath, [...SERVER_NODE_ARGS, ...(opts.nodeArgs ?? []), SERVER_JS, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd, env: { ...process.env, ...SERVER_ENV, ...opts.env } });
    if (opts.logFile) {
      mkdirSync(dirname(opts.logFile), { recursive: true });
      child.stderr?.pipe(createWriteStream(opts.logFile, { flags: 'a' }));
    } else {
      child.stderr?.resume();
    }
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onError(() => undefined);
    connection.listen();
    const server = new ServerProcess(child, connection);
    const failed = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`the server exited during initialize (${code ?? signal})`))),
    );
    failed.catch(() => undefined);
    await Promise.race([
      connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: {} }),
      failed,
    ]);
    await connection.sendNotification(InitializedNotification.type, {});
    return { server, spawnedAt };
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** shutdown + exit, then SIGKILL if the process is still there after `graceMs`. Never throws. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.#alive) return;
    const kill = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      await Promise.race([this.connection.sendRequest(ShutdownRequest.type), this.#exited]);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      this.child.kill('SIGKILL');
    }
    await this.#exited;
    clearTimeout(kill);
    this.connection.dispose();
  }
}

/** Resolves when `pred` holds, checking after every notification-driven `poke`, or rejects at the deadline. */
async function until(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class LspClient implements BenchClient {
  readonly name = 'lsp' as const;
  #server: ServerProcess | undefined;
  /** runId -> performance.now() of its first ipp/output item, and waiters for it. */
  readonly #firstOutput = new Map<string, number>();
  readonly #outputWaiters = new Map<string, (t: number) => void>();
  /** Called with the method of every notification (the scale measurement counts them). */
  onNotification: ((method: string) => void) | undefined;
  /** Runs followed through notifications (runs()): characters of output so far, and their end. */
  readonly #following = new Map<string, { chars: number; ended(): void }>();
  /** Notifications received from the server so far (every method). */
  notifications = 0;

  constructor(
    private readonly connectionFile: string,
    private readonly engines: number,
    private readonly serverOptions: ServerProcessOptions = {},
  ) {}

  /** True while the server process runs. */
  get alive(): boolean {
    return this.#server?.alive ?? false;
  }

  get server(): ServerProcess {
    if (!this.#server) throw new Error('the server is not running');
    return this.#server;
  }

  async start(): Promise<void> {
    if (this.#server?.alive) return;
    this.#server = (await ServerProcess.start(this.serverOptions)).server;
    const c = this.#server.connection;
    const seen = (method: string): void => {
      this.notifications++;
      this.onNotification?.(method);
    };
    c.onNotification(OutputNotification, (p) => {
      const now = performance.now();
      seen(OutputNotification.method);
      for (const item of p.items) {
        const f = this.#following.get(item.runId);
        if (f && item.output.kind === 'stream') f.chars += item.output.text.length;
        if (this.#firstOutput.has(item.runId)) continue;
        this.#firstOutput.set(item.runId, now);
        this.#outputWaiters.get(item.runId)?.(now);
      }
    });
    c.onNotification(TasksChangedNotification, (p) => {
      seen(TasksChangedNotification.method);
      for (const run of p.runs) if (run.state !== 'running') this.#following.get(run.runId)?.ended();
    });
    c.onUnhandledNotification((msg) => seen(msg.method));
  }

  /**
   * Resolves with the stdout/stderr characters ipp/output delivered for the run once an ipp/tasksChanged
   * reports it ended: the editor's view (the server sends a run's output before the change that ends it).
   */
  #follow(runId: string, timeoutMs: number): { done: Promise<number>; stop(): void } {
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<number>((resolve, reject) => {
      const f = { chars: 0, ended: () => resolve(f.chars) };
      this.#following.set(runId, f);
      timer = setTimeout(() => reject(new Error(`run ${runId} did not end within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    return {
      done,
      stop: () => {
        clearTimeout(timer);
        this.#following.delete(runId);
      },
    };
  }

  async connect(): Promise<void> {
    await this.start();
    const c = this.server.connection;
    await c.sendRequest(ConnectRequest, { connectionFile: this.connectionFile });
    await until(async () => (await c.sendRequest(EnginesRequest)).length >= this.engines, 60_000, `${this.engines} engines`);
    await warmUp(async (targets) => {
      const r = await c.sendRequest(ExecuteRequest, { code: 'pass', targets, silent: true, wait: true, waitTimeoutMs: 5_000 });
      return r.result?.state === 'done';
    });
  }

  async disconnect(): Promise<void> {
    await this.server.connection.sendRequest(DisconnectRequest);
    this.#firstOutput.clear();
  }

  /** ipp/execute with `wait: true` (one round trip: answered when the run ended); throws unless it ended done. */
  async run(params: ExecuteParams, timeoutMs: number): Promise<WaitResult> {
    const r = await this.server.connection.sendRequest(ExecuteRequest, { ...params, wait: true, waitTimeoutMs: timeoutMs });
    if (!r.result) throw new Error(`run ${r.runId} did not end within ${timeoutMs / 1000} s`);
    if (r.result.state !== 'done') throw new Error(`run ${r.runId} ended ${r.result.state}`);
    return r.result;
  }

  async latency(samples: number, engineId: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await this.run({ code: 'pass', targets: [engineId], silent: true }, 30_000);
      out.push(performance.now() - t0);
    }
    return out;
  }

  /** ipp/execute of a print to the first ipp/output notification of that run, ms; each run awaited. */
  async firstOutput(samples: number, engineId: number): Promise<number[]> {
    const c = this.server.connection;
    const out: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const r = await c.sendRequest(ExecuteRequest, { code: 'print(1)', targets: [engineId], silent: false });
      const seen = this.#firstOutput.get(r.runId);
      const t1 = seen ?? (await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ipp/output for ${r.runId} within 30 s`)), 30_000);
        this.#outputWaiters.set(r.runId, (t) => {
          clearTimeout(timer);
          resolve(t);
        });
      }));
      this.#outputWaiters.delete(r.runId);
      out.push(t1 - t0);
      await c.sendRequest(WaitRequest, { runId: r.runId, timeoutMs: 30_000 });
    }
    return out;
  }

  /**
   * As the editor follows a run: ipp/execute, then its ipp/output notifications until an ipp/tasksChanged
   * reports it ended (no ipp/wait, which would send the kept output a second time).
   */
  async runs(code: string, targets: 'all' | number, samples: number, timeoutMs: number): Promise<RunSample[]> {
    const c = this.server.connection;
    const out: RunSample[] = [];
    const pid = this.server.pid;
    for (let i = 0; i < samples; i++) {
      const n0 = this.notifications;
      const s0 = processCpuMs(pid);
      const d0 = ownCpuMs();
      const t0 = performance.now();
      const r = await c.sendRequest(ExecuteRequest, { code, targets: targets === 'all' ? 'all' : [targets], silent: code === 'pass' });
      const follow = this.#follow(r.runId, timeoutMs);
      try {
        const chars = await follow.done;
        const wallMs = performance.now() - t0;
        const cpuMs = processCpuMs(pid) - s0 + ownCpuMs() - d0;
        out.push({ wallMs, cpuMs, chars, notifications: this.notifications - n0 });
      } finally {
        follow.stop();
      }
      const [run] = await c.sendRequest(TasksRequest, { runId: r.runId });
      if (run?.state !== 'done') throw new Error(`run ${r.runId} ended ${run?.state}`);
    }
    return out;
  }

  async #throughput(n: number, targets: ExecuteParams['targets'], timeoutMs: number, perRun: number): Promise<Throughput> {
    const c = this.server.connection;
    const pid = this.server.pid;
    const s0 = processCpuMs(pid);
    const d0 = ownCpuMs();
    const t0 = performance.now();
    const runs: Promise<WaitResult>[] = [];
    for (let i = 0; i < n; i++) {
      runs.push(c.sendRequest(ExecuteRequest, { code: 'pass', targets, silent: true, wait: true, waitTimeoutMs: timeoutMs }).then((r) => r.result ?? { runId: r.runId, state: 'running', engines: [] }));
    }
    const results = await Promise.all(runs);
    const wallMs = performance.now() - t0;
    const server = processCpuMs(pid) - s0;
    const editor = ownCpuMs() - d0;
    const bad = results.filter((w) => w.state !== 'done');
    if (bad.length > 0) throw new Error(`${bad.length} of ${n} runs did not end done (first: ${bad[0].state})`);
    return { wallMs, cpuMs: server + editor, tasks: n * perRun, cpuParts: { server, editor } };
  }

  lb(n: number, timeoutMs: number): Promise<Throughput> {
    return this.#throughput(n, 'balanced', timeoutMs, 1);
  }

  all(n: number, timeoutMs: number): Promise<Throughput> {
    return this.#throughput(n, 'all', timeoutMs, this.engines);
  }

  async soak(n: number, onHalfway: () => Promise<void>, timeoutMs: number): Promise<SoakResult> {
    const c = this.server.connection;
    let ended = 0;
    let killed: Promise<void> | undefined;
    const runIds: string[] = [];
    const t0 = performance.now();
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      runs.push(
        c.sendRequest(ExecuteRequest, { code: 'pass', targets: 'balanced', silent: true }).then(async (r) => {
          runIds.push(r.runId);
          const w = await c.sendRequest(WaitRequest, { runId: r.runId, timeoutMs });
          if (++ended >= n / 2) killed ??= onHalfway();
          return w;
        }),
      );
    }
    // A wait that times out is a result here (a task that never ended), not a failure of the measurement.
    await Promise.allSettled(runs);
    const wallMs = performance.now() - t0;
    if (!killed) throw new Error(`only ${ended} of ${n} runs ended: never halfway`);
    await killed;
    const wanted = new Set(runIds);
    const states: Record<string, number> = {};
    let neverTerminal = n - runIds.length;
    let tasks = 0;
    for (const run of await c.sendRequest(TasksRequest, {})) {
      if (!wanted.delete(run.runId)) continue;
      for (const t of run.tasks) {
        tasks++;
        if (TERMINAL_STATES.includes(t.state)) states[t.state] = (states[t.state] ?? 0) + 1;
        else neverTerminal++;
      }
    }
    // Runs the server no longer lists at all are lost without a trace: they count as never terminal.
    neverTerminal += wanted.size;
    return { tasks, wallMs, states, neverTerminal };
  }

  async purgeHub(): Promise<void> {
    await this.server.connection.sendRequest(PurgeRequest, { all: true });
  }

  async close(): Promise<void> {
    await this.#server?.stop();
    this.#server = undefined;
  }
}
