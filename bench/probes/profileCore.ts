/**
 * One measurement with the core client in a fresh process, for `node --cpu-prof`:
 *   node --cpu-prof --cpu-prof-dir=DIR out/bench/probes/profileCore.js CONNECTION_FILE ENGINES KIND N
 * KIND is latency (N samples), lb (N tasks) or all (N executes). Prints one JSON line with the result.
 */
import { CoreClient } from '../clients/coreClient';

async function main(): Promise<void> {
  const [file, engines, kind, n] = process.argv.slice(2);
  const client = new CoreClient(file, Number(engines));
  await client.connect();
  try {
    const count = Number(n);
    let result: unknown;
    if (kind === 'latency') result = await client.latency(count, client.client.engines()[0].id);
    else if (kind === 'lb') result = await client.lb(count, 300_000);
    else if (kind === 'all') result = await client.all(count, 300_000);
    else throw new Error(`unknown kind ${kind}`);
    await client.purgeHub();
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await client.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
