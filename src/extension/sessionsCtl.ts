/**
 * Several clusters at once, the extension's side (issue 14; the server holds one session per cluster,
 * see docs/server-protocol.md). One session is active: its notifications reach ctx.model, which the run
 * commands, the keybinding, the status bar and the Engines and Tasks views use. Every other open session
 * keeps a small model of its own here, fed by its notifications (engines, runs, state), which the views
 * show under that cluster's node (clusterGroups.ts). Switching moves a session between the two.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { RequestType, type NotificationType, type RequestType0 } from 'vscode-languageserver-protocol';
import {
  ActivateSessionRequest,
  DisconnectRequest,
  EnginesChangedNotification,
  EnginesRequest,
  OutputNotification,
  SessionsRequest,
  StateChangedNotification,
  StatusChangedNotification,
  TaskDataNotification,
  TasksChangedNotification,
  TasksRequest,
  type ConnectParams,
  type EngineInfo,
  type SessionInfo,
  type SessionParams,
  DEFAULT_SESSION_ID,
} from '../shared/protocol';
import { describeError } from './errors';
import { ContextKeys } from './ids';
import { ClusterModel } from './model';
import type { OutputRouter } from './notebook/router';
import type { RunOutput } from './output/outputChannel';
import { sessionOf, Sessions } from './sessions';
import type { StatusBar } from './statusBar';
import { clusterName } from './statusText';
import { clusterGroups, type ClusterGroup, type ClusterGroupSource } from './views/clusterGroups';

/** ipp/disconnect and ipp/engines naming their session (the protocol's types name none). */
const DisconnectSessionRequest = new RequestType<SessionParams, null, void>(DisconnectRequest.method);
const EnginesOfSession = new RequestType<SessionParams, EngineInfo[], void>(EnginesRequest.method);

/** What the controller uses of Ctx (ctx.ts), named here so that the two files do not import each other. */
export interface SessionsHost {
  readonly client: LanguageClient | undefined;
  readonly log: vscode.LogOutputChannel;
  readonly model: ClusterModel;
  readonly output: RunOutput;
  readonly outputRouter: OutputRouter;
  readonly enginesView: vscode.TreeView<unknown>;
  readonly tasksView: vscode.TreeView<unknown>;
  readonly statusBar: StatusBar;
  lastConnect: ConnectParams | undefined;
  request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R>;
  request0<R>(type: RequestType0<R, void>): Promise<R>;
  refreshSnapshot(): Promise<void>;
  setContext(key: string, value: unknown): void;
}

const isOpen = (s: SessionInfo) => s.state !== 'disconnected' && s.state !== 'closed';

export class SessionsCtl implements ClusterGroupSource, vscode.Disposable {
  /** The server's sessions as the extension knows them (pure bookkeeping, sessions.ts). */
  readonly sessions = new Sessions();
  /** Models of the open sessions other than the active one. */
  readonly #others = new Map<string, { model: ClusterModel; subs: { dispose(): void }[] }>();
  readonly #onDidChange = new vscode.EventEmitter<void>();

  constructor(private readonly ctx: SessionsHost) {}

  onDidChange(listener: () => void): vscode.Disposable {
    return this.#onDidChange.event(listener);
  }

  groups(): ClusterGroup[] {
    return clusterGroups(this.sessions.open(), this.sessions.active);
  }

  /** The active cluster's `profile/cluster-id` while several are connected (run headers name it). */
  activeLabel(): string | undefined {
    return this.groups().find((g) => g.active)?.label;
  }

  modelOf(sessionId: string): ClusterModel | undefined {
    return this.#others.get(sessionId)?.model;
  }

  /** The model a notification of `p`'s session goes to: ctx.model for the active session, else its own (if open). */
  modelFor(p: SessionParams | undefined): ClusterModel | undefined {
    return this.sessions.isActive(p) ? this.ctx.model : this.modelOf(sessionOf(p));
  }

