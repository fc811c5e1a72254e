/** The operations every benchmarked client offers: our core client, our language server, Python's Client. */
import type { ClientName } from '../results';

export interface Throughput {
  /** Wall time from the first submit to the last task terminal (reply and idle), ms. */
  wallMs: number;
  /** Client CPU time over the same window, ms (for the server path: server + editor side). */
  cpuMs: number;
  /** Tasks run (an execute on all engines counts one task per engine). */
  tasks: number;
  /** How cpuMs splits, when it sums several processes. */
  cpuParts?: Record<string, number>;
  /** CPU time of the cluster's processes over the same window, ms, by role (set by the measurement). */
  cluster?: Record<string, number>;
}

/** One execute awaited to reply + idle on every target (so every output line was received). */
export interface RunSample {
  wallMs: number;
  /** Client CPU over the sample, ms (for the server path: server + editor side; 10 ms resolution). */
  cpuMs: number;
  /** stdout/stderr characters the client received or kept for the run. */
  chars: number;
  /** Notifications the server sent during the sample (language server only). */
  notifications?: number;
}

export interface SoakResult {
  tasks: number;
  wallMs: number;
  /** How many tasks ended in each terminal state (done, error, aborted, lost). */
  states: Record<string, number>;
  /** Tasks that never reached a terminal state by the deadline: must be 0. */
  neverTerminal: number;
}

export interface BenchClient {
  readonly name: ClientName;
  /** Connect and warm up (iopub subscription live); not timed. */
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Sequential `pass` executes on one engine, each awaited to reply + idle: one wall time per sample, ms. */
  latency(samples: number, engineId: number): Promise<number[]>;
  /** n load-balanced `pass` tasks (silent), all submitted, then all awaited. */
  lb(n: number, timeoutMs: number): Promise<Throughput>;
  /** n `pass` executes on all engines (silent), all submitted, then all awaited. */
  all(n: number, timeoutMs: number): Promise<Throughput>;
  /**
   * Sequential executes of `code` on all engines or one engine (silent only for `pass`), each awaited to
   * reply + idle, i.e. to its last output.
   */
  runs(code: string, targets: 'all' | number, samples: number, timeoutMs: number): Promise<RunSample[]>;
  /**
   * n load-balanced `pass` tasks; once half have ended, `onHalfway` kills an engine; then every task is
   * awaited until `timeoutMs` and counted by how it ended.
   */
  soak(n: number, onHalfway: () => Promise<void>, timeoutMs: number): Promise<SoakResult>;
  /** Purge every finished record on the hub (keeps the hub small between repetitions); not timed. */
  purgeHub(): Promise<void>;
  /** Stop whatever the client started (processes, sockets). Never throws. */
  close(): Promise<void>;
}

/**
 * Runs `pass` on every engine and through the scheduler until both succeed, so that the iopub
 * subscription is live before anything is timed (a SUB socket misses what is published before it joins).
 */
export async function warmUp(runOnce: (targets: 'all' | 'balanced') => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if ((await runOnce('all')) && (await runOnce('balanced'))) return;
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`warm-up did not complete within ${timeoutMs / 1000} s${last instanceof Error ? `: ${last.message}` : ''}`);
}
