/**
 * The one object that owns the extension's state (after rust-analyzer's Ctx). Two lifetimes:
 * - extension-long: config, model, output channels, views, status bar, code lenses, context keys,
 *   commands: everything in `extensionContext.subscriptions`;
 * - connection-long: the language client of one server process and what hangs on it (its
 *   notification handlers): disposed when the server is stopped or restarted by the user.
 * A server that crashes is restarted by the client (RestartPolicy); the cluster connection it held is
 * then re-established from the last connect params.
 * The server starts on first use (startServer(): a request, connect, auto-connect, or our views shown),
 * not at activation; the language client itself is loaded then too (clientModule.ts).
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import {
  ConfirmRedirectRequest,
  ConnectRequest,
  EnginesRequest,
  HistoryRequest,
  ReattachRequest,
  StatusRequest,
  TasksRequest,
  type ConnectParams,
  type ConnectResult,
} from '../shared/protocol';
import { loadClientModule } from './clientModule';
import { Config } from './config';
import { withDeadline } from './deadline';
import { ShownNotices } from './securityNotices';
import { askRedirect, warnSecurity } from './securityWarnings';
import { connectParamsFromSettings, requestDeadlineMs, sshOptionsFromSettings } from './settings';
import { describeError, isResponseError, UserError } from './errors';
import { Channels, ContextKeys, Views } from './ids';
import type { LocalCluster } from './localCluster';
import { KeptRuns } from './keptRuns';
import { ClusterModel } from './model';
import { OutputRouter } from './notebook/router';
import { RunOutput } from './output/outputChannel';
import { RestartPolicy } from './restartPolicy';
import { RunStore } from './runStore';
import { SessionsCtl } from './sessionsCtl';
import { StatusBar } from './statusBar';
import { EnginesTree } from './views/enginesTree';
import type { EnginesTreeNode, TasksTreeNode } from './views/nodes';
import { TasksTree } from './views/tasksTree';

/** How long deactivate() gives the server and the local cluster to stop (they stop side by side). */
const DISPOSE_BOUND_MS = 10_000;