  /**
   * The language server's notifications, each to the model of its session (ctx.model for the active one).
   * By method name (see client.ts): the type objects of this bundle are not the client bundle's.
   */
  listen(client: LanguageClient, onActiveConnected: () => void): vscode.Disposable[] {
    const on = <P>(type: NotificationType<P>, handler: (p: P, model: ClusterModel, active: boolean) => void) =>
      client.onNotification(type.method, (p: P) => {
        const model = this.modelFor(p as SessionParams);
        if (model) handler(p, model, model === this.ctx.model);
      });
    return [
      on(StateChangedNotification, (p, m, active) => {
        m.setState(p);
        // Also after the server followed a rewritten connection file, which no ipp/connect of ours started.
        if (active && p.state === 'connected') onActiveConnected();
      }),
      on(EnginesChangedNotification, (p, m) => m.setEngines(p.engines)),
      on(TasksChangedNotification, (p, m) => m.applyTasks(p)),
      // A cluster that is not active: its runs still going are written under its name (RunOutput.watchOther).
      on(OutputNotification, (p, _m, active) => {
        if (!active) return this.ctx.output.onOtherOutput(sessionOf(p), p);
        const { rest, errors } = this.ctx.outputRouter.route(p);
        for (const e of errors) this.ctx.log.error(`notebook output: ${describeError(e)}`);
        if (rest.items.length) this.ctx.output.onOutput(rest);
      }),
      on(TaskDataNotification, (p, m) => m.applyTaskData(p)),
      on(StatusChangedNotification, (p, m) => m.setStatus(p)),
    ];
  }

  /**
   * Disconnects the active session, or the session `sessionId`. A session other than the default one is
   * closed: the default session is then shown again if the closed one was active.
   */
  async disconnect(sessionId = this.sessions.active): Promise<void> {
    const wasActive = sessionId === this.sessions.active;
    if (this.ctx.client?.isRunning()) {
      // The active session is named by naming none, as a client of one cluster always did.
      if (wasActive) await this.ctx.request0(DisconnectRequest);
      else await this.ctx.request(DisconnectSessionRequest, { sessionId });
    }
    this.sessions.closed(sessionId);
    this.#dropOther(sessionId);
    if (!wasActive) return this.updateLabels();
    if (sessionId !== DEFAULT_SESSION_ID) return this.showServerSession(DEFAULT_SESSION_ID);
    this.ctx.lastConnect = undefined;
    this.ctx.model.setState({ state: 'disconnected' });
    this.updateLabels();
  }

  /** Makes `sessionId` the active session: requests without a session go to it, and the model shows it. */
  async activate(sessionId: string): Promise<void> {
    const previous = this.sessions.active;
    this.show(sessionId);
    try {
      await this.ctx.request(ActivateSessionRequest, { sessionId });
    } catch (e) {
      await this.showServerSession(previous);
      throw e;
    }
    await this.showServerSession(sessionId);
  }

  /** The server's sessions (and our record of them, and the other sessions' models, re-read). */
  async list(): Promise<SessionInfo[]> {
    const list = await this.ctx.request0(SessionsRequest);
    this.sessions.sync(list);
    await this.#syncOthers(list);
    this.updateLabels();
    return list;
  }

  /** `sessionId` connected to `connectionFile` (ipp/connect answered) and is active. */
  async opened(sessionId: string, connectionFile: string): Promise<void> {
    this.sessions.opened(sessionId, connectionFile);
    this.#dropOther(sessionId);
    this.updateLabels();
    // The session active before is now one of the others: its own model, read from the server.
    if (this.sessions.several) await this.list().catch((e) => this.ctx.log.warn(`reading the sessions: ${describeError(e)}`));
  }

  /** A new session whose ipp/connect failed: closed (the server opened it), and the one active before shown again. */
  async abandon(sessionId: string, previous: string): Promise<void> {
    await this.ctx.request(DisconnectSessionRequest, { sessionId }).catch((e) => this.ctx.log.debug(`closing session ${sessionId}: ${describeError(e)}`));
    await this.showServerSession(previous);
  }

