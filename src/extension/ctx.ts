/**
 * The one object that owns the extension's state (after rust-analyzer's Ctx). Two lifetimes:
 * - extension-long: config, model, output channels, views, status bar, code lenses, context keys,
 *   commands: everything in `extensionContext.subscriptions`;
 * - connection-long: the language client of one server process and what hangs on it (its
 *   notification handlers): disposed when the server is stopped or restarted by the user.
 * A server that crashes is restarted by the client (RestartPolicy); the cluster connection it held is
 * then re-established from the last connect params.
 */
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import type { RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import {
  ConnectRequest,
  DisconnectRequest,
  EnginesChangedNotification,
  EnginesRequest,
  HistoryRequest,
  OutputNotification,
  StateChangedNotification,
  StatusChangedNotification,
  StatusRequest,
  TasksChangedNotification,
  TasksRequest,
  type ConnectParams,
  type ConnectResult,
} from '../shared/protocol';
import { createLanguageClient, sendSettings } from './client';
import { Config } from './config';
import { sshOptionsFromSettings } from './settings';
import { describeError, isResponseError, UserError } from './errors';
import { Channels, ContextKeys, Views } from './ids';
import type { LocalCluster } from './localCluster';
import { ClusterModel } from './model';
import { RunOutput } from './output/outputChannel';
import { RestartPolicy } from './restartPolicy';
import { StatusBar } from './statusBar';
import { EnginesTree } from './views/enginesTree';
import type { EngineNode, TasksTreeNode } from './views/nodes';
import { TasksTree } from './views/tasksTree';

export class Ctx implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly config = new Config();
  readonly model = new ClusterModel();
  readonly output: RunOutput;
  readonly enginesTree: EnginesTree;
  readonly tasksTree: TasksTree;
  readonly enginesView: vscode.TreeView<EngineNode>;
  readonly tasksView: vscode.TreeView<TasksTreeNode>;
  readonly statusBar: StatusBar;
  readonly #policy = new RestartPolicy();
  readonly #contextValues = new Map<string, unknown>();

  #client: LanguageClient | undefined;
  #connection: vscode.Disposable[] = [];
  #starting: Promise<LanguageClient> | undefined;
  /** What to reconnect to if the server restarts. */
  #lastConnect: ConnectParams | undefined;
  #localCluster: LocalCluster | undefined;
  #disposed = false;

  constructor(readonly extension: vscode.ExtensionContext) {
    const subs = extension.subscriptions;
    this.log = vscode.window.createOutputChannel(Channels.log, { log: true });
    this.output = new RunOutput(this.model, this.log);
    this.enginesTree = new EnginesTree(this.model);
    this.tasksTree = new TasksTree(this.model, () => this.request(HistoryRequest, { limit: 200 }));
    this.enginesView = vscode.window.createTreeView(Views.engines, { treeDataProvider: this.enginesTree, canSelectMany: true });
    this.tasksView = vscode.window.createTreeView(Views.tasks, { treeDataProvider: this.tasksTree, canSelectMany: true });
    this.statusBar = new StatusBar(this.model, () => this.#localCluster !== undefined);
    subs.push(
      this.log,
      this.model,
      this.output,
      this.enginesTree,
      this.tasksTree,
      this.enginesView,
      this.tasksView,
      this.statusBar,
      this.tasksView.onDidChangeVisibility((e) => this.tasksTree.setVisible(e.visible)),
      vscode.workspace.onDidChangeConfiguration((e) => this.#onConfigChanged(e)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.log.info('workspace trusted: runs and cluster start enabled')),
    );
    this.tasksTree.setVisible(this.tasksView.visible);
    const syncKeys = () => this.#syncContextKeys();
    subs.push(
      asDisposable(this.model.onDidChangeState(syncKeys)),
      asDisposable(this.model.onDidChangeRuns(syncKeys)),
      asDisposable(this.model.onDidChangeState((s) => this.log.info(`cluster: ${s}${this.model.message ? ` (${this.model.message})` : ''}`))),
    );
    this.#syncContextKeys();
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
      if (client && client.state === State.Starting) return whenRunning(client);
      if (client) {
        await this.stopServer();
        this.#policy.reset();
      }
      return this.#start();
    })().finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  async #start(): Promise<LanguageClient> {
    const client = createLanguageClient({
      serverModule: this.extension.asAbsolutePath('dist/server.js'),
      log: this.log,
      settings: () => this.config.server,
      policy: this.#policy,
    });
    const conn = this.#connection;
    conn.push(
      client.onNotification(StateChangedNotification, (p) => this.model.setState(p)),
      client.onNotification(EnginesChangedNotification, (p) => this.model.setEngines(p.engines)),
      client.onNotification(TasksChangedNotification, (p) => this.model.applyTasks(p)),
      client.onNotification(OutputNotification, (p) => this.output.onOutput(p)),
      client.onNotification(StatusChangedNotification, (p) => this.model.setStatus(p)),
      client.onDidChangeState((e) => this.#onClientState(e.oldState, e.newState)),
    );
    this.#client = client;
    this.log.info(`starting the language server (${this.extension.asAbsolutePath('dist/server.js')})`);
    await client.start();
    this.#setContext(ContextKeys.serverRunning, true);
    return client;
  }

  #onClientState(oldState: State, newState: State): void {
    this.#setContext(ContextKeys.serverRunning, newState === State.Running);
    if (newState === State.Stopped && oldState === State.Running) {
      // The server process is gone, and with it the cluster connection.
      const wasConnected = this.model.connected;
      this.model.reset(wasConnected ? 'the language server stopped' : undefined);
    } else if (newState === State.Running && oldState === State.Starting && this.#lastConnect) {
      // Restarted after a crash: reconnect to the cluster we were connected to.
      const params = this.#lastConnect;
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
    this.#setContext(ContextKeys.serverRunning, false);
  }

  async restartServer(): Promise<void> {
    const reconnect = this.model.connected ? this.#lastConnect : undefined;
    await this.stopServer();
    this.#policy.reset();
    await this.startServer();
    if (reconnect) await this.connect(reconnect);
  }

  async request<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R> {
    const client = await this.startServer();
    // P is generic here, so RequestParam<P> (P | undefined when P is null) cannot be inferred.
    return client.sendRequest(type, params as never, token);
  }

  async request0<R>(type: RequestType0<R, void>, token?: vscode.CancellationToken): Promise<R> {
    const client = await this.startServer();
    return client.sendRequest(type, token);
  }

  // ---- the cluster connection ----------------------------------------------------------------

  async connect(target: ConnectParams): Promise<ConnectResult> {
    // The SSH settings apply to every way of connecting (quick pick, browse, auto-connect, reconnect).
    const params: ConnectParams = { ...sshOptionsFromSettings(this.config.settings), ...target };
    const file = 'connectionFile' in params ? params.connectionFile : undefined;
    this.model.setState({ state: 'connecting', connectionFile: file });
    let result: ConnectResult;
    try {
      result = await this.request(ConnectRequest, params);
    } catch (e) {
      this.model.setState({ state: 'disconnected', message: describeError(e) });
      this.log.error(`connect failed: ${describeError(e)}${isResponseError(e) && e.data ? ` ${JSON.stringify(e.data)}` : ''}`);
      throw e;
    }
    this.#lastConnect = { connectionFile: result.connectionFile };
    this.model.setConnected(result.connectionFile, result.security, result.engines);
    for (const w of result.warnings) this.log.warn(w);
    this.log.info(`connected to ${result.connectionFile}: ${result.engines.length} engines, ${result.security.signed ? 'signed' : 'UNSIGNED'}`);
    await this.refreshSnapshot();
    return result;
  }

  async disconnect(): Promise<void> {
    this.#lastConnect = undefined;
    if (this.#client?.isRunning()) await this.request0(DisconnectRequest);
    this.model.setState({ state: 'disconnected' });
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
      throw new UserError('Not connected to an IPython Parallel cluster.', {
        'Connect…': 'ipyparallel.connect',
        'Start Local Cluster…': 'ipyparallel.startLocalCluster',
      });
    }
  }

  /** Throws a UserError in an untrusted workspace (runs and cluster start are disabled there). */
  requireTrust(what: string): void {
    if (!vscode.workspace.isTrusted) {
      throw new UserError(`${what} is disabled in an untrusted workspace. Trust the workspace to run code on the cluster.`, {
        'Manage Workspace Trust': 'workbench.trust.manage',
      });
    }
  }

  // ---- the local cluster ---------------------------------------------------------------------

  get localCluster(): LocalCluster | undefined {
    return this.#localCluster;
  }

  setLocalCluster(c: LocalCluster | undefined): void {
    this.#localCluster = c;
    this.#setContext(ContextKeys.localClusterRunning, c !== undefined);
    this.statusBar.update();
  }

  // ---- settings and context keys -------------------------------------------------------------

  #onConfigChanged(e: vscode.ConfigurationChangeEvent): void {
    const what = this.config.update(e);
    if (what.server && this.#client?.isRunning()) {
      sendSettings(this.#client, this.config.server).catch((err) => this.log.warn(`settings not sent: ${describeError(err)}`));
    }
  }

  #syncContextKeys(): void {
    const s = this.model.state;
    this.#setContext(ContextKeys.connected, s === 'connected');
    this.#setContext(ContextKeys.connecting, s === 'connecting' || s === 'reconnecting');
    this.#setContext(ContextKeys.hasRunningTasks, this.model.hasRunningTasks);
    this.#setContext(ContextKeys.hasRuns, this.model.runs.length > 0);
  }

  #setContext(key: string, value: unknown): void {
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
   * Stops the server and the local cluster we started. Called from deactivate(), which VS Code
   * awaits (the subscriptions' dispose() is not awaited).
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const cluster = this.#localCluster;
    this.#localCluster = undefined;
    await this.stopServer();
    if (cluster) await cluster.stop(10000);
  }
}

/** Resolves when a starting client is running; rejects if it stops instead. */
function whenRunning(client: LanguageClient): Promise<LanguageClient> {
  return new Promise((resolve, reject) => {
    const sub = client.onDidChangeState((e) => {
      if (e.newState === State.Running) {
        sub.dispose();
        resolve(client);
      } else if (e.newState === State.Stopped) {
        sub.dispose();
        reject(new UserError('The IPython Parallel language server did not start. See "IPython Parallel (Log)".'));
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
