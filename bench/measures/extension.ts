/**
 * The extension's cost to the editor, measured in a real extension host (code-server's VS Code server,
 * driven by the e2e harness), one fresh host per repetition: activation with the language server not
 * started, and the first use (Connect to a cluster: the language client loads, the server starts and
 * connects) against Python's connect to the same cluster. Also the bundle sizes and, when packaged
 * here, every per-target .vsix.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { prepareWorkspace, runExtensionHostTests } from '../../test/e2e/harness';
import { TestCluster } from '../../test/integration/harness';
import { REPO_ROOT } from '../clients/lspClient';
import { PYTHON_DIR } from '../clients/pythonClient';
import type { Row } from '../results';
import { fmt } from '../results';
import { timeToLine } from './connect';
import type { Failure } from './repeat';

/** Issue 15: the bundles together well under half of the 1,040 + 596 KiB before the lean start-up. */
const BUNDLE_TARGET_KIB = (1040 + 596) / 2;
const FIRST_USE = 'first use to connected';

interface Opts {
  reps: number;
  failures: Failure[];
  log: (line: string) => void;
  /** A Python with ipyparallel: the first-use measure starts a 2-engine cluster with it. */
  python?: string;
  /** Package every target into .cache/bench/vsix and report the sizes (slow: one vsce run each). */
  packages?: boolean;
}

function bundleRows(failures: Failure[]): Row[] {
  const rows: Row[] = [];
  let total = 0;
  // dist/server.js is the language server and, loaded on first use (not at activation), the language client.
  for (const file of ['dist/extension.js', 'dist/server.js']) {
    const path = join(REPO_ROOT, file);
    if (!existsSync(path)) {
      failures.push({ metric: 'bundle size', client: 'extension', message: `${file} is missing (npm run build)` });
      continue;
    }
    total += statSync(path).size / 1024;
    rows.push({ metric: `bundle size, ${file}`, client: 'extension', unit: 'KiB', values: [statSync(path).size / 1024] });
  }
  rows.push({
    metric: 'bundle size, dist/*.js in all',
    client: 'extension',
    unit: 'KiB',
    values: [total],
    target: { kind: 'absolute', op: '<', value: BUNDLE_TARGET_KIB },
    note: `bundle sizes: minified esbuild bundles; the target is half of the 1,040 + 596 KiB before the lean start-up (issue 15)`,
  });
  return rows;
}

async function packageRows(opts: Opts): Promise<Row[]> {
  const outDir = join(REPO_ROOT, '.cache', 'bench', 'vsix');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  try {
    const lib = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'package.mjs')).href)) as {
      buildAll(o: { outDir: string; build: boolean; quiet: boolean }): Promise<{ target: string; bytes: number; addon: string; addonBytes: number }[]>;
    };
    const done = await lib.buildAll({ outDir, build: false, quiet: true });
    for (const v of done) opts.log(`  package · ${v.target}: ${fmt(v.bytes / 1024)} KiB (addon ${v.addon}, ${fmt(v.addonBytes / 1024)} KiB)`);
    return done.map((v) => ({
      metric: `package size, ${v.target}.vsix`,
      client: 'extension',
      unit: 'KiB',
      values: [v.bytes / 1024],
      note: 'package sizes: npm run package (one .vsix per target, each with the one zeromq addon its loader picks there)',
    }));
  } catch (e) {
    opts.failures.push({ metric: 'package size', client: 'extension', message: e instanceof Error ? e.message : String(e) });
    return [];
  } finally {
    if (existsSync(outDir) && readdirSync(outDir).length === 0) rmSync(outDir, { recursive: true, force: true });
  }
}

type Report = NonNullable<Awaited<ReturnType<typeof runExtensionHostTests>>['report']>;

/** One fresh extension host; one retry (the host occasionally fails to load the extension under load). */
async function hostRun(workspace: string, env: Record<string, string>): Promise<Report['tests']> {
  let lastConsole: string[] = [];
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await runExtensionHostTests(join(__dirname, '..', 'e2e', 'activationSuite.js'), workspace, { timeoutMs: 180_000, env });
    const tests = res.report?.tests;
    if (tests?.[0]?.durationMs !== undefined) return tests;
    lastConsole = res.console;
  }
  const errors = lastConsole.filter((l) => /error/i.test(l)).slice(-2);
  throw new Error(`the activation suite failed twice: ${errors.join(' | ') || lastConsole.slice(-2).join(' | ')}`);
}

export async function measureExtension(opts: Opts): Promise<Row[]> {
  const rows = bundleRows(opts.failures);
  if (opts.packages) rows.push(...(await packageRows(opts)));
  const activation: number[] = [];
  const firstUse: number[] = [];
  const pythonConnect: number[] = [];
  let note: string | undefined;
  let cluster: TestCluster | undefined;
  try {
    if (opts.python) {
      // As the bench's own cluster: a controller and engines started apart (not through ipcluster).
      try {
        cluster = await TestCluster.start({ engines: 2, mode: 'separate', python: opts.python });
      } catch (e) {
        opts.failures.push({ metric: FIRST_USE, client: 'extension', message: `no cluster to connect to: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
    const env: Record<string, string> = cluster ? { IPP_BENCH_CONNECTION_FILE: cluster.connectionFile } : {};
    const workspace = await prepareWorkspace();
    try {
      for (let rep = 0; rep < opts.reps; rep++) {
        const [act, use] = await hostRun(workspace, env);
        if (act.state === 'failed') throw new Error(act.error);
        if (act.title === 'already active') note = 'the extension was already active when the suite ran: the time is not an activation';
        activation.push(act.durationMs ?? NaN);
        let line = `  activation · rep ${rep + 1}/${opts.reps}: ${fmt(act.durationMs ?? NaN)} ms`;
        if (cluster) {
          if (use?.state !== 'passed' || use.durationMs === undefined) throw new Error(`first use: ${use?.error ?? 'no result'}`);
          firstUse.push(use.durationMs);
          const py = await timeToLine(opts.python as string, [join(PYTHON_DIR, 'connect_probe.py'), cluster.connectionFile]);
          pythonConnect.push(py.ms);
          line += `; first use to connected ${fmt(use.durationMs)} ms (python connect ${fmt(py.ms)} ms)`;
        }
        opts.log(line);
      }
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    opts.failures.push({ metric: 'activation', client: 'extension', message });
    opts.log(`  activation · FAILED: ${message}`);
  } finally {
    await cluster?.stop();
  }
  rows.push({
    metric: 'activation time',
    client: 'extension',
    unit: 'ms',
    values: activation,
    target: { kind: 'absolute', op: '<=', value: 50 },
    note: note ?? 'activation: extensions.getExtension(id).activate() in a fresh code-server extension host (loads dist/extension.js and awaits activate()); the suite fails the row if the language server started',
  });
  if (cluster) {
    rows.push(
      {
        metric: FIRST_USE,
        client: 'extension',
        unit: 'ms',
        values: firstUse,
        ratioVs: 'python',
        target: { kind: 'ratio', op: '<=', value: 0.3, vs: 'python' },
        note: 'first use: in the same fresh host right after activation, executeCommand("ipyparallel.connect", { connectionFile }) until it resolves connected: loads the language client from dist/server.js, spawns dist/server.js, initialize, ipp/connect',
      },
      {
        metric: FIRST_USE,
        client: 'python',
        unit: 'ms',
        values: pythonConnect,
        note: 'python: interpreter start, import ipyparallel, Client(connection file), right after each extension-host repetition on the same 2-engine cluster',
      },
    );
  }
  return rows;
}