  /** From now on only `sessionId`'s notifications reach ctx.model, emptied of the session shown before. */
  show(sessionId: string): void {
    this.sessions.activated(sessionId);
    this.#dropOther(sessionId);
    // What the runs shown so far have due (a footer in its grace time) is written before they leave the model.
    this.ctx.output.flush();
    this.ctx.model.setRuns([]);
    this.ctx.model.setState({ state: 'disconnected' });
  }

  /** Shows the session the server now has active (`expected`, normally): its state, engines, runs and status. */
  async showServerSession(expected: string): Promise<void> {
    this.show(expected);
    try {
      const list = await this.list();
      const active = list.find((s) => s.active);
      if (active && active.sessionId !== expected) this.show(active.sessionId);
      this.ctx.lastConnect = active?.connectionFile && active.state !== 'disconnected' ? { connectionFile: active.connectionFile } : undefined;
      if (active && isOpen(active)) {
        this.ctx.model.setState({ state: active.state, connectionFile: active.connectionFile });
        await this.ctx.refreshSnapshot();
      }
    } catch (e) {
      this.ctx.log.warn(`reading the active session: ${describeError(e)}`);
    }
    this.updateLabels();
  }

  /** The server went away, and every session with it. */
  reset(): void {
    this.sessions.reset();
    for (const id of [...this.#others.keys()]) this.#dropOther(id);
    this.updateLabels();
  }

  /** With several clusters open, the views name the active one, the status bar switches, and the palette offers Switch. */
  updateLabels(): void {
    const file = this.sessions.activeFile;
    const several = this.sessions.several;
    const label = several && file ? vscode.l10n.t('cluster {0}', clusterName(file)) : undefined;
    this.ctx.enginesView.description = label;
    this.ctx.tasksView.description = label;
    this.ctx.statusBar.setSeveral(several);
    this.ctx.setContext(ContextKeys.severalClusters, several);
    this.#onDidChange.fire();
  }

  /** A model for each open session that is not active (read once from the server, then kept by its notifications). */
  async #syncOthers(list: readonly SessionInfo[]): Promise<void> {
    const wanted = list.filter((s) => isOpen(s) && s.sessionId !== this.sessions.active);
    for (const id of [...this.#others.keys()]) if (!wanted.some((s) => s.sessionId === id)) this.#dropOther(id);
    await Promise.all(wanted.filter((s) => !this.#others.has(s.sessionId)).map((s) => this.#readOther(s)));
  }

  async #readOther(s: SessionInfo): Promise<void> {
    const model = new ClusterModel();
    const fire = () => this.#onDidChange.fire();
    const label = this.groups().find((g) => g.sessionId === s.sessionId)?.label ?? clusterName(s.connectionFile ?? s.sessionId);
    const subs = [model.onDidChangeEngines(fire), model.onDidChangeRuns(fire), model.onDidChangeState(fire), this.ctx.output.watchOther(s.sessionId, model, label), model];
    this.#others.set(s.sessionId, { model, subs });
    model.setState({ state: s.state, connectionFile: s.connectionFile });
    try {
      const p = { sessionId: s.sessionId };
      const [engines, runs] = await Promise.all([
        this.ctx.request(EnginesOfSession, p),
        this.ctx.request(TasksRequest, p),
      ]);
      model.setEngines(engines);
      model.setRuns(runs);
    } catch (e) {
      this.ctx.log.warn(`reading cluster ${s.sessionId}: ${describeError(e)}`);
    }
  }

  #dropOther(sessionId: string): void {
    const other = this.#others.get(sessionId);
    if (!other) return;
    this.#others.delete(sessionId);
    for (const s of other.subs) s.dispose();
    this.#onDidChange.fire();
  }

  dispose(): void {
    for (const id of [...this.#others.keys()]) this.#dropOther(id);
    this.#onDidChange.dispose();
  }
}
