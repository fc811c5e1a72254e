/** The cluster itself: start and stop a local one, shut one down, queue status, and the Engines view. */
import * as vscode from 'vscode';
import {
  EnginesRequest,
  InterruptRequest,
  OutputRequest,
  QueueStatusRequest,
  ShutdownRequest,
  TasksRequest,
  type QueueStatus,
} from '../../shared/protocol';
import type { Ctx } from '../ctx';
import { CancelledError, UserError } from '../errors';
import { Commands } from '../ids';
import { LocalCluster } from '../localCluster';
import { clusterName } from '../statusText';
import { selectedNodes, type EngineNode } from '../views/nodes';
import { findPython } from './clusterPython';
import { connectWithProgress } from './connection';
import { registerCommand } from './register';

export interface StartLocalClusterOptions {
  engines?: number;
  /** ms to wait for the engines after connecting (default 60 s). */
  timeoutMs?: number;
}

async function askEngineCount(): Promise<number> {
  const value = await vscode.window.showInputBox({
    title: vscode.l10n.t('Start a local IPython Parallel cluster'),
    prompt: vscode.l10n.t('How many engines?'),
    value: '2',
    validateInput: (v) => (/^\d+$/.test(v.trim()) && +v >= 1 && +v <= 256 ? undefined : vscode.l10n.t('A whole number from 1 to 256')),
  });
  if (value === undefined) throw new CancelledError();
  return Number(value.trim());
}

/** Resolves when the model has at least `n` engines, or rejects after `timeoutMs`. */
function waitForEngines(ctx: Ctx, n: number, timeoutMs: number, token: vscode.CancellationToken): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (ctx.model.engines.length >= n) finish();
    };
    const sub = ctx.model.onDidChangeEngines(check);
    const cancel = token.onCancellationRequested(() => finish(new CancelledError()));
    const timer = setTimeout(
      () => finish(new UserError(vscode.l10n.t('Only {0} of {1} engines registered within {2} s. See "IPython Parallel (Log)".', ctx.model.engines.length, n, Math.round(timeoutMs / 1000)))),
      timeoutMs,
    );
    function finish(err?: Error) {
      sub.dispose();
      cancel.dispose();
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    }
    check();
  });
}

async function startLocalCluster(ctx: Ctx, options: StartLocalClusterOptions = {}) {
  ctx.requireTrust(vscode.l10n.t('Starting a cluster'));
  if (ctx.localCluster) {
    throw new UserError(vscode.l10n.t('A local cluster ({0}) is already running.', ctx.localCluster.clusterId), { [vscode.l10n.t('Stop Local Cluster')]: Commands.stopLocalCluster });
  }
  const engines = options.engines ?? (await askEngineCount());
  const s = ctx.config.settings;
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Starting a local cluster with {0} engines', engines), cancellable: true },
    async (progress, token) => {
      progress.report({ message: vscode.l10n.t('finding Python with ipyparallel…') });
      const python = await findPython(ctx);
      progress.report({ message: vscode.l10n.t('starting ipcluster…') });
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      const cluster = await LocalCluster.start({
        python,
        engines,
        profile: s.profile,
        ipythonDir: s.ipythonDir || undefined,
        log: ctx.log,
        signal: abort.signal,
      });
      ctx.setLocalCluster(cluster);
      cluster.onDidExit(() => {
        if (ctx.localCluster === cluster) ctx.setLocalCluster(undefined);
        cluster.dispose();
      });
      try {
        progress.report({ message: vscode.l10n.t('connecting…') });
        await connectWithProgress(ctx, { connectionFile: cluster.connectionFile });
        progress.report({ message: vscode.l10n.t('waiting for {0} engines…', engines) });
        await waitForEngines(ctx, engines, options.timeoutMs ?? 60000, token);
      } catch (e) {
        await stopLocalCluster(ctx);
        throw e;
      }
      vscode.window.setStatusBarMessage(vscode.l10n.t('IPython Parallel: local cluster {0} is up with {1} engines', cluster.clusterId, engines), 5000);
      return { clusterId: cluster.clusterId, connectionFile: cluster.connectionFile, engines: ctx.model.engines.length };
    },
  );
}

