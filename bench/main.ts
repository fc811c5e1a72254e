/**
 * `npm run bench`: starts a 2-engine cluster, measures our core client, our language server and
 * ipyparallel's Python Client on it, prints a Markdown table and writes bench/results/latest.md.
 * Progress goes to stderr, the table to stdout. Everything started here is stopped on exit and on
 * SIGINT/SIGTERM. Settings: see config.ts (BENCH_* environment variables).
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { TestCluster, findIpyparallelPython } from '../test/integration/harness';
import type { BenchClient } from './clients/benchClient';
import { clusterCpu } from './clusterCpu';
import { CoreClient } from './clients/coreClient';
import { LspClient, REPO_ROOT, SERVER_JS } from './clients/lspClient';
import { PythonClient, PythonWorker } from './clients/pythonClient';
import { loadConfig, METRIC_GROUPS, wants } from './config';
import { machineFacts } from './machine';
import { measureConnect } from './measures/connect';
import { measureFirstOutput, measureLatency, measureThroughput, type Context } from './measures/execution';
import { measureExtension } from './measures/extension';
import { measureGuiLatency } from './measures/guiLatency';
import type { Failure } from './measures/repeat';
import { measureScale } from './measures/scale';
import { measureSoak } from './measures/soak';
import { measureTimeline } from './measures/timeline';
import { measureBigOutput } from './measures/bigOutput';
import { measureWide } from './measures/wide';
import { profileJobs, runProfiles } from './profile/run';
import { consoleReport, writeLatest } from './report';
import { judge, type Row } from './results';

const LATEST = join(REPO_ROOT, 'bench', 'results', 'latest.md');
const SERVER_LOG = join(REPO_ROOT, '.cache', 'bench', 'server.log');

const closers: (() => Promise<void>)[] = [];
let closing: Promise<void> | undefined;

/** Stops everything started so far, newest first. Never throws; runs once. */
function closeAll(): Promise<void> {
  closing ??= (async () => {
    for (const close of closers.reverse()) await close().catch((e: unknown) => log(`cleanup: ${e instanceof Error ? e.message : String(e)}`));
  })();
  return closing;
}

const T0 = Date.now();

