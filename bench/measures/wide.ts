/**
 * Issue 16's many-engine measure: a cluster of its own with BENCH_WIDE_ENGINES engines (64), where the
 * cluster, not the client, is expected to be the bottleneck. Per client: executes of `pass` on all engines
 * (median of BENCH_WIDE_EXEC_SAMPLES), and print runs (every engine prints BENCH_WIDE_LINES lines) awaited
 * to the last line; with the cluster's share of the CPU over the print runs, the language server's
 * notifications per print run, and its resident memory.
 */
import { TestCluster } from '../../test/integration/harness';
import type { BenchClient, RunSample } from '../clients/benchClient';
import { clusterCpu } from '../clusterCpu';
import { CoreClient } from '../clients/coreClient';
import { LspClient } from '../clients/lspClient';
import { PythonClient, PythonWorker } from '../clients/pythonClient';
import { statusKb } from '../procfs';
import { fmt, type ClientName, type Row } from '../results';
import { median } from '../stats';
import { repeat, type Failure } from './repeat';

export interface WideOptions {
  python: string;
  engines: number;
  reps: number;
  execSamples: number;
  lines: number;
  printSamples: number;
  controllerArgs: string[];
  timeoutMs: number;
  failures: Failure[];
  log: (line: string) => void;
  logFile?: string;
  /** Registers a cleanup (the cluster, the worker, the server), run by the caller's closeAll. */
  onClose: (close: () => Promise<void>) => void;
}

interface WideResult {
  exec: number;
  print: number;
  /** Client CPU per print run, ms. */
  clientCpu: number;
  /** Cluster CPU over the print runs ÷ (cluster + client) CPU. */
  clusterShare: number;
  notifications?: number;
}

/** The code of a print run, and the characters of stdout it produces on one engine. */
export function printRun(lines: number): { code: string; chars: number } {
  let chars = 0;
  for (let i = 0; i < lines; i++) chars += String(i).length + 1;
  return { code: `for i in range(${lines}):\n    print(i)`, chars };
}

const total = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

async function measureOne(c: BenchClient, cluster: TestCluster, o: WideOptions): Promise<WideResult> {
  const exec = await c.runs('pass', 'all', o.execSamples, o.timeoutMs);
  const { code, chars } = printRun(o.lines);
  const before = clusterCpu(cluster);
  const prints: RunSample[] = await c.runs(code, 'all', o.printSamples, o.timeoutMs);
  const clusterMs = total(clusterCpu(cluster)) - total(before);
  for (const p of prints) {
    if (p.chars !== chars * o.engines) throw new Error(`a print run delivered ${p.chars} characters of stdout, not ${chars * o.engines}`);
  }
  const clientMs = prints.reduce((a, p) => a + p.cpuMs, 0);
  const notes = prints.flatMap((p) => (p.notifications === undefined ? [] : [p.notifications]));
  return {
    exec: median(exec.map((s) => s.wallMs)),
    print: median(prints.map((s) => s.wallMs)),
    clientCpu: clientMs / prints.length,
    clusterShare: (100 * clusterMs) / (clusterMs + clientMs),
    notifications: notes.length ? median(notes) : undefined,
  };
}

export async function measureWide(o: WideOptions): Promise<Row[]> {
  const E = o.engines;
  const t0 = Date.now();
  const cluster = await TestCluster.start({ engines: E, mode: 'separate', controllerArgs: o.controllerArgs, python: o.python, startTimeoutMs: 900_000 });
  o.onClose(() => cluster.stop());
  const started = `${E}-engine cluster up in ${((Date.now() - t0) / 1000).toFixed(0)} s`;
  o.log(`  ${started}`);
  const worker = new PythonWorker(o.python);
  o.onClose(() => worker.close());
  const lsp = new LspClient(cluster.connectionFile, E, { logFile: o.logFile });
  o.onClose(() => lsp.close());
  const clients: BenchClient[] = [new CoreClient(cluster.connectionFile, E), lsp, new PythonClient('python', worker, cluster.connectionFile, E, 'execute')];
  const res = await repeat({
    metric: `${E} engines`,
    clients,
    reps: o.reps,
    failures: o.failures,
    log: o.log,
    measure: (c) => measureOne(c, cluster, o),
    after: (c) => c.purgeHub(),
    describe: (r) => `execute on all ${fmt(r.exec)} ms, ${o.lines} lines each ${fmt(r.print)} ms, cluster ${fmt(r.clusterShare)}% of the CPU${r.notifications !== undefined ? `, ${fmt(r.notifications)} notifications` : ''}`,
  });
  const rows: Row[] = [];
  const row = (metric: string, unit: string, client: ClientName, pick: (r: WideResult) => number | undefined, target?: number): void => {
    const values = (res.get(client) ?? []).flatMap((r) => {
      const v = pick(r);
      return v === undefined ? [] : [v];
    });
    const ours = client === 'core' || client === 'lsp';
    rows.push({ metric, client, unit, values, ratioVs: 'python', target: ours && target !== undefined ? { kind: 'ratio', op: '<=', value: target, vs: 'python' } : undefined });
  };
  const names: ClientName[] = ['core', 'lsp', 'python'];
  for (const n of names) row(`${E} engines: execute on all`, `ms, median of ${o.execSamples}`, n, (r) => r.exec, 1.0);
  for (const n of names) row(`${E} engines: ${o.lines} printed lines on every engine, to the last line`, `ms, median of ${o.printSamples}`, n, (r) => r.print, 1.0);
  for (const n of names) row(`${E} engines: client CPU per print run`, 'ms', n, (r) => r.clientCpu);
  for (const n of names) row(`${E} engines: cluster's share of the CPU during the print runs`, '%', n, (r) => r.clusterShare);
  rows[rows.length - 1].note = `${started}; print runs: \`for i in range(${o.lines}): print(i)\` on all engines, awaited until every engine's reply and idle status arrived (for lsp: until ipp/tasksChanged reported the run ended, after its last ipp/output, as the editor follows it); client CPU for lsp is the server's plus the driving process's`;
  row(`${E} engines: notifications per print run`, 'count', 'lsp', (r) => r.notifications);
  if (lsp.alive) {
    const peak = statusKb(lsp.server.pid, 'VmHWM') / 1024;
    const now = statusKb(lsp.server.pid, 'VmRSS') / 1024;
    rows.push({ metric: `${E} engines: server RSS`, client: 'server', unit: 'MB', values: [now], note: `${E} engines: the server's resident memory after every repetition ${fmt(now)} MB, its peak ${fmt(peak)} MB` });
    rows.push({ metric: `${E} engines: server peak RSS`, client: 'server', unit: 'MB', values: [peak] });
  }
  return rows;
}
