// Runs a real cluster until SIGINT/SIGTERM, for manual runs, `npm start` and the benchmarks.
//   node out/test/integration/harness/cli.js start [--engines 2] [--mode ipcluster|separate]
//        [--profile NAME] [--cluster-id ID] [--json] [-- <ipcontroller args>]
// Prints the connection file path on stdout (or one JSON line with --json) once the engines are registered.
import { TestCluster, type ClusterOptions } from './cluster';

const USAGE = `usage: cli.js start [--engines N] [--mode ipcluster|separate] [--profile NAME] [--cluster-id ID] [--json] [-- ipcontroller args...]`;

interface CliArgs {
  opts: ClusterOptions;
  json: boolean;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  if (argv[0] !== 'start') throw new Error(USAGE);
  const opts: ClusterOptions = {};
  let json = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--') {
      opts.controllerArgs = argv.slice(i + 1);
      break;
    } else if (a === '--engines' || a === '-n') {
      opts.engines = Number(value());
      if (!Number.isInteger(opts.engines) || opts.engines < 0) throw new Error(`--engines must be a whole number\n${USAGE}`);
    } else if (a === '--mode') {
      const m = value();
      if (m !== 'ipcluster' && m !== 'separate') throw new Error(`--mode must be ipcluster or separate\n${USAGE}`);
      opts.mode = m;
    } else if (a === '--profile') opts.profile = value();
    else if (a === '--cluster-id') opts.clusterId = value();
    else if (a === '--json') json = true;
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return { opts, json };
}

async function main(): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  let stopRequested: (() => void) | undefined;
  const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve));
  let signalled = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (signalled) return;
      signalled = true;
      stopRequested?.();
    });
  }
  // Signal listeners do not keep Node's event loop alive, and the cluster's children are unref'd.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const started = Date.now();
  const cluster = await TestCluster.start(args.opts);
  try {
    const info = {
      connectionFile: cluster.connectionFile,
      ipythonDir: cluster.ipythonDir,
      profile: cluster.profile,
      clusterId: cluster.clusterId,
      mode: cluster.mode,
      controllerPid: cluster.controllerPid(),
      enginePids: cluster.enginePids(),
    };
    process.stdout.write(args.json ? `${JSON.stringify(info)}\n` : `${cluster.connectionFile}\n`);
    process.stderr.write(
      `cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s (${cluster.mode}, ${info.enginePids.length} engines, ` +
        `IPYTHONDIR=${cluster.ipythonDir}); stop with Ctrl-C or SIGTERM\n`,
    );
    if (signalled) stopRequested?.();
    await stopSignal;
  } finally {
    process.stderr.write('stopping the cluster\n');
    await cluster.stop();
    clearInterval(keepAlive);
  }
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
