/**
 * Connect probe for the core client: a fresh Node process that loads the core, connects to the cluster
 * named by argv[2], prints "connected" and exits. The bench times spawn -> that line.
 */
import { ClusterClient } from '../../src/core';

async function main(): Promise<void> {
  const client = new ClusterClient({ connectionFile: process.argv[2], watchConnectionFile: false });
  await client.connect({ timeoutMs: 30_000 });
  process.stdout.write(`connected ${client.engines().length}\n`);
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
