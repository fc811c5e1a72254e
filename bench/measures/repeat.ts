/**
 * Runs one measurement for several clients, `reps` times, rotating the client order each repetition so
 * that slow drift of the shared machine lands on every client alike. Each (repetition, client) connects
 * first and disconnects after, so only the measured client is on the cluster (an idle client would still
 * receive and filter every engine's iopub traffic, stealing CPU from the measured one on 2 cores).
 */
import type { BenchClient } from '../clients/benchClient';
import type { ClientName } from '../results';
import { rotate } from '../stats';

export interface Failure {
  metric: string;
  client: ClientName;
  message: string;
}

/** What repeat() needs of a client. */
export type Connectable = Pick<BenchClient, 'name' | 'connect' | 'disconnect'>;

export interface RepeatOptions<T, C extends Connectable = BenchClient> {
  metric: string;
  clients: readonly C[];
  reps: number;
  measure: (client: C, rep: number) => Promise<T>;
  /** After each measurement, still connected (e.g. purge the hub); not part of the result. */
  after?: (client: C) => Promise<void>;
  failures: Failure[];
  log: (line: string) => void;
  /** Summarize one result for the progress line. */
  describe?: (result: T) => string;
}

/** Results per client name, in repetition order; a client that fails is logged and skipped afterwards. */
export async function repeat<T, C extends Connectable = BenchClient>(opts: RepeatOptions<T, C>): Promise<Map<ClientName, T[]>> {
  const out = new Map<ClientName, T[]>(opts.clients.map((c) => [c.name, []]));
  const broken = new Set<ClientName>();
  for (let rep = 0; rep < opts.reps; rep++) {
    for (const client of rotate(opts.clients, rep)) {
      if (broken.has(client.name)) continue;
      try {
        await client.connect();
        try {
          const result = await opts.measure(client, rep);
          out.get(client.name)?.push(result);
          opts.log(`  ${opts.metric} · ${client.name} · rep ${rep + 1}/${opts.reps}${opts.describe ? `: ${opts.describe(result)}` : ''}`);
          await opts.after?.(client);
        } finally {
          await client.disconnect();
        }
      } catch (e) {
        broken.add(client.name);
        const message = e instanceof Error ? e.message : String(e);
        opts.failures.push({ metric: opts.metric, client: client.name, message });
        opts.log(`  ${opts.metric} · ${client.name} · FAILED: ${message}`);
      }
    }
  }
  return out;
}
