/**
 * The Clusters view and its actions: Start…, Stop, Connect, Disconnect, Add engines, Open log, Copy
 * connection snippet, Remove stale files. Each takes the view's node, or `{ profileDir, clusterId }`
 * (the extension-host tests and keybindings pass that).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { removeStaleClusterFiles } from '../../core/protocol/clusterRecords';
import { ClustersRequest, type ClusterInfo, type ClustersParams } from '../../shared/protocol';
import { asDisposable, type Ctx } from '../ctx';
import { CancelledError, UserError } from '../errors';
import { Commands, Views } from '../ids';
import { addEnginesArgs, connectionSnippet, restartEnginesArgs, restartResult, runPython, stopArgs, tail } from '../ipcluster';
import { clusterKey, clusterLabel, lostOf, type ClusterNode } from '../views/clusterItems';
import { ClustersTree, clustersParams } from '../views/clustersTree';
import { findPython } from './clusterPython';
import { connectAnother } from './connection';
import { registerCommand } from './register';
import { startCluster, type StartClusterArgs } from './startCluster';

type ClusterArg = ClusterNode | { profileDir: string; clusterId: string } | undefined;

/** The cluster an action is for, as listed now. */
async function resolve(tree: ClustersTree, arg: ClusterArg): Promise<ClusterInfo> {
  if (!arg) throw new UserError(vscode.l10n.t('Pick a cluster in the Clusters view first.'));
  const key = 'kind' in arg ? arg.key : clusterKey(arg);
  const found = (await tree.refresh()).find((c) => clusterKey(c) === key) ?? tree.info(key);
  if (!found) throw new UserError(vscode.l10n.t('That cluster is no longer listed: its files are gone.'));
  return found;
}

/** A command handler for a cluster action: the argument (node or ref) resolved to the cluster as listed now. */
function withCluster<A extends unknown[]>(tree: ClustersTree, fn: (c: ClusterInfo, ...rest: A) => unknown) {
  return async (arg: ClusterArg, ...rest: A) => fn(await resolve(tree, arg), ...rest);
}

/** Resolves once the cluster no longer runs (re-listing every 250 ms), or after `timeoutMs`. */
async function waitUntilStopped(tree: ClustersTree, key: string, timeoutMs: number): Promise<ClusterInfo | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = (await tree.refresh()).find((c) => clusterKey(c) === key);
    if (!now || (now.state !== 'running' && now.livePids.length === 0) || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function pythonFor(ctx: Ctx, c: ClusterInfo): Promise<string> {
  return c.python ?? (await findPython(ctx));
}

async function stop(ctx: Ctx, tree: ClustersTree, c: ClusterInfo): Promise<ClusterInfo | undefined> {
  ctx.requireTrust(vscode.l10n.t('Stopping a cluster'));
  if (c.state !== 'running' && c.livePids.length === 0) throw new UserError(vscode.l10n.t('{0} is not running.', clusterLabel(c)));
  await disconnectFrom(ctx, c);
  const own = ctx.localCluster;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Stopping {0}…', clusterLabel(c)) }, async () => {
    if (own && c.connectionFile === own.connectionFile) {
      await own.stop();
      ctx.setLocalCluster(undefined);
      return;
    }
    const python = await pythonFor(ctx, c);
    const args = stopArgs(c);
    ctx.log.info(`stopping ${clusterLabel(c)}: ${python} ${args.join(' ')}`);
    const r = await runPython(python, args, 60000);
    if (r.code !== 0) throw new UserError(vscode.l10n.t('ipcluster stop failed ({0}) for {1}:\n{2}', r.code ?? vscode.l10n.t('timed out'), clusterLabel(c), tail(r.stderr || r.stdout)));
  });
  const after = await waitUntilStopped(tree, clusterKey(c), 30000);
  if (after && after.livePids.length > 0) ctx.log.warn(`${clusterLabel(c)}: processes ${after.livePids.join(', ')} still run after stop`);
  return after;
}

/** Disconnects the session connected to this cluster, which need not be the active one. */
async function disconnectFrom(ctx: Ctx, c: ClusterInfo): Promise<void> {
  const session = c.connectionFile ? ctx.sessions.findByFile(c.connectionFile) : undefined;
  if (session !== undefined) await ctx.disconnect(session);
  else if (c.connected) await ctx.disconnect();
}

