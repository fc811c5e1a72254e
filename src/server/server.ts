/**
 * The cluster language server: one per editor window. Each session owns at most one ClusterClient at a
 * time; the server is the default session, and holds the others (sessions.ts: several clusters at once).
 * It forwards the client's model changes as batched ipp/* notifications, keeps the runs table, and serves
 * the LSP features (remote-error diagnostics, hover, completion) for Python documents.
 * The ipp/* request handlers live in requests.ts (they see the server as a RequestHost), the runs in
 * runService.ts; this file is lifecycle and wiring.
 */
import {
  NotebookDocuments,
  TextDocumentSyncKind,
  TextDocuments,
  type Connection,
  type Diagnostic,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Disposable } from '../core/event';
import type { Logger } from '../core/log';
import { emptyDropped } from '../core/transport/dropCounter';
import type { EngineInfo } from '../core/client/types';
import { NotificationBatcher } from './batcher';
import type { ClientFactory, ClientFactoryOptions, ClusterClientLike } from './clientApi';
import { CompletionProvider, TRIGGER_CHARACTERS } from './completion';
import { DiagnosticsManager } from './diagnostics';
import { notConnected } from './errors';
import type { FeatureHost } from './features';
import type { RequestHost } from './host';
import { HoverProvider } from './hover';
import {
  NOTEBOOK_TYPES,
  CONFIRM_REDIRECT_TIMEOUT_MS,
  ConfirmRedirectRequest,
  DEFAULT_SESSION_ID,
  EnginesChangedNotification,
  OutputNotification,
  StateChangedNotification,
  StatusChangedNotification,
  TasksChangedNotification,
  TaskDataNotification,
  type TaskDataItem,
  type StatusResult,
  type RedirectTarget,
  type ServerSettings,
  type StateChangedParams,
} from '../shared/protocol';
import { registerRequests } from './requests';
import { RunService } from './runService';
import { Sessions } from './sessions';
import { initialSettings, mergeSettings } from './settings';
import { toEngines, toStatus } from './toWire';

export const SERVER_NAME = 'ipyparallel-cluster-server';
export const SERVER_VERSION = '0.1.0';
/** How long hover and completion wait for an engine to turn idle after our own previous request. */
const IDLE_SETTLE_MS = 250;

/** A session other than the default one: its id, and what it shares with the server. */
export interface SessionOf {
  sessionId: string;
  documents: TextDocuments<TextDocument>;
  settings: ServerSettings;
}

export class ClusterServer implements FeatureHost, RequestHost {
  readonly runs: RunService;
  readonly sessionId: string;
  readonly #connection: Connection;
  readonly #createClient: ClientFactory;
  readonly #documents: TextDocuments<TextDocument>;
  /** Notebook sync (LSP 3.17), the default server only: its cells land in #documents, so every feature sees them as documents. */
  readonly #notebooks: NotebookDocuments<TextDocument> | undefined;
  /** The sessions (the default server only). */
  readonly #sessions: Sessions | undefined;
  readonly #batcher: NotificationBatcher;
  readonly #diagnostics: DiagnosticsManager;
  readonly #hover: HoverProvider;
  readonly #completion: CompletionProvider;
  #settings: ServerSettings = initialSettings(undefined);
  #client: ClusterClientLike | undefined;
  #clientSubs: Disposable[] = [];
  #connectionFile: string | undefined;
  #connectKey: string | undefined;
  #knownEngineIds = '';
  #serial: Promise<unknown> = Promise.resolve();
  #opened = new Set<string>();
  /** The last ipp/statusChanged sent, as JSON: an unchanged status is not sent again. */
  #lastStatus = '';

