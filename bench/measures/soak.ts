/**
 * Soak: N load-balanced tasks per client with one engine killed once half of them have ended. Every task
 * must end in a terminal state; those on the killed engine end as error or lost and are counted. After
 * each client's soak the harness starts a replacement engine, so the next client sees the same cluster.
 */
import type { TestCluster } from '../../test/integration/harness';
import type { BenchClient } from '../clients/benchClient';
import type { Row } from '../results';
import { fmt } from '../results';
import type { Failure } from './repeat';

export async function measureSoak(opts: {
  cluster: TestCluster;
  clients: BenchClient[];
  tasks: number;
  engines: number;
  timeoutMs: number;
  failures: Failure[];
  log: (line: string) => void;
}): Promise<Row[]> {
  const rows: Row[] = [];
  for (const client of opts.clients) {
    const metric = `soak: ${opts.tasks} load-balanced tasks, an engine killed halfway · never terminal`;
    try {
      await client.connect();
      let killedAt = 0;
      const result = await client.soak(
        opts.tasks,
        async () => {
          killedAt = Date.now();
          const running = opts.cluster.enginePids().length;
          await opts.cluster.killEngine(running - 1);
        },
        opts.timeoutMs,
      );
      const states = Object.entries(result.states).map(([s, k]) => `${s} ${k}`).join(', ');
      opts.log(`  soak · ${client.name}: ${states}; never terminal ${result.neverTerminal}; ${fmt(result.wallMs / 1000)} s`);
      rows.push({
        metric,
        client: client.name,
        unit: 'tasks',
        values: [result.neverTerminal],
        target: { kind: 'absolute', op: '==', value: 0 },
        note: `soak ${client.name}: ${result.tasks} tasks ended ${states || 'nowhere'}; ${result.neverTerminal} never terminal; ${fmt(result.wallMs / 1000)} s (engine killed at ${killedAt ? 'half' : 'never'})`,
      });
      await client.purgeHub().catch(() => undefined);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      opts.failures.push({ metric: 'soak', client: client.name, message });
      opts.log(`  soak · ${client.name} · FAILED: ${message}`);
      rows.push({ metric, client: client.name, unit: 'tasks', values: [], target: { kind: 'absolute', op: '==', value: 0 } });
    } finally {
      await client.disconnect().catch(() => undefined);
    }
    // Back to full strength for the next client (and for anything after the soak).
    const missing = opts.engines - opts.cluster.enginePids().length;
    if (missing > 0) await opts.cluster.startEngines(missing, { timeoutMs: 90_000 });
  }
  return rows;
}