/** Progress on stderr; phase lines ("bench: ...") carry the elapsed time. */
function log(line: string): void {
  const stamp = line.startsWith('bench:') ? `[${((Date.now() - T0) / 60_000).toFixed(1)} min] ` : '';
  process.stderr.write(`${stamp}${line}\n`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const started = new Date();
  const t0 = Date.now();
  const python = findIpyparallelPython();
  const machine = machineFacts(python);
  const failures: Failure[] = [];
  const rows: Row[] = [];
  /** Profile and heap summaries for the report. */
  const profiles: string[] = [];
  const haveServer = existsSync(SERVER_JS);
  if (!haveServer) failures.push({ metric: 'all', client: 'lsp', message: `${SERVER_JS} is missing: run npm run build` });

  const controllerArgs = [`--DictDB.record_limit=${config.recordLimit}`];
  let taskScheme = '?';
  const clusterGroups = METRIC_GROUPS.filter((g) => g !== 'extension' && g !== 'timeline' && g !== 'wide' && g !== 'gui');
  if (clusterGroups.some((g) => wants(config, g))) {
    log(`bench: starting a ${config.engines}-engine cluster (${controllerArgs.join(' ')})`);
    const cluster = await TestCluster.start({ engines: config.engines, mode: 'separate', controllerArgs, python });
    closers.push(() => cluster.stop());
    const connectionFile = cluster.connectionFile;
    const engineIds = Object.keys(await cluster.registeredEngines()).map(Number).sort((a, b) => a - b);
    taskScheme = (JSON.parse(readFileSync(connectionFile, 'utf8')) as { task_scheme?: string }).task_scheme ?? '?';

    const worker = new PythonWorker(python);
    closers.push(() => worker.close());
    const core = new CoreClient(connectionFile, config.engines);
    closers.push(() => core.close());
    const lsp = new LspClient(connectionFile, config.engines, { logFile: SERVER_LOG });
    closers.push(() => lsp.close());
    const py = new PythonClient('python', worker, connectionFile, config.engines, 'execute');
    const pyApply = new PythonClient('python (apply)', worker, connectionFile, config.engines, 'apply');
    const ours: BenchClient[] = haveServer ? [core, lsp] : [core];
    const ctx: Context = { reps: config.reps, failures, log, engineId: engineIds[0], timeoutMs: config.timeoutMs, clusterCpu: () => clusterCpu(cluster) };

    if (wants(config, 'latency')) {
      log('bench: latency');
      rows.push(...(await measureLatency(ctx, [...ours, py], config.latencySamples)));
    }
    if (wants(config, 'output')) {
      log('bench: first output');
      rows.push(...(await measureFirstOutput(ctx, haveServer ? [core, lsp] : [core], config.outputSamples)));
    }
    if (wants(config, 'lb')) {
      log(`bench: ${config.lbTasks} load-balanced tasks`);
      rows.push(...(await measureThroughput(ctx, [...ours, py, pyApply], { kind: 'lb', n: config.lbTasks })));
    }
    if (wants(config, 'all')) {
      log(`bench: ${config.allExecutes} executes on all engines`);
      rows.push(...(await measureThroughput(ctx, [...ours, py], { kind: 'all', n: config.allExecutes })));
    }
    if (wants(config, 'connect')) {
      log('bench: connect time');
      rows.push(...(await measureConnect({ reps: config.reps, connectionFile, python, failures, log })));
    }
    if (wants(config, 'big') && config.bigMb > 0 && haveServer) {
      log(`bench: one task printing ${config.bigMb} MB`);
      rows.push(...(await measureBigOutput({ connectionFile, engines: config.engines, engineId: engineIds[0], mb: config.bigMb, reps: config.reps, core, python: py, timeoutMs: config.timeoutMs, failures, log, logFile: SERVER_LOG })));
    }
    if (wants(config, 'scale') && config.scaleTasks > 0 && haveServer) {
      log(`bench: scale, ${config.scaleTasks} tracked tasks in the server`);
      rows.push(...(await measureScale({ connectionFile, engines: config.engines, tasks: config.scaleTasks, reps: config.reps, timeoutMs: config.timeoutMs, failures, log, logFile: SERVER_LOG, wave: config.scaleWave, settleMs: config.scaleSettleMs, heap: config.profile, profiles })));
    }
    if (wants(config, 'soak') && config.soakTasks > 0) {
      log(`bench: soak, ${config.soakTasks} tasks with an engine killed halfway`);
      const byName: Record<string, BenchClient | undefined> = { core, lsp: haveServer ? lsp : undefined, python: py };
      const clients = config.soakClients.map((n) => byName[n]).filter((c): c is BenchClient => c !== undefined);
      rows.push(...(await measureSoak({ cluster, clients, tasks: config.soakTasks, engines: config.engines, timeoutMs: config.timeoutMs, failures, log })));
    }
  }
  // The cluster is no longer needed: free the CPUs (and memory) for the next cluster and code-server.
  await closeAll();
  closers.length = 0;
  closing = undefined;
  if (wants(config, 'wide') && config.wideEngines > 0 && haveServer) {
    log(`bench: starting a ${config.wideEngines}-engine cluster for the many-engine measure (BENCH_WIDE_ENGINES=0 skips it)`);
    const wide = { engines: config.wideEngines, reps: config.wideReps, execSamples: config.wideExecSamples, lines: config.wideLines, printSamples: config.widePrintSamples };
    rows.push(...(await measureWide({ python, ...wide, controllerArgs, timeoutMs: config.timeoutMs, failures, log, logFile: SERVER_LOG, onClose: (c) => closers.push(c) })));
    await closeAll();
    closers.length = 0;
    closing = undefined;
  }
  if (wants(config, 'extension') && config.activationReps > 0) {
    log('bench: extension bundle and activation');
    rows.push(...(await measureExtension({ reps: config.activationReps, failures, log, python, packages: config.packages })));
  }
  if (wants(config, 'timeline') && config.timelineTasks > 0) {
    log(`bench: task timeline webview, ${config.timelineTasks} synthetic tasks over 64 engines`);
    rows.push(...(await measureTimeline({ reps: Math.min(config.reps, 3), tasks: config.timelineTasks, engines: 64, failures, log })));
  }
  if (wants(config, 'gui') && config.guiPresses > 0) {
    log(`bench: GUI latency, ${config.guiPresses} presses of Ctrl+Alt+Enter per surface (${config.guiSurfaces.join(', ')})`);
    rows.push(...(await measureGuiLatency({ presses: config.guiPresses, surfaces: config.guiSurfaces, python, failures, log })));
  }

  const judged = judge(rows);
  const jobs = config.profile === 'never' ? [] : profileJobs(judged, config.profile === 'always').filter((j) => haveServer || j.client === 'core');
  if (jobs.length > 0) {
    log(`bench: profiling ${jobs.length} missed target(s)`);
    const pcluster = await TestCluster.start({ engines: config.engines, mode: 'separate', controllerArgs, python });
    closers.push(() => pcluster.stop());
    const pEngines = Object.keys(await pcluster.registeredEngines()).map(Number).sort((a, b) => a - b);
    const summaries = await runProfiles(jobs, {
      connectionFile: pcluster.connectionFile,
      engines: config.engines,
      engineId: pEngines[0],
      // Half-size runs: enough samples for a profile, and the bench stays within its time budget.
      sizes: { latency: Math.ceil(config.latencySamples / 2), lb: Math.ceil(config.lbTasks / 2), all: Math.ceil(config.allExecutes / 2), big: config.bigMb },
      log,
    });
    profiles.push(...summaries);
    await closeAll();
  }

  process.stdout.write(`\n${consoleReport(judged, failures)}\n`);
  if (profiles.length > 0) process.stdout.write(`\n${profiles.join('\n\n')}\n`);
  if (config.write) {
    writeLatest(LATEST, {
      started,
      durationMs: Date.now() - t0,
      config,
      machine,
      loadAfter: loadavg().map((l) => l.toFixed(2)).join(' '),
      cluster: { engines: config.engines, mode: 'separate', controllerArgs, taskScheme },
      judged,
      failures,
      profiles,
    });
    log(`bench: wrote ${LATEST} (${((Date.now() - t0) / 60_000).toFixed(1)} min)`);
  }
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    log(`bench: ${sig}, stopping the cluster and every process started`);
    closeAll().finally(() => process.exit(130));
  });
}

main()
  .catch((e: unknown) => {
    log(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  })
  .finally(() => closeAll().then(() => process.exit()));
