/**
 * Connect probe for the core client: a fresh Node process that loads the core, connects to the cluster
 * named by argv[2], prints "connected <engines> <phases JSON>" and exits. The bench times spawn -> that
 * line; the phases say where the time went (ms since the process started, per V8's time origin).
 */
import { performance } from 'node:perf_hooks';

const bootMs = performance.now();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ClusterClient } = require('../../src/core') as typeof import('../../src/core');
const loadedMs = performance.now();

async function main(): Promise<void> {
  const client = new ClusterClient({ connectionFile: process.argv[2], watchConnectionFile: false });
  await client.connect({ timeoutMs: 30_000 });
  const connectedMs = performance.now();
  const phases = { boot: bootMs, load: loadedMs - bootMs, connect: connectedMs - loadedMs };
  process.stdout.write(`connected ${client.engines().length} ${JSON.stringify(phases)}\n`);
  await client.disconnect();
  client.dispose();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