async function stopLocalCluster(ctx: Ctx): Promise<void> {
  const cluster = ctx.localCluster;
  if (!cluster) throw new UserError(vscode.l10n.t('No local cluster was started from this window.'));
  if (ctx.model.connectionFile === cluster.connectionFile && ctx.model.state !== 'disconnected') await ctx.disconnect();
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Stopping the local cluster…') }, () => cluster.stop());
  ctx.setLocalCluster(undefined);
}

function queueStatusItems(q: QueueStatus): vscode.QuickPickItem[] {
  const rows: vscode.QuickPickItem[] = Object.entries(q.engines)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([id, e]) => ({
      label: vscode.l10n.t('engine {0}', id),
      description: vscode.l10n.t('queue {0} · load-balanced {1} · completed {2}', e.queue, e.tasks, e.completed),
    }));
  rows.push({ label: vscode.l10n.t('unassigned'), description: vscode.l10n.t('{0} load-balanced tasks waiting for an engine', q.unassigned) });
  return rows;
}

export function registerClusterCommands(ctx: Ctx): void {
  registerCommand(ctx, Commands.startLocalCluster, (options?: StartLocalClusterOptions) => startLocalCluster(ctx, options));
  registerCommand(ctx, Commands.stopLocalCluster, () => stopLocalCluster(ctx));
  registerCommand(ctx, Commands.shutdownCluster, async (options?: { confirm?: boolean }) => {
    ctx.requireTrust(vscode.l10n.t('Shutting down the cluster'));
    ctx.requireConnected();
    const name = clusterName(ctx.model.connectionFile);
    if (options?.confirm !== false) {
      const shutDown = vscode.l10n.t('Shut Down');
      const ok = await vscode.window.showWarningMessage(
        vscode.l10n.t('Shut down the cluster "{0}"?', name),
        { modal: true, detail: vscode.l10n.t('This stops its controller and all {0} engines, for every client connected to it.', ctx.model.engines.length) },
        shutDown,
      );
      if (ok !== shutDown) throw new CancelledError();
    }
    await ctx.request0(ShutdownRequest);
    ctx.log.info(`shut down the cluster ${name}`);
    if (ctx.localCluster && ctx.localCluster.connectionFile === ctx.model.connectionFile) await stopLocalCluster(ctx);
  });
  registerCommand(ctx, Commands.showQueueStatus, async () => {
    const q = await ctx.request0(QueueStatusRequest);
    vscode.window.showQuickPick(queueStatusItems(q), { title: vscode.l10n.t('IPython Parallel: queue status'), placeHolder: vscode.l10n.t('Queues on the hub') });
    return q;
  });
  registerCommand(ctx, Commands.refreshEngines, async () => {
    const engines = await ctx.request0(EnginesRequest);
    ctx.model.setEngines(engines);
    return engines.length;
  });
  registerCommand(ctx, Commands.interruptEngine, async (node?: EngineNode, nodes?: EngineNode[]) => {
    const engineIds = selectedNodes(node, nodes).filter((n) => n.kind === 'engine').map((n) => n.engineId);
    if (!engineIds.length) throw new UserError(vscode.l10n.t('Select an engine in the Engines view first.'));
    return ctx.request(InterruptRequest, { engineIds });
  });
  registerCommand(ctx, Commands.showEngineOutput, async (node?: EngineNode) => {
    if (node?.kind !== 'engine') throw new UserError(vscode.l10n.t('Select an engine in the Engines view first.'));
    const runs = (await ctx.request(TasksRequest, {}))
      .filter((r) => r.tasks.some((t) => t.engineId === node.engineId))
      .sort((a, b) => b.created.localeCompare(a.created))
      .slice(0, 5);
    if (!runs.length) {
      vscode.window.showInformationMessage(vscode.l10n.t('Engine {0} has run nothing of ours yet.', node.engineId));
      return 0;
    }
    for (const run of [...runs].reverse()) {
      const result = await ctx.request(OutputRequest, { runId: run.runId });
      ctx.output.showRun(run, result, node.engineId);
    }
    return runs.length;
  });
}
