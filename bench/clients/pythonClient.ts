/**
 * ipyparallel's Python Client, run by bench/python/client_worker.py in the interpreter that has
 * ipyparallel, and driven over stdin/stdout with one JSON line per command.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { ClientName } from '../results';
import type { BenchClient, RunSample, SoakResult, Throughput } from './benchClient';

export const PYTHON_DIR = join(__dirname, '..', '..', '..', 'bench', 'python');

interface Reply {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

/** The worker process. One command at a time. */
export class PythonWorker {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  #stderr = '';
  #exited = false;
  /** Progress lines ({"event": ...}) of the running command. */
  onEvent: ((event: string, data: Record<string, unknown>) => void) | undefined;

  constructor(readonly python: string) {
    this.#child = spawn(python, ['-u', join(PYTHON_DIR, 'client_worker.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      let msg: Reply;
      try {
        msg = JSON.parse(line) as Reply;
      } catch {
        this.#pending.shift()?.reject(new Error(`python worker printed a line that is not JSON: ${line.slice(0, 200)}`));
        return;
      }
      if (typeof msg.event === 'string') this.onEvent?.(msg.event, msg);
      else this.#pending.shift()?.resolve(msg);
    });
    this.#child.stderr.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000);
    });
    this.#child.on('exit', (code, signal) => {
      this.#exited = true;
      const err = new Error(`python worker exited (${code ?? signal}): ${this.#stderr.trim().split('\n').slice(-5).join(' | ')}`);
      for (const p of this.#pending.splice(0)) p.reject(err);
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Sends a command and resolves with its reply; rejects when the reply says ok: false or time runs out. */
  request(cmd: Record<string, unknown>, timeoutMs: number): Promise<Reply> {
    if (this.#exited) return Promise.reject(new Error('python worker is not running'));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`python worker: ${String(cmd.op)} got no answer within ${timeoutMs / 1000} s`));
        this.kill();
      }, timeoutMs + 5_000);
      this.#pending.push({
        resolve: (r) => {
          clearTimeout(timer);
          if (r.ok) resolve(r);
          else reject(new Error(`python ${String(cmd.op)}: ${r.error ?? 'failed'}`));
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#child.stdin.write(`${JSON.stringify({ ...cmd, timeout: timeoutMs / 1000 })}\n`);
    });
  }

  kill(): void {
    if (!this.#exited) this.#child.kill('SIGKILL');
  }

  /** Asks the worker to quit, and kills it if it does not within a few seconds. */
  async close(): Promise<void> {
    if (this.#exited) return;
    const gone = new Promise<void>((r) => this.#child.once('exit', () => r()));
    this.#child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
    const timer = setTimeout(() => this.kill(), 5_000);
    await gone;
    clearTimeout(timer);
  }
}

/**
 * Python's Client through the worker. `lbMode` picks how a load-balanced task is sent: 'execute' sends an
 * execute_request on the task socket through the Client's own send_execute_request (like for like with
 * ours), 'apply' is LoadBalancedView.apply_async of a no-op function (what Python users write).
 */
export class PythonClient implements BenchClient {
  constructor(
    readonly name: ClientName,
    private readonly worker: PythonWorker,
    private readonly connectionFile: string,
    private readonly engines: number,
    private readonly lbMode: 'execute' | 'apply',
  ) {}

  async connect(): Promise<void> {
    await this.worker.request({ op: 'connect', file: this.connectionFile, engines: this.engines }, 60_000);
  }

  async disconnect(): Promise<void> {
    await this.worker.request({ op: 'disconnect' }, 30_000);
  }

  async latency(samples: number, engineId: number): Promise<number[]> {
    const r = await this.worker.request({ op: 'latency', samples, engine: engineId }, 60_000 + samples * 1000);
    return r.samplesMs as number[];
  }

  async lb(n: number, timeoutMs: number): Promise<Throughput> {
    return (await this.worker.request({ op: 'lb', n, mode: this.lbMode }, timeoutMs)) as unknown as Throughput;
  }

  async all(n: number, timeoutMs: number): Promise<Throughput> {
    return (await this.worker.request({ op: 'all', n }, timeoutMs)) as unknown as Throughput;
  }

  async runs(code: string, targets: 'all' | number, samples: number, timeoutMs: number): Promise<RunSample[]> {
    const r = await this.worker.request({ op: 'run', code, targets, samples }, timeoutMs * samples);
    const wall = r.samplesMs as number[];
    const cpu = r.cpuMs as number[];
    const chars = r.chars as number[];
    return wall.map((wallMs, i) => ({ wallMs, cpuMs: cpu[i], chars: chars[i] }));
  }

  async soak(n: number, onHalfway: () => Promise<void>, timeoutMs: number): Promise<SoakResult> {
    let killed: Promise<void> | undefined;
    this.worker.onEvent = (event) => {
      if (event === 'halfway') killed ??= onHalfway();
    };
    try {
      const r = await this.worker.request({ op: 'soak', n }, timeoutMs);
      if (!killed) throw new Error('the worker never reported halfway');
      await killed;
      const counts = r as unknown as Record<'wallMs' | 'done' | 'error' | 'aborted' | 'neverTerminal', number>;
      return { tasks: n, wallMs: counts.wallMs, states: { done: counts.done, error: counts.error, aborted: counts.aborted }, neverTerminal: counts.neverTerminal };
    } finally {
      this.worker.onEvent = undefined;
    }
  }

  async purgeHub(): Promise<void> {
    await this.worker.request({ op: 'purge' }, 120_000);
  }

  /** The worker is shared by the two Python variants: its owner closes it. */
  async close(): Promise<void> {}
}
