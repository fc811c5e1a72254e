/** Connect, disconnect, the language server, the actions quick pick, and the output channels. */
import * as vscode from 'vscode';
import { ListClustersRequest, type ConnectParams, type ConnectResult, type FoundCluster } from '../../shared/protocol';
import type { Ctx } from '../ctx';
import { CancelledError, UserError } from '../errors';
import { Commands } from '../ids';
import { connectParamsFromSettings } from '../settings';
import { sessionPickTexts, targetName } from '../sessions';
import { clusterName } from '../statusText';
import { registerCommand } from './register';

interface ClusterPick extends vscode.QuickPickItem {
  params?: ConnectParams;
  browse?: boolean;
}

function age(ms: number): string {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 90) return vscode.l10n.t('just now');
  if (s < 5400) return vscode.l10n.t('{0} min ago', Math.round(s / 60));
  if (s < 129600) return vscode.l10n.t('{0} h ago', Math.round(s / 3600));
  return vscode.l10n.t('{0} days ago', Math.round(s / 86400));
}

export function clusterPickItem(c: FoundCluster): ClusterPick {
  const engines = c.engineCount !== undefined ? `${vscode.l10n.t('{0} engines', c.engineCount)} · ` : '';
  return {
    label: c.clusterId ? c.clusterId : vscode.l10n.t('default cluster'),
    iconPath: new vscode.ThemeIcon('server-process'),
    description: vscode.l10n.t('profile {0} · {1}{2}', c.profile, engines, age(c.modified)),
    detail: c.connectionFile,
    params: { connectionFile: c.connectionFile },
  };
}

/** The argument forms Connect accepts: none (ask), ConnectParams, a path, or a Uri (from the explorer). */
function paramsFromArg(arg: unknown): ConnectParams | undefined {
  if (typeof arg === 'string' && arg) return { connectionFile: arg };
  if (arg instanceof vscode.Uri) return { connectionFile: arg.fsPath };
  if (arg && typeof arg === 'object' && ('connectionFile' in arg || 'profile' in arg || 'clusterId' in arg)) return arg as ConnectParams;
  return undefined;
}

async function pickCluster(ctx: Ctx): Promise<ConnectParams> {
  const s = ctx.config.settings;
  const qp = vscode.window.createQuickPick<ClusterPick>();
  qp.title = vscode.l10n.t('Connect to an IPython Parallel cluster');
  qp.placeholder = vscode.l10n.t('Pick a cluster found in your IPython profiles, or browse for a connection file');
  qp.busy = true;
  qp.matchOnDescription = qp.matchOnDetail = true;
  const fixed: ClusterPick[] = [
    { label: vscode.l10n.t('Browse for a connection file…'), iconPath: new vscode.ThemeIcon('folder-opened'), browse: true, alwaysShow: true },
  ];
  if (s.connectionFile || s.clusterId || s.profile !== 'default') {
    const params = connectParamsFromSettings(s);
    fixed.unshift({
      label: vscode.l10n.t('From settings'),
      iconPath: new vscode.ThemeIcon('settings-gear'),
      description: 'connectionFile' in params
        ? params.connectionFile
        : s.clusterId
          ? vscode.l10n.t('profile {0}, cluster {1}', s.profile, s.clusterId)
          : vscode.l10n.t('profile {0}', s.profile),
      params,
      alwaysShow: true,
    });
  }
  qp.items = fixed;
  ctx
    .request(ListClustersRequest, s.ipythonDir ? { ipythonDir: s.ipythonDir } : {})
    .then((found) => {
      const items: ClusterPick[] = found.map(clusterPickItem);
      if (items.length) items.unshift({ label: vscode.l10n.t('Clusters found'), kind: vscode.QuickPickItemKind.Separator });
      qp.items = [...items, { label: '', kind: vscode.QuickPickItemKind.Separator }, ...fixed];
      if (!found.length) qp.placeholder = vscode.l10n.t('No clusters found in your IPython profiles: browse for a connection file');
    })
    .catch((e) => ctx.log.warn(`ipp/listClusters: ${e instanceof Error ? e.message : String(e)}`))
    .finally(() => (qp.busy = false));
  const choice = await new Promise<ClusterPick | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (!choice) throw new CancelledError();
  if (choice.params) return choice.params;
  const uris = await vscode.window.showOpenDialog({
    title: vscode.l10n.t('Connection file (ipcontroller-client.json)'),
    canSelectMany: false,
    filters: { [vscode.l10n.t('Connection files')]: ['json'] },
    openLabel: vscode.l10n.t('Connect'),
  });
  if (!uris?.length) throw new CancelledError();
  return { connectionFile: uris[0].fsPath };
}

/** Connects the active session, or with `sessionId` opens another session (Connect Another Cluster). */
export async function connectWithProgress(ctx: Ctx, params: ConnectParams, sessionId?: string): Promise<ConnectResult> {
  const where = 'connectionFile' in params ? clusterName(params.connectionFile) : params.profile ?? 'default';
  // The security warnings are shown by ctx.connect, the one path every connect takes.
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Connecting to {0}…', where) }, () => ctx.connect(params, sessionId));
}

/**
 * Connects beside the clusters already open: a new session, made active. A cluster already open is
 * made active instead of being connected twice; with nothing connected, this is a plain connect.
 */
