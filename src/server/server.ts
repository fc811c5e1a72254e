/**
 * The cluster language server: one per editor window, owning at most one ClusterClient at a time.
 * It forwards the client's model changes as batched ipp/* notifications, keeps the runs table, and serves
 * the LSP features (remote-error diagnostics, hover, completion) for Python documents.
 * The ipp/* request handlers live in requests.ts; this file is lifecycle and wiring.
 */
import {
  TextDocumentSyncKind,
  TextDocuments,
  type Connection,
  type Diagnostic,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Disposable } from '../core/event';
import type { Logger } from '../core/log';
import type { EngineInfo, TaskInfo } from '../core/client/types';
import { NotificationBatcher } from './batcher';
import type { ClientFactory, ClusterClientLike } from './clientApi';
import { CompletionProvider, TRIGGER_CHARACTERS } from './completion';
import { DiagnosticsManager } from './diagnostics';
import { notConnected } from './errors';
import type { FeatureHost } from './features';
import { HoverProvider } from './hover';
import {
  CONFIRM_REDIRECT_TIMEOUT_MS,
  ConfirmRedirectRequest,
  EnginesChangedNotification,
  OutputNotification,
  StateChangedNotification,
  TasksChangedNotification,
  type RedirectTarget,
  type ServerSettings,
  type StateChangedParams,
} from './protocol';
import { registerRequests } from './requests';
import { RunsTable, isTerminal } from './runs';
import { initialSettings, mergeSettings } from './settings';

export const SERVER_NAME = 'ipyparallel-cluster-server';
export const SERVER_VERSION = '0.1.0';
/** How long hover and completion wait for an engine to turn idle after our own previous request. */
const IDLE_SETTLE_MS = 250;

export class ClusterServer implements FeatureHost {
  readonly documents = new TextDocuments(TextDocument);
  readonly runs: RunsTable;
  readonly batcher: NotificationBatcher;
  readonly diagnostics: DiagnosticsManager;
  readonly hoverProvider: HoverProvider;
  readonly completionProvider: CompletionProvider;
  #settings: ServerSettings = initialSettings(undefined);
  #client: ClusterClientLike | undefined;
  #clientSubs: Disposable[] = [];
  #connectionFile: string | undefined;
  #connectKey: string | undefined;
  #knownEngineIds = '';
  #serial: Promise<unknown> = Promise.resolve();

  constructor(
    readonly connection: Connection,
    readonly createClient: ClientFactory,
    readonly logger: Logger,
  ) {
    this.runs = new RunsTable(() => this.#client);
    this.batcher = new NotificationBatcher(
      {
        state: (p) => this.#notify(() => connection.sendNotification(StateChangedNotification, p)),
        engines: (engines) => this.#notify(() => connection.sendNotification(EnginesChangedNotification, { engines })),
        output: (items) => this.#notify(() => connection.sendNotification(OutputNotification, { items })),
        tasks: (changed, removed) =>
          this.#notify(() =>
            connection.sendNotification(TasksChangedNotification, {
              runs: changed.flatMap((id) => {
                const r = this.runs.get(id);
                return r ? [this.runs.summary(r)] : [];
              }),
              removed,
            }),
          ),
      },
      this.#settings.notificationBatchMs,
    );
    this.diagnostics = new DiagnosticsManager({
      enabled: () => this.#settings.diagnostics,
      document: (uri) => this.documents.get(uri),
      publish: (uri, diagnostics: Diagnostic[]) => this.#notify(() => connection.sendDiagnostics({ uri, diagnostics })),
    });
    this.hoverProvider = new HoverProvider(this);
    this.completionProvider = new CompletionProvider(this);
  }

