/** Our core ClusterClient, in this process: the library the server is built on, with nothing between. */
import { performance } from 'node:perf_hooks';
import { ClusterClient } from '../../src/core';
import { TERMINAL_STATES, type ExecuteOptions, type TaskInfo, type TaskState } from '../../src/core/client/types';
import { ownCpuMs } from '../procfs';
import { warmUp, type BenchClient, type RunSample, type SoakResult, type Throughput } from './benchClient';

function onlyDone(tasks: readonly TaskInfo[], what: string): void {
  const bad = tasks.filter((t) => t.state !== 'done');
  if (bad.length > 0) throw new Error(`${what}: ${bad.length} of ${tasks.length} tasks did not end done (first: ${bad[0].state}${bad[0].reason ? `, ${bad[0].reason}` : ''})`);
}

/** Characters of stream output the tasks keep. */
export function streamChars(tasks: readonly { outputs: readonly { kind: string; text?: string }[] }[]): number {
  let n = 0;
  for (const t of tasks) for (const o of t.outputs) if (o.kind === 'stream') n += o.text?.length ?? 0;
  return n;
}

export class CoreClient implements BenchClient {
  readonly name = 'core' as const;
  #client: ClusterClient | undefined;

  constructor(
    private readonly connectionFile: string,
    private readonly engines: number,
  ) {}

  get client(): ClusterClient {
    if (!this.#client) throw new Error('the core client is not connected');
    return this.#client;
  }

  async connect(): Promise<void> {
    const c = new ClusterClient({ connectionFile: this.connectionFile, watchConnectionFile: false });
    this.#client = c;
    await c.connect({ timeoutMs: 30_000 });
    await new Promise<void>((resolve, reject) => {
      if (c.engines().length >= this.engines) return resolve();
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error(`timed out after 60 s waiting for ${this.engines} engines`));
      }, 60_000);
      const sub = c.onDidChangeEngines((list) => {
        if (list.length < this.engines) return;
        clearTimeout(timer);
        sub.dispose();
        resolve();
      });
    });
    await warmUp(async (targets) => {
      const run = c.execute('pass', { targets, silent: true });
      const tasks = await c.wait(run.msgIds, { timeoutMs: 5_000 });
      return tasks.every((t) => t.state === 'done');
    });
  }

  async disconnect(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    if (!c) return;
    await c.disconnect();
    c.dispose();
  }

  async latency(samples: number, engineId: number): Promise<number[]> {
    const c = this.client;
    const out: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const run = c.execute('pass', { targets: [engineId], silent: true });
      const tasks = await c.wait(run.msgIds, { timeoutMs: 30_000 });
      out.push(performance.now() - t0);
      onlyDone(tasks, 'latency');
    }
    return out;
  }

  /** execute() of a print to the first onDidOutput of that task, ms; each awaited to terminal. */
  async firstOutput(samples: number, engineId: number): Promise<number[]> {
    const c = this.client;
    const out: number[] = [];
    for (let i = 0; i < samples; i++) {
      let first: number | undefined;
      let msgId = '';
      const sub = c.onDidOutput(({ task }) => {
        if (first === undefined && task.msgId === msgId) first = performance.now();
      });
      try {
        const t0 = performance.now();
        msgId = c.execute('print(1)', { targets: [engineId], silent: false }).msgIds[0];
        const tasks = await c.wait([msgId], { timeoutMs: 30_000 });
        onlyDone(tasks, 'first output');
        if (first === undefined) throw new Error('the task ended without an output event');
        out.push(first - t0);
      } finally {
        sub.dispose();
      }
    }
    return out;
  }

  async runs(code: string, targets: 'all' | number, samples: number, timeoutMs: number): Promise<RunSample[]> {
    const c = this.client;
    const out: RunSample[] = [];
    for (let i = 0; i < samples; i++) {
      const c0 = ownCpuMs();
      const t0 = performance.now();
      const run = c.execute(code, { targets: targets === 'all' ? 'all' : [targets], silent: code === 'pass' });
      const tasks = await c.wait(run.msgIds, { timeoutMs });
      const wallMs = performance.now() - t0;
      out.push({ wallMs, cpuMs: ownCpuMs() - c0, chars: streamChars(tasks) });
      onlyDone(tasks, 'runs');
    }
    return out;
  }

  async #throughput(n: number, options: ExecuteOptions, timeoutMs: number): Promise<Throughput> {
    const c = this.client;
    const c0 = ownCpuMs();
    const t0 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(...c.execute('pass', options).msgIds);
    const tasks = await c.wait(ids, { timeoutMs });
    const wallMs = performance.now() - t0;
    const cpuMs = ownCpuMs() - c0;
    onlyDone(tasks, 'throughput');
    return { wallMs, cpuMs, tasks: ids.length };
  }

  lb(n: number, timeoutMs: number): Promise<Throughput> {
    return this.#throughput(n, { targets: 'balanced', silent: true }, timeoutMs);
  }

  all(n: number, timeoutMs: number): Promise<Throughput> {
    return this.#throughput(n, { targets: 'all', silent: true }, timeoutMs);
  }

  async soak(n: number, onHalfway: () => Promise<void>, timeoutMs: number): Promise<SoakResult> {
    const c = this.client;
    const ours = new Set<string>();
    const ended = new Set<string>();
    let killed: Promise<void> | undefined;
    const sub = c.onDidChangeTask((t) => {
      if (!ours.has(t.msgId) || !TERMINAL_STATES.includes(t.state)) return;
      ended.add(t.msgId);
      if (ended.size >= n / 2) killed ??= onHalfway();
    });
    const t0 = performance.now();
    const ids: string[] = [];
    try {
      for (let i = 0; i < n; i++) {
        for (const id of c.execute('pass', { targets: 'balanced', silent: true }).msgIds) {
          ids.push(id);
          ours.add(id);
        }
      }
      // A timeout is a result here (tasks that never ended), not a failure of the measurement.
      await c.wait(ids, { timeoutMs }).catch(() => undefined);
    } finally {
      sub.dispose();
    }
    const wallMs = performance.now() - t0;
    if (!killed) throw new Error(`only ${ended.size} of ${n} tasks ended: never halfway`);
    await killed;
    const states: Record<string, number> = {};
    let neverTerminal = 0;
    for (const id of ids) {
      const state = c.task(id)?.state ?? 'untracked';
      if (TERMINAL_STATES.includes(state as TaskState)) states[state] = (states[state] ?? 0) + 1;
      else neverTerminal++;
    }
    return { tasks: ids.length, wallMs, states, neverTerminal };
  }

  async purgeHub(): Promise<void> {
    await this.client.purge('all', { timeoutMs: 120_000 });
  }

  async close(): Promise<void> {
    await this.disconnect().catch(() => undefined);
  }
}