async function connect(ctx: Ctx, tree: ClustersTree, c: ClusterInfo) {
  if (!c.connectionFile) throw new UserError(vscode.l10n.t('{0} has no client connection file: it is not running.', clusterLabel(c)));
  if (c.state === 'stale') {
    throw new UserError(vscode.l10n.t('{0} is stale: its controller (pid {1}) is gone. Remove its files (Remove Stale Files), or start it again.', clusterLabel(c), c.controllerPid ?? '?'));
  }
  // While connected to another cluster, this one opens beside it (a new session, made active).
  const result = await connectAnother(ctx, { connectionFile: c.connectionFile });
  await tree.refresh();
  return result;
}

async function addEngines(ctx: Ctx, tree: ClustersTree, c: ClusterInfo, n?: number): Promise<number> {
  ctx.requireTrust(vscode.l10n.t('Adding engines'));
  if (c.state !== 'running') throw new UserError(vscode.l10n.t('{0} is not running: start it first.', clusterLabel(c)));
  const count =
    n ??
    Number(
      await vscode.window.showInputBox({
        title: vscode.l10n.t('Add engines to {0} ({1})', clusterLabel(c), c.launcher),
        prompt: vscode.l10n.t('How many engines?'),
        value: '1',
        validateInput: (v) => (/^\d+$/.test(v.trim()) && +v >= 1 && +v <= 1024 ? undefined : vscode.l10n.t('A whole number from 1 to 1024')),
      }),
    );
  if (!count) throw new CancelledError();
  const python = await pythonFor(ctx, c);
  const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Adding {0} engines…', count) }, () =>
    runPython(python, addEnginesArgs(c, count), 120000),
  );
  if (r.code !== 0) throw new UserError(vscode.l10n.t('Adding engines to {0} failed ({1}):\n{2}', clusterLabel(c), r.code ?? vscode.l10n.t('timed out'), tail(r.stderr || r.stdout)));
  await tree.refresh();
  return count;
}

/**
 * Restart Engines: new engines for those of the cluster that died, with its own engine launcher (the
 * Cluster API, as Add Engines). The Engines view shows them as they register with the hub.
 */
async function restartEngines(ctx: Ctx, tree: ClustersTree, c: ClusterInfo): Promise<number> {
  ctx.requireTrust(vscode.l10n.t('Restarting engines'));
  if (c.state !== 'running') throw new UserError(vscode.l10n.t('{0} is not running: start it first.', clusterLabel(c)));
  if (lostOf(c) === 0) throw new UserError(vscode.l10n.t('No engine of {0} has died: all {1} recorded engines run.', clusterLabel(c), c.engineCount));
  const python = await pythonFor(ctx, c);
  const args = restartEnginesArgs(c, c.engineCount);
  ctx.log.info(`restarting ${lostOf(c)} lost engines of ${clusterLabel(c)} (${c.launcher})`);
  const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Restarting engines of {0}…', clusterLabel(c)) }, () =>
    runPython(python, args, 120000),
  );
  const result = restartResult(r.stdout);
  if (r.code !== 0 || !result) throw new UserError(vscode.l10n.t('Restarting engines of {0} failed ({1}):\n{2}', clusterLabel(c), r.code ?? vscode.l10n.t('timed out'), tail(r.stderr || r.stdout)));
  ctx.log.info(`${clusterLabel(c)}: ${result.live} engines ran, ${result.started} started`);
  await tree.refresh();
  return result.started;
}

/** The record's output files that exist, else the newest ipyparallel logs of the profile. */
export function logFilesOf(c: Pick<ClusterInfo, 'logFiles' | 'profileDir'>): string[] {
  const named = c.logFiles.filter((f) => existsSync(f));
  if (named.length) return named;
  const dir = join(c.profileDir, 'log');
  try {
    return readdirSync(dir)
      .filter((f) => /^ip(?:controller|engine|cluster)-.*\.log$/.test(f))
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
      .slice(0, 20);
  } catch {
    return [];
  }
}