  /** Registers every handler and starts listening on the connection. */
  listen(): void {
    const c = this.connection;
    c.onInitialize((params): InitializeResult => {
      this.applySettings(params.initializationOptions);
      return {
        capabilities: {
          textDocumentSync: TextDocumentSyncKind.Incremental,
          hoverProvider: true,
          completionProvider: { triggerCharacters: TRIGGER_CHARACTERS, resolveProvider: false },
        },
        serverInfo: { name: SERVER_NAME, version: SERVER_VERSION },
      };
    });
    c.onDidChangeConfiguration((params) => this.applySettings(params.settings));
    c.onHover((params, token) => {
      const doc = this.documents.get(params.textDocument.uri);
      return doc ? this.hoverProvider.hover(doc, params.position, token) : null;
    });
    c.onCompletion((params, token) => {
      const doc = this.documents.get(params.textDocument.uri);
      return doc ? this.completionProvider.complete(doc, params.position, token) : null;
    });
    this.documents.onDidChangeContent((e) => {
      // didOpen also fires this; only an edit (version > 1 or a second event) invalidates diagnostics.
      if (this.#opened.delete(e.document.uri)) return;
      this.diagnostics.documentChanged(e.document.uri);
    });
    this.documents.onDidOpen((e) => this.#opened.add(e.document.uri));
    c.onShutdown(async () => {
      this.batcher.flush();
      await this.closeClient();
    });
    c.onExit(() => this.dispose());
    registerRequests(this);
    this.documents.listen(c);
    c.listen();
  }

  #opened = new Set<string>();

  applySettings(raw: unknown): void {
    const before = this.#settings;
    this.#settings = mergeSettings(before, raw);
    this.batcher.setWindow(this.#settings.notificationBatchMs);
    if (before.diagnostics && !this.#settings.diagnostics) this.diagnostics.clearAll();
    if ((before.hover && !this.#settings.hover) || (before.evaluate && !this.#settings.evaluate)) this.hoverProvider.invalidate();
  }

  // ---- FeatureHost --------------------------------------------------------------------------------

  settings(): ServerSettings {
    return this.#settings;
  }

  get client(): ClusterClientLike | undefined {
    return this.#client;
  }

  get connectionFile(): string | undefined {
    return this.#connectionFile;
  }

  /** What the current client was made from (file and SSH options): an identical ipp/connect reuses it. */
  get connectKey(): string | undefined {
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

  /**
   * Engines that are idle and have none of our tasks pending or running. An engine that is busy with none
   * of our tasks is usually finishing a hover or completion request (its idle status follows the reply
   * by a moment), so such engines get up to `settleMs` to turn idle before they are left out.
   */
  async idleEngines(settleMs = IDLE_SETTLE_MS): Promise<number[]> {
    const client = this.connectedClient();
    if (!client) return [];
    const ours = new Set<number>();
    for (const id of this.runs.ids()) {
      const r = this.runs.get(id);
      if (!r) continue;
      for (const t of this.runs.allTasks(r)) if (!isTerminal(t.state) && t.engineId !== undefined) ours.add(t.engineId);
    }
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
      const answer = this.connection.sendRequest(ConfirmRedirectRequest, { connectionFile, from, to }).then(
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

  /** Runs connection changes one at a time (two ipp/connect requests must not race). */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#serial.then(fn, fn);
    this.#serial = next.catch(() => undefined);
    return next;
  }

  /** Makes `client` the window's client: forwards its events. The caller connects it. */
  adoptClient(client: ClusterClientLike, connectionFile: string, connectKey = connectionFile): void {
    this.#client = client;
    this.#connectionFile = connectionFile;
    this.#connectKey = connectKey;
    this.#knownEngineIds = '';
    this.#clientSubs = [
      client.onDidChangeState(({ state, error }) => {
        this.hoverProvider.invalidate();
        const p: StateChangedParams = { state, connectionFile };
        if (error) p.message = error.message;
        this.batcher.state(p);
      }),
      client.onDidChangeEngines((engines) => this.#enginesChanged(engines)),
      client.onDidChangeTask((task) => this.#taskChanged(task)),
      client.onDidOutput(({ task, output }) => {
        const runId = task.runId ?? this.runs.runOf(task.msgId);
        if (runId === undefined || !this.runs.get(runId)) return; // hover/completion traffic
        this.batcher.output({ runId, msgId: task.msgId, engineId: task.engineId, output });
      }),
    ];
  }

  /** Disconnects and forgets the current client, its runs and its diagnostics. */
  async closeClient(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    for (const id of this.runs.ids()) this.batcher.runRemoved(id);
    this.runs.clear();
    this.diagnostics.clearAll();
    this.hoverProvider.invalidate();
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
      this.batcher.state({ state: 'disconnected', connectionFile: this.#connectionFile });
      this.#connectionFile = undefined;
      this.#connectKey = undefined;
    }
  }

  dispose(): void {
    for (const s of this.#clientSubs) s.dispose();
    this.#clientSubs = [];
    this.#client?.dispose();
    this.#client = undefined;
    this.batcher.dispose();
  }

  #enginesChanged(engines: EngineInfo[]): void {
    const ids = engines.map((e) => e.id).join(',');
    if (ids !== this.#knownEngineIds) {
      this.#knownEngineIds = ids;
      this.hoverProvider.invalidate(); // a new engine has a different namespace
    }
    this.batcher.engines(engines);
  }

  #taskChanged(task: TaskInfo): void {
    const runId = task.runId ?? this.runs.runOf(task.msgId);
    const record = runId === undefined ? undefined : this.runs.get(runId);
    if (!record) return; // not from ipp/execute (hover, completion, history)
    this.batcher.runChanged(record.run.id);
    if (task.state === 'running' || isTerminal(task.state)) this.hoverProvider.invalidate();
    if (isTerminal(task.state)) {
      const tasks = this.runs.effectiveTasks(record);
      if (!record.reported && tasks.every((t) => isTerminal(t.state))) {
        record.reported = true;
        this.diagnostics.runFinished(record, tasks);
      }
    }
  }

  #notify(send: () => Promise<void> | void): void {
    try {
      const p = send();
      if (p) p.catch((e: Error) => this.logger.debug(`notification not sent: ${e.message}`));
    } catch (e) {
      this.logger.debug(`notification not sent: ${(e as Error).message}`);
    }
  }
}