  constructor(
    connection: Connection,
    createClient: ClientFactory,
    readonly logger: Logger,
    session?: SessionOf,
  ) {
    this.#connection = connection;
    this.#createClient = createClient;
    this.sessionId = session?.sessionId ?? DEFAULT_SESSION_ID;
    this.#documents = session?.documents ?? new TextDocuments(TextDocument);
    if (!session) this.#notebooks = new NotebookDocuments(this.#documents);
    if (session) this.#settings = session.settings;
    else this.#sessions = new Sessions(this, (sessionId) => new ClusterServer(connection, createClient, logger, { sessionId, documents: this.#documents, settings: this.#settings }));
    const tag = this.#tag;
    this.#batcher = new NotificationBatcher(
      {
        state: (p) => this.#notify(() => connection.sendNotification(StateChangedNotification, tag(p))),
        engines: (engines) => this.#notify(() => connection.sendNotification(EnginesChangedNotification, tag({ engines }))),
        output: (items) => this.#notify(() => connection.sendNotification(OutputNotification, tag({ items }))),
        data: (msgIds) => this.#sendTaskData(msgIds),
        status: () => this.#pushStatus(),
        tasks: (changed, removed) =>
          this.#notify(() =>
            connection.sendNotification(
              TasksChangedNotification,
              tag({
                runs: changed.flatMap((id) => this.runs.summary(id) ?? []),
                removed,
              }),
            ),
          ),
      },
      this.#settings.notificationBatchMs,
    );
    this.#diagnostics = new DiagnosticsManager({
      enabled: () => this.#settings.diagnostics,
      document: (uri) => this.#documents.get(uri),
      publish: (uri, diagnostics: Diagnostic[]) => this.#notify(() => connection.sendDiagnostics({ uri, diagnostics })),
    });
    // Hover and completion ask the active session's engines.
    const active = (): FeatureHost => this.#sessions?.active() ?? this;
    const features: FeatureHost = {
      logger,
      settings: () => this.#settings,
      connectedClient: () => active().connectedClient(),
      idleEngines: () => active().idleEngines(),
    };
    this.#hover = new HoverProvider(features);
    this.#completion = new CompletionProvider(features);
    this.runs = new RunService({
      client: () => this.#client,
      documentVersion: (uri) => this.#documents.get(uri)?.version,
      notify: this.#batcher,
      diagnostics: this.#diagnostics,
      hover: this.#hover,
    });
  }

  /** Registers every handler and starts listening on the connection. */
  listen(): void {
    const c = this.#connection;
    c.onInitialize((params): InitializeResult => {
      this.applySettings(params.initializationOptions);
      return {
        capabilities: {
          textDocumentSync: TextDocumentSyncKind.Incremental,
          notebookDocumentSync: {
            notebookSelector: NOTEBOOK_TYPES.map((notebook) => ({ notebook, cells: [{ language: 'python' }] })),
          },
          hoverProvider: true,
          completionProvider: { triggerCharacters: TRIGGER_CHARACTERS, resolveProvider: false },
        },
        serverInfo: { name: SERVER_NAME, version: SERVER_VERSION },
      };
    });
    c.onDidChangeConfiguration((params) => this.applySettings(params.settings));
    c.onHover((params, token) => {
      const doc = this.#documents.get(params.textDocument.uri);
      return doc ? this.#hover.hover(doc, params.position, token) : null;
    });
    c.onCompletion((params, token) => {
      const doc = this.#documents.get(params.textDocument.uri);
      return doc ? this.#completion.complete(doc, params.position, token) : null;
    });
    this.#documents.onDidChangeContent((e) => {
      // didOpen also fires this; only an edit (version > 1 or a second event) invalidates diagnostics.
      if (this.#opened.delete(e.document.uri)) return;
      this.#diagnostics.documentChanged(e.document.uri);
    });
    this.#documents.onDidOpen((e) => this.#opened.add(e.document.uri));
    c.onShutdown(async () => {
      this.#batcher.flush();
      await this.closeAll();
    });
    c.onExit(() => this.dispose());
    registerRequests(c, this.#sessions ?? new Sessions(this, () => this));
    this.#documents.listen(c);
    this.#notebooks?.listen(c);
    c.listen();
  }

  applySettings(raw: unknown): void {
    const before = this.#settings;
    this.#settings = mergeSettings(before, raw);
    for (const s of this.#sessions?.all() ?? []) if (s !== this) (s as ClusterServer).applySettings(raw);
    this.#batcher.setWindow(this.#settings.notificationBatchMs);
    if (before.diagnostics && !this.#settings.diagnostics) this.#diagnostics.clearAll();
    if ((before.hover && !this.#settings.hover) || (before.evaluate && !this.#settings.evaluate)) this.runs.valuesChanged();
  }

  // ---- FeatureHost and RequestHost ----------------------------------------------------------------

  settings(): ServerSettings {
    return this.#settings;
  }

  client(): ClusterClientLike | undefined {
    return this.#client;
  }

  connectionFile(): string | undefined {
    return this.#connectionFile;
  }

  connectKey(): string | undefined {
    return this.#connectKey;
  }

  connectedClient(): ClusterClientLike | undefined {
    return this.#client?.state === 'connected' ? this.#client : undefined;
  }

  requireClient(): ClusterClientLike {
    const c = this.connectedClient();
    if (!c) throw notConnected();
    return c;
  }

  flushNotifications(): void {
    this.#batcher.flush();
  }

  /**
   * Engines that are idle and have none of our tasks pending or running. An engine that is busy with none
   * of our tasks is usually finishing a hover or completion request (its idle status follows the reply
   * by a moment), so such engines get up to `settleMs` to turn idle before they are left out.
   */
  async idleEngines(settleMs = IDLE_SETTLE_MS): Promise<number[]> {
    const client = this.connectedClient();
    if (!client) return [];
    const ours = this.runs.busyEngines();
    const candidates = () => client.engines().filter((e) => !ours.has(e.id));
    const settled = () => candidates().every((e) => e.status === 'idle');
    if (!settled() && settleMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          sub.dispose();
          clearTimeout(timer);
          resolve();
        };
        const sub = client.onDidChangeEngines(() => settled() && done());
        const timer = setTimeout(done, settleMs);
      });
    }
    return candidates()
      .filter((e) => e.status === 'idle')
      .map((e) => e.id);
  }

  /**
   * Asks the client (ipp/confirmRedirect) whether to follow a rewritten connection file to another host
   * or SSH server. Anything but an explicit yes within the timeout is a no.
   */
  async confirmRedirect(from: RedirectTarget, to: RedirectTarget, connectionFile: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CONFIRM_REDIRECT_TIMEOUT_MS)));
    try {
      const answer = this.#connection.sendRequest(ConfirmRedirectRequest, { connectionFile, from, to }).then(
        (r) => r?.follow === true,
        (e: Error) => {
          this.logger.info(`ipp/confirmRedirect not answered (${e.message}): not following ${connectionFile}`);
          return false;
        },
      );
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- client ownership ---------------------------------------------------------------------------

  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#serial.then(fn, fn);
    this.#serial = next.catch(() => undefined);
    return next;
  }

  openClient(options: ClientFactoryOptions, connectKey: string): ClusterClientLike {
    // A rewritten connection file that names another host is followed only when the editor says so.
    const client = this.#createClient({ ...options, confirmRedirect: (from, to, file) => this.confirmRedirect(from, to, file) });
    this.#adoptClient(client, options.connectionFile, connectKey);
    return client;
  }

  /** Makes `client` the window's client: forwards its events. The caller connects it. */
  #adoptClient(client: ClusterClientLike, connectionFile: string, connectKey: string): void {
    this.#client = client;
    this.#connectionFile = connectionFile;
    this.#connectKey = connectKey;
    this.#knownEngineIds = '';
    this.#clientSubs = [
      client.onDidChangeState(({ state, error }) => {
        this.runs.valuesChanged();
        const p: StateChangedParams = { state, connectionFile };
        if (error) p.message = error.message;
        this.#batcher.state(p);
        this.#batcher.statusChanged(); // the state and the security posture
      }),
      client.onDidChangeEngines((engines) => this.#enginesChanged(engines)),
      client.onDidChangeTask((task) => {
        this.#batcher.statusChanged(); // the running count
        this.runs.taskChanged(task);
      }),
      client.onDidOutput(({ task, output }) => {
        const runId = this.runs.runOf(task);
        if (runId === undefined) return; // hover/completion traffic
        const run = this.runs.introduce(runId);
        this.#batcher.output({ runId, msgId: task.msgId, engineId: task.engineId, output, ...(run && { run }) });
      }),
      client.onDidPublishData(({ task }) => {
        if (this.runs.runOf(task) !== undefined) this.#batcher.taskData(task.msgId);
      }),
      client.onDidDrop(() => this.#batcher.statusChanged()),
      client.onDidChangeVersion(() => this.#batcher.statusChanged()), // ipyparallelVersion
    ];
  }

  /** ipp/taskData for the tasks that published in the window, with what each holds now. */
  #sendTaskData(msgIds: string[]): void {
    const items: TaskDataItem[] = [];
    for (const id of msgIds) {
      const task = this.#client?.task(id);
      const runId = task && this.runs.runOf(task);
      if (!task?.data || runId === undefined) continue;
      const item: TaskDataItem = { runId, msgId: id, data: task.data };
      if (task.engineId !== undefined) item.engineId = task.engineId;
      if (task.progress !== undefined) item.progress = task.progress;
      items.push(item);
    }
    if (items.length > 0) this.#notify(() => this.#connection.sendNotification(TaskDataNotification, this.#tag({ items })));
  }

  async closeClient(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.runs.clear();
    try {
      if (client.state !== 'disconnected' && client.state !== 'closed') await client.disconnect();
    } catch (e) {
      this.logger.warn(`disconnect failed: ${(e as Error).message}`);
    }
    for (const s of this.#clientSubs) s.dispose();
    this.#clientSubs = [];
    client.dispose();
    if (this.#client === client) {
      this.#client = undefined;
      this.#batcher.state({ state: 'disconnected', connectionFile: this.#connectionFile });
      this.#batcher.statusChanged();
      this.#connectionFile = undefined;
      this.#connectKey = undefined;
    }
  }

  /** Closes the client of every session (shutdown, SIGTERM). */
  closeAll(): Promise<void> {
    return this.#sessions ? this.#sessions.closeAll() : this.closeClient();
  }

  dispose(): void {
    this.#sessions?.dispose();
    for (const s of this.#clientSubs) s.dispose();
    this.#clientSubs = [];
    this.#client?.dispose();
    this.#client = undefined;
    this.#batcher.dispose();
  }

  #enginesChanged(engines: EngineInfo[]): void {
    const ids = engines.map((e) => e.id).join(',');
    if (ids !== this.#knownEngineIds) {
      this.#knownEngineIds = ids;
      this.runs.valuesChanged(); // a new engine has a different namespace
    }
    this.#batcher.engines(toEngines(engines));
    this.#batcher.statusChanged(); // the engine count
  }

  /** What ipp/status answers now (also pushed as ipp/statusChanged). */
  status(): StatusResult {
    const client = this.#client;
    if (!client) return { state: 'disconnected', engines: 0, runningTasks: 0, dropped: emptyDropped() };
    return toStatus(client.status(), this.#connectionFile);
  }

  #pushStatus(): void {
    const status = this.status();
    const json = JSON.stringify(status);
    if (json === this.#lastStatus) return;
    this.#lastStatus = json;
    this.#notify(() => this.#connection.sendNotification(StatusChangedNotification, this.#tag(status)));
  }

  /** A notification's params, with this session's id unless it is the default session (whose notifications name none). */
  readonly #tag = <T extends object>(p: T): T => (this.sessionId === DEFAULT_SESSION_ID ? p : { ...p, sessionId: this.sessionId });

  #notify(send: () => Promise<void> | void): void {
    try {
      const p = send();
      if (p) p.catch((e: Error) => this.logger.debug(`notification not sent: ${e.message}`));
    } catch (e) {
      this.logger.debug(`notification not sent: ${(e as Error).message}`);
    }
  }
}