async function openLog(c: ClusterInfo): Promise<string> {
  const files = logFilesOf(c);
  if (!files.length) throw new UserError(vscode.l10n.t('{0} has no log files (in the record or in {1}).', clusterLabel(c), join(c.profileDir, 'log')));
  const file = files.length === 1 ? files[0] : (await vscode.window.showQuickPick(files, { title: vscode.l10n.t('Logs of {0}', clusterLabel(c)) }));
  if (!file) throw new CancelledError();
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
  return file;
}

async function removeStale(ctx: Ctx, tree: ClustersTree, c: ClusterInfo, options?: { confirm?: boolean }): Promise<string[]> {
  ctx.requireTrust(vscode.l10n.t('Removing cluster files'));
  if (c.state !== 'stale') throw new UserError(vscode.l10n.t('{0} is {1}, not stale: its files are left alone.', clusterLabel(c), c.state));
  if (options?.confirm !== false) {
    const ok = await vscode.window.showWarningMessage(
      vscode.l10n.t('Remove the files of the stale cluster {0}?', clusterLabel(c)),
      { modal: true, detail: vscode.l10n.t('Its record and connection files in {0} are deleted (logs stay). Its processes ({1}) are gone.', join(c.profileDir, 'security'), c.pids.join(', ') || vscode.l10n.t('none')) },
      'Remove',
    );
    if (ok !== 'Remove') throw new CancelledError();
  }
  const removed = removeStaleClusterFiles(c);
  ctx.log.info(`removed ${removed.join(', ')}`);
  tree.forget(clusterKey(c));
  await tree.refresh();
  return removed;
}

export function registerClustersView(ctx: Ctx): ClustersTree {
  const params = () => clustersParams(ctx.config.settings);
  // Never (re)start the language server while the window shuts down: a late timer or state event lists nothing.
  const list = (p: ClustersParams) => (ctx.disposed ? Promise.resolve([...tree.clusters]) : ctx.request(ClustersRequest, p));
  const tree: ClustersTree = new ClustersTree(list, params, ctx.log);
  const view = vscode.window.createTreeView(Views.clusters, { treeDataProvider: tree });
  ctx.extension.subscriptions.push(
    tree,
    view,
    view.onDidChangeVisibility((e) => tree.setVisible(e.visible)),
    // Connected or not changes the rows' marker; a state change while the server stops must not restart it.
    asDisposable(
      ctx.model.onDidChangeState(() => {
        if (ctx.client?.isRunning() && tree.visible) void tree.refresh();
      }),
    ),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('ipyparallel.extraIpythonDirs') || e.affectsConfiguration('ipyparallel.ipythonDir')) tree.rewatch();
    }),
  );
  tree.setVisible(view.visible);
  const r = <A extends unknown[]>(fn: (c: ClusterInfo, ...rest: A) => unknown) => withCluster(tree, fn);
  registerCommand(ctx, Commands.refreshClusters, () => tree.refresh(true));
  registerCommand(ctx, Commands.startCluster, (args?: StartClusterArgs) => startCluster(ctx, tree, params().ipythonDir, args));
  registerCommand(ctx, Commands.stopCluster, r((c) => stop(ctx, tree, c)));
  registerCommand(ctx, Commands.connectCluster, r((c) => connect(ctx, tree, c)));
  registerCommand(ctx, Commands.disconnectCluster, r(async (c) => {
    await disconnectFrom(ctx, c);
    await tree.refresh();
  }));
  registerCommand(ctx, Commands.addEngines, r((c, n?: number) => addEngines(ctx, tree, c, n)));
  registerCommand(ctx, Commands.restartEngines, r((c) => restartEngines(ctx, tree, c)));
  registerCommand(ctx, Commands.openClusterLog, r((c) => openLog(c)));
  registerCommand(ctx, Commands.copyConnectionSnippet, r(async (c) => {
    const snippet = connectionSnippet(c, params().ipythonDir);
    await vscode.env.clipboard.writeText(snippet);
    vscode.window.setStatusBarMessage(vscode.l10n.t('IPython Parallel: connection snippet copied'), 3000);
    return snippet;
  }));
  registerCommand(ctx, Commands.removeStaleCluster, r((c, options?: { confirm?: boolean }) => removeStale(ctx, tree, c, options)));
  return tree;
}