export async function connectAnother(ctx: Ctx, params: ConnectParams): Promise<ConnectResult | undefined> {
  if (!ctx.model.connected) return connectWithProgress(ctx, params);
  const open = 'connectionFile' in params ? ctx.sessions.findByFile(params.connectionFile) : undefined;
  if (open !== undefined) {
    await ctx.sessionsCtl.activate(open);
    vscode.window.setStatusBarMessage(vscode.l10n.t('IPython Parallel: {0} was already connected; it is now the active cluster', targetName(params)), 4000);
    return undefined;
  }
  return connectWithProgress(ctx, params, ctx.sessions.newId(params));
}

interface SessionPick extends vscode.QuickPickItem {
  sessionId: string;
  active: boolean;
}

/** Switch Active Cluster: a quick pick of the open sessions; runs and views then use the one picked. */
async function switchCluster(ctx: Ctx, sessionId?: unknown): Promise<string | undefined> {
  if (typeof sessionId === 'string' && sessionId) {
    await ctx.sessionsCtl.activate(sessionId);
    return sessionId;
  }
  const items: SessionPick[] = sessionPickTexts(await ctx.sessionsCtl.list()).map((t) => ({
    ...t,
    iconPath: new vscode.ThemeIcon(t.active ? 'check' : 'server-process'),
  }));
  if (!items.length) {
    throw new UserError(vscode.l10n.t('Not connected to an IPython Parallel cluster.'), { [vscode.l10n.t('Connect…')]: Commands.connect });
  }
  const pick = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Switch Active Cluster'),
    placeHolder: vscode.l10n.t('Runs, the keybinding, hover and completion use the active cluster'),
    matchOnDetail: true,
  });
  if (!pick) return undefined;
  if (!pick.active) await ctx.sessionsCtl.activate(pick.sessionId);
  return pick.sessionId;
}

interface ActionPick extends vscode.QuickPickItem {
  command: string;
}

function actionItems(ctx: Ctx): ActionPick[] {
  const m = ctx.model;
  const trusted = vscode.workspace.isTrusted;
  const items: ActionPick[] = [];
  const add = (when: boolean, icon: string, label: string, command: string) => {
    if (when) items.push({ label, iconPath: new vscode.ThemeIcon(icon), command });
  };
  add(!m.connected, 'plug', vscode.l10n.t('Connect to Cluster…'), Commands.connect);
  add(m.connected, 'plug', vscode.l10n.t('Connect Another Cluster…'), Commands.connectAnother);
  add(ctx.sessions.several, 'arrow-swap', vscode.l10n.t('Switch Active Cluster…'), Commands.switchCluster);
  add(!ctx.localCluster && trusted, 'play', vscode.l10n.t('Start Local Cluster…'), Commands.startLocalCluster);
  add(m.connected && trusted, 'run-all', vscode.l10n.t('Run Selection or Line'), Commands.runSelection);
  add(m.connected && trusted, 'run', vscode.l10n.t('Run Cell'), Commands.runCell);
  add(m.connected && trusted, 'file-code', vscode.l10n.t('Run File'), Commands.runFile);
  add(m.hasRunningTasks, 'circle-slash', vscode.l10n.t('Abort All'), Commands.abortAll);
  add(m.hasRunningTasks, 'debug-pause', vscode.l10n.t('Interrupt All'), Commands.interruptAll);
  add(m.connected, 'list-ordered', vscode.l10n.t('Show Queue Status'), Commands.showQueueStatus);
  add(m.connected, 'trash', vscode.l10n.t('Purge Results'), Commands.purgeResults);
  add(true, 'output', vscode.l10n.t('Show Output'), Commands.showOutput);
  add(true, 'list-flat', vscode.l10n.t('Show Log'), Commands.showLog);
  add(m.connected, 'debug-disconnect', vscode.l10n.t('Disconnect'), Commands.disconnect);
  add(!!ctx.localCluster, 'debug-stop', vscode.l10n.t('Stop Local Cluster'), Commands.stopLocalCluster);
  add(m.connected && trusted, 'close-all', vscode.l10n.t('Shut Down Cluster…'), Commands.shutdownCluster);
  add(true, 'refresh', vscode.l10n.t('Restart Language Server'), Commands.restartServer);
  return items;
}

export function registerConnectionCommands(ctx: Ctx): void {
  registerCommand(ctx, Commands.connect, async (arg?: unknown) => {
    const params = paramsFromArg(arg) ?? (await pickCluster(ctx));
    const result = await connectWithProgress(ctx, params);
    vscode.window.setStatusBarMessage(vscode.l10n.t('IPython Parallel: connected, {0} engines', result.engines.length), 4000);
    return result;
  });
  registerCommand(ctx, Commands.connectAnother, async (arg?: unknown) => connectAnother(ctx, paramsFromArg(arg) ?? (await pickCluster(ctx))));
  registerCommand(ctx, Commands.switchCluster, (arg?: unknown) => switchCluster(ctx, arg));
  registerCommand(ctx, Commands.disconnect, () => ctx.disconnect());
  registerCommand(ctx, Commands.restartServer, () => ctx.restartServer());
  registerCommand(ctx, Commands.showActions, async () => {
    const pick = await vscode.window.showQuickPick(actionItems(ctx), { title: 'IPython Parallel', placeHolder: vscode.l10n.t('Choose an action') });
    if (pick) await vscode.commands.executeCommand(pick.command);
  });
  registerCommand(ctx, Commands.showOutput, () => ctx.output.showChannel());
  registerCommand(ctx, Commands.showLog, () => ctx.log.show(true));
}