export class Ctx implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly config = new Config();
  readonly model = new ClusterModel();
  /** The language server's sessions (one per cluster): the model mirrors the active one. */
  readonly sessionsCtl: SessionsCtl = new SessionsCtl(this);
  readonly sessions = this.sessionsCtl.sessions;
  readonly output: RunOutput;
  /** Outputs of runs that notebook cells own go to those cells, not to the output channel. */
  readonly outputRouter = new OutputRouter();
  readonly enginesTree: EnginesTree;
  readonly tasksTree: TasksTree;
  readonly enginesView: vscode.TreeView<EnginesTreeNode>;
  readonly tasksView: vscode.TreeView<TasksTreeNode>;
  readonly statusBar: StatusBar;
  /** Runs kept in workspace state, re-attached after a reload, a server restart or a reconnect. */
  readonly keptRuns: KeptRuns;
  readonly #policy = new RestartPolicy();
  readonly #contextValues = new Map<string, unknown>();
  readonly #shownNotices = new ShownNotices();

  #client: LanguageClient | undefined;
  #connection: vscode.Disposable[] = [];
  #starting: Promise<LanguageClient> | undefined;
  /** What to reconnect to if the server restarts. */
  lastConnect: ConnectParams | undefined;
  #localCluster: LocalCluster | undefined;
  #disposed = false;
  /** Trust was just granted before the server started: auto-connect once the workspace settings arrive. */
  #autoConnectOnSettings = false;

  constructor(readonly extension: vscode.ExtensionContext) {
    const subs = extension.subscriptions;
    this.log = vscode.window.createOutputChannel(Channels.log, { log: true });
    this.output = new RunOutput(this.model, this.log, () => this.config.settings.outputSurface, () => this.sessionsCtl.activeLabel());
    this.keptRuns = new KeptRuns({
      store: new RunStore(extension.workspaceState),
      model: this.model,
      reattach: (p) => this.request(ReattachRequest, p),
      log: this.log,
    });
    this.enginesTree = new EnginesTree(this.model, this.sessionsCtl);
    this.tasksTree = new TasksTree(this.model, () => this.request(HistoryRequest, { limit: 200 }), this.sessionsCtl);
    this.enginesView = vscode.window.createTreeView(Views.engines, { treeDataProvider: this.enginesTree, canSelectMany: true });
    this.tasksView = vscode.window.createTreeView(Views.tasks, { treeDataProvider: this.tasksTree, canSelectMany: true });
    this.statusBar = new StatusBar(this.model, () => this.#localCluster !== undefined, () => this.#client !== undefined);
    subs.push(
      this.log,
      this.model,
      this.sessionsCtl,
      this.output,
      this.enginesTree,
      this.tasksTree,
      this.enginesView,
      this.tasksView,
      this.statusBar,
      this.tasksView.onDidChangeVisibility((e) => this.tasksTree.setVisible(e.visible)),
      // Opening our views is a first use: the server starts (activation does not start it).
      this.enginesView.onDidChangeVisibility((e) => e.visible && this.#startForView()),
      this.tasksView.onDidChangeVisibility((e) => e.visible && this.#startForView()),
      vscode.workspace.onDidChangeConfiguration((e) => this.#onConfigChanged(e)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.#onTrustGranted()),
    );
    this.tasksTree.setVisible(this.tasksView.visible);
    const syncKeys = () => this.#syncContextKeys();
    subs.push(
      asDisposable(this.model.onDidChangeState(syncKeys)),
      asDisposable(this.model.onDidChangeRuns(syncKeys)),
      asDisposable(this.model.onDidChangeState((s) => this.log.info(`cluster: ${s}${this.model.message ? ` (${this.model.message})` : ''}`))),
    );
    this.#syncContextKeys();
    if (this.enginesView.visible || this.tasksView.visible) this.#startForView();
  }

  // ---- the language server -------------------------------------------------------------------

  get client(): LanguageClient | undefined {
    return this.#client;
  }

  /**
   * The running language server: starts it if there is none, waits while it is (re)starting, and
   * replaces one that stopped for good (it crashed too often, or failed to start).
   */
  startServer(): Promise<LanguageClient> {
    const client = this.#client;
    if (client?.isRunning()) return Promise.resolve(client);
    this.#starting ??= (async () => {
      if (client && client.state === loadClientModule().State.Starting) return whenRunning(client);
      if (client) {
        await this.stopServer();
        this.#policy.reset();
      }
      return this.#start();
    })().finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  async #start(): Promise<LanguageClient> {
    const lsp = loadClientModule();
    const client = lsp.createLanguageClient({
      serverModule: this.extension.asAbsolutePath('dist/server.js'),
      log: this.log,
      settings: () => this.config.server,
      policy: this.#policy,
    });
    const conn = this.#connection;
    // By method name (see client.ts): the type objects of this bundle are not the client bundle's.
    conn.push(
      ...this.sessionsCtl.listen(client, () => void this.#warnFromStatus()),
      client.onRequest(ConfirmRedirectRequest.method, (p: Parameters<typeof askRedirect>[0]) => askRedirect(p)),
      client.onDidChangeState((e) => this.#onClientState(e.oldState, e.newState)),
    );
    this.#client = client;
    this.log.info(`starting the language server (${this.extension.asAbsolutePath('dist/server.js')})`);
    await client.start();
    this.setContext(ContextKeys.serverRunning, true);
    return client;
  }

  #startForView(): void {
    if (this.#disposed || this.#client) return;
    this.startServer().catch((e) => this.log.error(`the language server did not start: ${describeError(e)}`));
  }

  #onClientState(oldState: number, newState: number): void {
    const State = loadClientModule().State;
    this.setContext(ContextKeys.serverRunning, newState === State.Running);
    this.statusBar.update();
    if (newState === State.Stopped && oldState === State.Running) {
      // The server process is gone, and with it the cluster connection.
      const wasConnected = this.model.connected;
      this.model.reset(wasConnected ? 'the language server stopped' : undefined);
      this.sessionsCtl.reset();
    } else if (newState === State.Running && oldState === State.Starting && this.lastConnect && vscode.workspace.isTrusted) {
      // Restarted after a crash: reconnect to the cluster we were connected to.
      const params = this.lastConnect;
      this.log.info('language server restarted: reconnecting to the cluster');
      this.connect(params).catch((e) => this.log.error(`reconnect failed: ${describeError(e)}`));
    }
  }

  /** Stops the server and everything of this connection (the extension-long parts stay). */
  async stopServer(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    for (const d of this.#connection.splice(0)) d.dispose();
    if (client) {
      try {
        await client.stop(5000);
      } catch (e) {
        this.log.warn(`stopping the language server: ${describeError(e)}`);
      }
      await client.dispose();
    }
    this.model.reset();
    this.sessionsCtl.reset();
    this.setContext(ContextKeys.serverRunning, false);
  }

  async restartServer(): Promise<void> {
    const reconnect = this.model.connected ? this.lastConnect : undefined;
    await this.stopServer();
    this.#policy.reset();
    await this.startServer();
    if (reconnect) await this.connect(reconnect);
  }

  async request<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R> {
    const client = await this.startServer();
    // P is generic here, so RequestParam<P> (P | undefined when P is null) cannot be inferred.
    return withDeadline(type.method, requestDeadlineMs(type.method, this.config.settings), token, (t) => client.sendRequest<R>(type.method, params, t));
  }

  async request0<R>(type: RequestType0<R, void>, token?: vscode.CancellationToken): Promise<R> {
    const client = await this.startServer();
    return withDeadline(type.method, requestDeadlineMs(type.method, this.config.settings), token, (t) => client.sendRequest<R>(type.method, t));
  }

  // ---- the cluster connection ----------------------------------------------------------------

  /**
   * Connects the active session to `target` (replacing its cluster), or with `sessionId`, opens a new
   * session beside the others and makes it active (Connect Another Cluster).
   */
  async connect(target: ConnectParams, sessionId?: string): Promise<ConnectResult> {
    // The SSH settings apply to every way of connecting (quick pick, browse, auto-connect, reconnect).
    const params: ConnectParams = { ...sshOptionsFromSettings(this.config.settings), ...target, ...(sessionId && { sessionId }) };
    const previous = this.sessions.active;
    if (sessionId) this.sessionsCtl.show(sessionId);
    const file = 'connectionFile' in params ? params.connectionFile : undefined;
    this.model.setState({ state: 'connecting', connectionFile: file });
    let result: ConnectResult;
    try {
      result = await this.request(ConnectRequest, params);
    } catch (e) {
      this.log.error(`connect failed: ${describeError(e)}${isResponseError(e) && e.data ? ` ${JSON.stringify(e.data)}` : ''}`);
      if (sessionId) await this.sessionsCtl.abandon(sessionId, previous);
      else this.model.setState({ state: 'disconnected', message: describeError(e) });
      throw e;
    }
    await this.sessionsCtl.opened(sessionId ?? this.sessions.active, result.connectionFile);
    this.lastConnect = { connectionFile: result.connectionFile };
    this.model.setConnected(result.connectionFile, result.security, result.engines);
    void warnSecurity(this.log, this.#shownNotices, result.connectionFile, result.security, result.warnings);
    this.log.info(`connected to ${result.connectionFile}: ${result.engines.length} engines, ${result.security.signed ? 'signed' : 'UNSIGNED'}`);
    await this.refreshSnapshot();
    try {
      await this.keptRuns.connected(result.clusterKey);
    } catch (e) {
      this.log.warn(`re-attaching the kept runs: ${describeError(e)}`);
    }
    return result;
  }

  /**
   * Connects as the settings say when `ipyparallel.autoConnect` is on. Never in an untrusted workspace:
   * its settings could name any file, host or cluster (it runs again when the user grants trust).
   */
  async autoConnect(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      // The workspace's autoConnect, profile and cluster id are not even read (restricted settings).
      this.log.info('auto-connect skipped: the workspace is not trusted');
      return;
    }
    const s = this.config.settings;
    if (!s.autoConnect || this.model.state !== 'disconnected') return;
    try {
      await this.connect(connectParamsFromSettings(s));
    } catch (e) {
      this.log.warn(`auto-connect failed: ${describeError(e)}`);
    }
  }

  #onTrustGranted(): void {
    this.log.info('workspace trusted: hover, completion, runs, cluster start and auto-connect enabled');
    this.config.reload();
    // A server not started yet starts with the current settings (auto-connect starts it if it is on). VS Code
    // applies the workspace's restricted settings after this event: try again when they arrive.
    if (!this.#client?.isRunning()) {
      this.#autoConnectOnSettings = true;
      return void this.autoConnect();
    }
    loadClientModule().sendSettings(this.#client, this.config.server)
      .catch((err) => this.log.warn(`settings not sent: ${describeError(err)}`))
      .then(() => this.autoConnect());
  }

  /** The security warnings of the connection the server reports as connected (once per cluster). */
  async #warnFromStatus(): Promise<void> {
    try {
      const status = await this.request0(StatusRequest);
      if (status.connectionFile && status.security) await warnSecurity(this.log, this.#shownNotices, status.connectionFile, status.security);
    } catch (e) {
      this.log.debug(`ipp/status after connecting: ${describeError(e)}`);
    }
  }

  /** Disconnects the active session, or the session `sessionId` (sessionsCtl.ts). */
  disconnect(sessionId?: string): Promise<void> {
    return this.sessionsCtl.disconnect(sessionId);
  }

  /** Re-reads engines, runs and status from the server (after connect or restart). */
  async refreshSnapshot(): Promise<void> {
    const [engines, runs] = await Promise.all([this.request0(EnginesRequest), this.request(TasksRequest, {})]);
    this.output.ignoreFinished(runs);
    this.model.setEngines(engines);
    this.model.setRuns(runs);
    await this.#readStatus();
  }

  async #readStatus(): Promise<void> {
    if (!this.#client?.isRunning() || this.model.state === 'disconnected') return;
    try {
      this.model.setStatus(await this.request0(StatusRequest));
    } catch (e) {
      this.log.debug(`ipp/status: ${describeError(e)}`);
    }
  }

  /** Throws a UserError unless connected (offering Connect). */
  requireConnected(): void {
    if (!this.model.connected) {
      throw new UserError(vscode.l10n.t('Not connected to an IPython Parallel cluster.'), {
        [vscode.l10n.t('Connect…')]: 'ipyparallel.connect',
        [vscode.l10n.t('Start Local Cluster…')]: 'ipyparallel.startLocalCluster',
      });
    }
  }

  /** Throws a UserError in an untrusted workspace (runs and cluster start are disabled there). */
  requireTrust(what: string): void {
    if (!vscode.workspace.isTrusted) {
      throw new UserError(vscode.l10n.t('{0} is disabled in an untrusted workspace. Trust the workspace to run code on the cluster.', what), {
        [vscode.l10n.t('Manage Workspace Trust')]: 'workbench.trust.manage',
      });
    }
  }

  // ---- the local cluster ---------------------------------------------------------------------

  get localCluster(): LocalCluster | undefined {
    return this.#localCluster;
  }

  setLocalCluster(c: LocalCluster | undefined): void {
    this.#localCluster = c;
    this.setContext(ContextKeys.localClusterRunning, c !== undefined);
    this.statusBar.update();
  }

  // ---- settings and context keys -------------------------------------------------------------

  #onConfigChanged(e: vscode.ConfigurationChangeEvent): void {
    const what = this.config.update(e);
    if (this.#autoConnectOnSettings && e.affectsConfiguration('ipyparallel')) {
      this.#autoConnectOnSettings = false;
      void this.autoConnect();
    }
    if (what.server && this.#client?.isRunning()) {
      loadClientModule().sendSettings(this.#client, this.config.server).catch((err) => this.log.warn(`settings not sent: ${describeError(err)}`));
    }
  }

  #syncContextKeys(): void {
    const s = this.model.state;
    this.setContext(ContextKeys.connected, s === 'connected');
    this.setContext(ContextKeys.connecting, s === 'connecting' || s === 'reconnecting');
    this.setContext(ContextKeys.hasRunningTasks, this.model.hasRunningTasks);
    this.setContext(ContextKeys.hasRuns, this.model.runs.length > 0);
  }

  setContext(key: string, value: unknown): void {
    if (this.#contextValues.get(key) === value) return;
    this.#contextValues.set(key, value);
    vscode.commands.executeCommand('setContext', key, value);
  }

  /** dispose() has begun: nothing may start the language server again. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** The last value set for a context key (for tests). */
  contextValue(key: string): unknown {
    return this.#contextValues.get(key);
  }

  /**
   * Stops the server and, unless `ipyparallel.keepLocalClusterRunning` is on, the local cluster we
   * started: side by side and within DISPOSE_BOUND_MS, so a slow server stop never leaves the cluster
   * running. Called from deactivate(), which VS Code awaits (the subscriptions' dispose() is not awaited).
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const cluster = this.config.settings.keepLocalClusterRunning ? undefined : this.#localCluster;
    if (this.#localCluster && !cluster) this.log.info(`leaving the local cluster ${this.#localCluster.clusterId} running (keepLocalClusterRunning)`);
    this.#localCluster = undefined;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, DISPOSE_BOUND_MS)));
    const stopCluster = cluster?.stop(DISPOSE_BOUND_MS - 1000).catch((e) => this.log.warn(`stopping the local cluster: ${describeError(e)}`));
    await Promise.race([Promise.all([this.stopServer(), stopCluster]), bound]);
    clearTimeout(timer);
  }
}

/** Resolves when a starting client is running; rejects if it stops instead. */
function whenRunning(client: LanguageClient): Promise<LanguageClient> {
  const State = loadClientModule().State;
  return new Promise((resolve, reject) => {
    const sub = client.onDidChangeState((e) => {
      if (e.newState === State.Running) {
        sub.dispose();
        resolve(client);
      } else if (e.newState === State.Stopped) {
        sub.dispose();
        reject(new UserError(vscode.l10n.t('The IPython Parallel language server did not start. See "IPython Parallel (Log)".')));
      }
    });
    if (client.isRunning()) {
      sub.dispose();
      resolve(client);
    }
  });
}

export function asDisposable(d: { dispose(): void }): vscode.Disposable {
  return new vscode.Disposable(() => d.dispose());
}
