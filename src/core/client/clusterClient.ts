import { Emitter, type Disposable, type Event } from '../event';
import { silentLogger, type Logger } from '../log';
import { loadConnectionFile, type Channel, type ConnectionInfo } from '../protocol/connectionFile';
import { Session, type JsonObject, type Message } from '../protocol/message';
import { ClientTunnel, type SshClientOptions } from '../transport/clientTunnel';
import { curveServerKeyFor, HandshakeTracker } from '../transport/curve';
import { DropCounter } from '../transport/dropCounter';
import type { SshTunnelError } from '../transport/sshArgs';
import type { SshTunnelState } from '../transport/sshTunnel';
import { SUBSCRIBER_CHANNELS, Transport } from '../transport/transport';
import { ConnectionWatcher } from './connectionWatcher';
import type { ClientContext, RequestSpec } from './context';
import { EnginesModel, parseQueueReply } from './engines';
import { ConnectError, ControllerGoneError, EngineGoneError, NotConnectedError } from './errors';
import * as exec from './execution';
import * as hub from './hubOps';
import { Dispatcher } from './dispatch';
import { IopubRouter } from './iopubRouter';
import { LivenessProbe } from './liveness';
import { hubError, okContent, PendingRequests, seconds } from './requests';
import { securityPosture } from './security';
import { TasksModel } from './tasks';
import type {
  ClientState,
  ClientStatus,
  CompletionResult,
  DropReason,
  DroppedCounters,
  EngineInfo,
  ExecuteOptions,
  ExpressionValue,
  OutputItem,
  QueueStatus,
  RequestOptions,
  Run,
  SecurityPosture,
  TaskInfo,
} from './types';

export interface ClusterClientOptions {
  /** Path of ipcontroller[-<id>]-client.json; or: */
  connectionFile?: string;
  /** Already parsed connection info. */
  connectionInfo?: ConnectionInfo;
  logger?: Logger;
  /** Default 10,000. */
  connectTimeoutMs?: number;
  /** Default 30,000 for hub queries and control requests. */
  requestTimeoutMs?: number;
  /** Default true when connectionFile is given: reconnect when it is rewritten (new key/ports). */
  watchConnectionFile?: boolean;
  username?: string;
  /** Liveness probe (a queue_request) period. Default 3,000 ms. */
  probeIntervalMs?: number;
  /** How long the probe waits for the hub. Default 5,000 ms. */
  probeTimeoutMs?: number;
  /** How long a replied task waits for its iopub idle before completing. Default 3,000 ms. */
  idleGraceMs?: number;
  /** Terminal tasks beyond this many are forgotten, oldest first. Default 20,000. */
  maxTasks?: number;
  /** `[user@]host[:port]` to tunnel through over SSH; wins over the connection file's `ssh` field. */
  sshServer?: string;
  /** How to run ssh for tunnels (path, extra arguments such as -i or -J, timeouts). */
  ssh?: SshClientOptions;
}

/** What decides whether a rewritten connection file is a different controller. */
function fingerprint(info: ConnectionInfo): string {
  return JSON.stringify([info.transport, info.ip, info.ports, info.key, info.signatureScheme, info.curveServerKey]);
}

/**
 * A live, authenticated session with one ipyparallel cluster: the sockets, the engines and tasks models,
 * execution and hub queries. States: disconnected -> connecting -> connected; a lost controller goes back
 * to disconnected (reconnecting when its connection file is rewritten); dispose() -> closed.
 */
export class ClusterClient implements Disposable {
  readonly #options: ClusterClientOptions;
  readonly #logger: Logger;
  readonly #file: string | undefined;
  #info: ConnectionInfo | undefined;
  #session: Session;
  #sessionKey: string | undefined;
  #sessionUsed = false;
  #state: ClientState = 'disconnected';
  #transport: Transport | undefined;
  #opening: Promise<void> | undefined;
  #watcher: ConnectionWatcher | undefined;
  #liveness: LivenessProbe | undefined;
  #ownShutdown = false;
  #recheckFile = false;
  readonly #dispatcher: Dispatcher;
  readonly #tunnel: ClientTunnel;
  /** Connect and handshake events of the current transport's sockets: explain silence, await re-subscription. */
  #handshakes = new HandshakeTracker();
  #subscribedBeforeDrop: number[] = [];
  readonly #requests = new PendingRequests();
  readonly #drops = new DropCounter();
  readonly #engines = new EnginesModel();
  readonly #tasks: TasksModel;
  readonly #router: IopubRouter;
  readonly #poller: hub.ResultPoller;
  readonly #ctx: ClientContext;

  readonly #onDidChangeState = new Emitter<{ state: ClientState; error?: Error }>();
  readonly onDidChangeState: Event<{ state: ClientState; error?: Error }> = this.#onDidChangeState.event;
  readonly onDidChangeEngines: Event<EngineInfo[]> = this.#engines.onDidChange;
  readonly onDidChangeTask: Event<TaskInfo>;
  readonly onDidOutput: Event<{ task: TaskInfo; output: OutputItem }>;
  readonly #onDidDrop = new Emitter<{ channel: Channel; reason: DropReason; detail: string }>();
  readonly onDidDrop: Event<{ channel: Channel; reason: DropReason; detail: string }> = this.#onDidDrop.event;

  constructor(options: ClusterClientOptions) {
    if (!options.connectionFile && !options.connectionInfo) throw new TypeError('ClusterClient needs connectionFile or connectionInfo');
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#file = options.connectionFile;
    this.#info = options.connectionInfo;
    // Until connect() reads the file, the session has no key; nothing is sent before that.
    this.#sessionKey = this.#info?.key;
    this.#session = new Session({ key: this.#info?.key ?? '', signatureScheme: this.#info?.signatureScheme, username: options.username });
    this.#tasks = new TasksModel({ idleGraceMs: options.idleGraceMs, maxTasks: options.maxTasks });
    this.onDidChangeTask = this.#tasks.onDidChangeTask;
    this.onDidOutput = this.#tasks.onDidOutput;
    this.#router = new IopubRouter(() => this.#session.id, this.#engines, this.#tasks, (id) => this.#requests.has(id));
    this.#tasks.onAdd = (t) => this.#router.adopt(t.msgId);
    this.#dispatcher = new Dispatcher({
      engines: this.#engines,
      tasks: this.#tasks,
      requests: this.#requests,
      router: this.#router,
      logger: this.#logger,
      // After our own shutdown_request, its reply (on another socket, maybe later) does the disconnect.
      onShutdown: () => {
        if (!this.#ownShutdown) this.#lose('the cluster was shut down');
      },
    });
    const currentSession = (): Session => this.#session;
    this.#ctx = {
      get session() {
        return currentSession();
      },
      engines: this.#engines,
      tasks: this.#tasks,
      logger: this.#logger,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      requireConnected: () => this.#requireConnected(),
      send: (channel, frames) => this.#transport?.send(channel, frames),
      request: (channel, msgType, content, spec) => this.#request(channel, msgType, content, spec),
      engineUuid: (id) => {
        const uuid = this.#engines.uuidOf(id);
        if (uuid === undefined) throw new EngineGoneError(id, `engine ${id} is not registered with the controller`);
        return uuid;
      },
    };
    this.#poller = new hub.ResultPoller(this.#ctx);
    this.#tunnel = new ClientTunnel({ ...options.ssh, server: options.sshServer, logger: this.#logger });
    this.#tunnel.onDidChangeState(({ state, error }) => this.#onTunnelState(state, error));
  }

  /** Our Session: its id tags every request. A new one (new id) is made when reconnecting to a new controller. */
  get session(): Session {
    return this.#session;
  }

  get state(): ClientState {
    return this.#state;
  }

  get connectionInfo(): ConnectionInfo | undefined {
    return this.#info;
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  /** Opens every socket and sends connection_request; fails with ConnectError when nobody answers. */
  async connect(options: RequestOptions = {}): Promise<void> {
    if (this.#state === 'closed') throw new NotConnectedError('this client was disposed');
    if (this.#state === 'connected') return;
    if (this.#opening) return this.#opening;
    this.#ownShutdown = false;
    await this.#open('connecting', options);
    if (this.#file && (this.#options.watchConnectionFile ?? true) && !this.#watcher) {
      this.#watcher = new ConnectionWatcher(this.#file, () => void this.#onFileChanged(), this.#logger);
    }
  }

  /** Closes the sockets. Pending requests reject with ControllerGoneError; tasks in flight end as lost. */
  async disconnect(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#stopWatching();
    const wasOpen = this.#transport !== undefined;
    this.#teardown('the client disconnected');
    if (wasOpen || this.#state !== 'disconnected') this.#setState('disconnected');
    await this.#tunnel.close();
  }

  dispose(): void {
    if (this.#state === 'closed') return;
    this.#stopWatching();
    this.#teardown('the client was disposed');
    this.#tunnel.dispose();
    this.#setState('closed');
    this.#tasks.dispose();
    this.#engines.dispose();
    this.#onDidChangeState.dispose();
    this.#onDidDrop.dispose();
  }

  #open(state: 'connecting' | 'reconnecting', options: RequestOptions): Promise<void> {
    const opening = this.#doOpen(state, options).finally(() => {
      if (this.#opening === opening) this.#opening = undefined;
    });
    this.#opening = opening;
    return opening;
  }

  async #doOpen(state: 'connecting' | 'reconnecting', options: RequestOptions): Promise<void> {
    this.#setState(state);
    let transport: Transport | undefined;
    try {
      const info = this.#file ? loadConnectionFile(this.#file) : (this.#info as ConnectionInfo);
      this.#info = info;
      for (const w of info.warnings) this.#logger.warn(w);
      if (this.#sessionUsed || this.#sessionKey !== info.key) {
        this.#session = new Session({ key: info.key, signatureScheme: info.signatureScheme, username: this.#options.username });
        this.#sessionKey = info.key;
      }
      this.#sessionUsed = true;
      // Through an SSH tunnel when the file or the user names a server: the sockets connect to its local ends.
      const urls = await this.#tunnel.open(info, options.signal);
      const handshakes = new HandshakeTracker();
      this.#handshakes = handshakes;
      transport = new Transport({
        info,
        urls,
        session: this.#session,
        logger: this.#logger,
        onMessage: (channel, msg) => this.#dispatcher.onMessage(channel, msg),
        onDrop: (channel, reason, detail) => {
          this.#drops.add(channel, reason);
          this.#onDidDrop.fire({ channel, reason, detail });
        },
        onSocketEvent: (channel, type) => {
          handshakes.note(channel, type);
          this.#onSocketEvent(transport, channel, type);
        },
      });
      this.#transport = transport;
      const url = transport.urls.registration;
      const timeoutMs = options.timeoutMs ?? this.#options.connectTimeoutMs ?? 10_000;
      if (urls) this.#logger.info(`tunnelling every channel through ${this.#tunnel.server}`);
      this.#logger.info(`connecting to the controller at ${url}`);
      const reply = await this.#request('registration', 'connection_request', {}, {
        what: 'connection_request',
        timeoutMs,
        signal: options.signal,
        onTimeout: () => {
          // CURVE with a wrong server key fails silently inside zeromq: the socket events tell why.
          const why = handshakes.explain('registration', url, { curve: curveServerKeyFor(info) !== null, tunnel: this.#tunnel.server });
          return new ConnectError(`no answer from the controller at ${url} within ${seconds(timeoutMs)} s: is it running, and is the key right?${why ? ` ${why}` : ''}`);
        },
      });
      if (reply.content.status !== 'ok') {
        throw new ConnectError(`the controller at ${url} refused the connection: ${hubError(reply.content).message}`);
      }
      this.#engines.reset((reply.content.engines ?? {}) as Record<string, unknown>);
      // Slow joiner: make sure the SUB sockets are attached before the first execute's output is published.
      await Promise.all([
        transport.subscribersReady(Math.min(2000, timeoutMs)),
        this.#request('registration', 'queue_request', { targets: null, verbose: false }, { timeoutMs: Math.min(5000, timeoutMs) })
          .then((r) => this.#engines.applyQueue(parseQueueReply(okContent(r))))
          .catch((e: Error) => this.#logger.debug(`initial queue_request: ${e.message}`)),
      ]);
      if (this.#transport !== transport) throw new ControllerGoneError('the connection was closed while connecting');
      this.#setState('connected');
      this.#logger.info(`connected to ${url}: ${this.#engines.size} engine(s)`);
      this.#liveness = new LivenessProbe(
        { url, query: (ms) => this.#probe(transport as Transport, ms), lost: (reason) => this.#lose(reason) },
        this.#options.probeIntervalMs ?? 3000,
        this.#options.probeTimeoutMs ?? 5000,
      );
    } catch (e) {
      if (transport && this.#transport === transport) this.#teardown(`connecting failed: ${(e as Error).message}`);
      if (!this.#transport) void this.#tunnel.close();
      if (this.#state !== 'closed') this.#setState('disconnected', e as Error);
      throw e;
    }
  }

  /** Closes the transport; every pending request and active task fails with `reason`. */
  #teardown(reason: string): void {
    this.#liveness?.dispose();
    this.#liveness = undefined;
    this.#dispatcher.clear();
    this.#poller.clear();
    const transport = this.#transport;
    this.#transport = undefined;
    transport?.close();
    this.#requests.failAll((what) => new ControllerGoneError(`${what} failed: ${reason}`));
    for (const t of this.#tasks.active()) this.#tasks.finish(t.msgId, 'lost', reason);
    this.#router.clear();
    this.#engines.clear();
  }

  /** The controller went away: disconnected (the watcher reconnects when its file is rewritten). */
  #lose(reason: string): void {
    if (this.#state !== 'connected') return;
    this.#logger.warn(`lost the controller: ${reason}`);
    this.#teardown(reason);
    void this.#tunnel.close();
    this.#setState('disconnected', new ControllerGoneError(reason));
  }

  #setState(state: ClientState, error?: Error): void {
    if (this.#state === state && !error) return;
    this.#state = state;
    this.#onDidChangeState.fire(error ? { state, error } : { state });
  }

  #stopWatching(): void {
    this.#watcher?.dispose();
    this.#watcher = undefined;
  }

  async #onFileChanged(): Promise<void> {
    if (!this.#file || this.#state === 'closed' || !this.#watcher) return;
    let info: ConnectionInfo;
    try {
      info = loadConnectionFile(this.#file);
    } catch {
      // Deleted (a clean controller exit) or half-written: check on the controller now.
      if (this.#state === 'connected') void this.#liveness?.probe();
      return;
    }
    if (this.#opening) {
      // Look again once the attempt in progress settles: the file may have changed under it.
      this.#recheckFile = true;
      return;
    }
    const changed = !this.#info || fingerprint(info) !== fingerprint(this.#info);
    if (this.#state === 'connected' || this.#transport) {
      if (!changed) return;
      this.#logger.info(`${this.#file} was rewritten (new key or ports): reconnecting`);
      this.#teardown('the controller restarted (its connection file was rewritten)');
    } else if (this.#ownShutdown) {
      return;
    }
    try {
      await this.#open('reconnecting', {});
    } catch (e) {
      this.#logger.warn(`reconnecting failed: ${(e as Error).message}`);
    }
    if (this.#recheckFile) {
      this.#recheckFile = false;
      void this.#onFileChanged();
    }
  }

  // ---- ssh tunnel ----------------------------------------------------------------------------------

  /**
   * The tunnel dropped: 'reconnecting' while it re-establishes itself on the same local ports (the
   * zeromq sockets reconnect to them by themselves), then re-verify the hub. A tunnel that gives up
   * loses the controller.
   */
  #onTunnelState(state: SshTunnelState, error?: SshTunnelError): void {
    if (state === 'down' && this.#state === 'connected' && this.#transport) {
      this.#subscribedBeforeDrop = SUBSCRIBER_CHANNELS.map((c) => this.#handshakes.handshakes(c));
      this.#setState('reconnecting', error);
    } else if (state === 'up' && this.#state === 'reconnecting' && this.#transport && !this.#opening) {
      void this.#reverify(this.#transport);
    } else if (state === 'failed' && this.#state === 'reconnecting' && this.#transport && !this.#opening) {
      const reason = `the SSH tunnel through ${this.#tunnel.server} could not be re-established`;
      this.#logger.warn(`lost the controller: ${reason}`);
      this.#teardown(reason);
      void this.#tunnel.close();
      this.#setState('disconnected', error);
    }
  }

  /** After a tunnel drop: the hub answers again, the SUB sockets are re-subscribed, lost replies are fetched. */
  async #reverify(transport: Transport): Promise<void> {
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
    const seen = this.#subscribedBeforeDrop;
    const handshakes = this.#handshakes;
    try {
      const reply = await this.#request('registration', 'connection_request', {}, { what: 'connection_request', timeoutMs });
      if (reply.content.status !== 'ok') throw new ConnectError(`the controller refused the connection: ${hubError(reply.content).message}`);
      // Output published before the SUB sockets are re-attached would be lost (the slow joiner again).
      await Promise.all(SUBSCRIBER_CHANNELS.map((c, i) => handshakes.whenHandshaken(c, seen[i] ?? 0, Math.min(5000, timeoutMs))));
      if (transport !== this.#transport || this.#state !== 'reconnecting') return;
      this.#engines.reset((reply.content.engines ?? {}) as Record<string, unknown>);
      this.#liveness?.reset();
      this.#setState('connected');
      this.#logger.info(`reconnected through ${this.#tunnel.server}: ${this.#engines.size} engine(s)`);
      // Replies and outputs sent while the tunnel was down are gone: ask the hub for the tasks still in flight.
      for (const t of this.#tasks.active()) this.#poller.add(t.msgId);
      void this.#liveness?.probe();
    } catch (e) {
      if (transport !== this.#transport || this.#state !== 'reconnecting') return;
      this.#logger.warn(`reconnecting through ${this.#tunnel.server} failed: ${(e as Error).message}`);
      this.#teardown(`reconnecting failed: ${(e as Error).message}`);
      void this.#tunnel.close();
      this.#setState('disconnected', e as Error);
    }
  }

  // ---- liveness ----------------------------------------------------------------------------------

  #onSocketEvent(transport: Transport | undefined, channel: Channel, type: string): void {
    if (transport !== this.#transport) return;
    if (type.startsWith('handshake:error')) this.#logger.warn(`${channel}: zeromq handshake failed (${type})`);
    if (channel === 'registration') this.#liveness?.socketEvent(type);
  }

  /** The liveness probe's query: a queue_request that also refreshes the counts and reconciles the engines. */
  async #probe(transport: Transport, timeoutMs: number): Promise<void> {
    if (this.#state !== 'connected' || transport !== this.#transport) return;
    const reply = await this.#request('registration', 'queue_request', { targets: null, verbose: false }, {
      what: 'the liveness probe (queue_request)',
      timeoutMs,
    });
    const status = parseQueueReply(okContent(reply));
    this.#engines.applyQueue(status);
    if (transport !== this.#transport) return;
    await this.#dispatcher.reconcile(status, async () => {
      const r = await this.#request('registration', 'connection_request', {}, { what: 'connection_request (engine list)', timeoutMs });
      return (okContent(r).engines ?? {}) as Record<string, unknown>;
    });
  }

  #requireConnected(): void {
    if (this.#state !== 'connected' || !this.#transport) {
      throw new NotConnectedError(this.#state === 'closed' ? 'this client was disposed' : `not connected to a cluster (state: ${this.#state})`);
    }
  }

  #request(channel: Channel, msgType: string, content: JsonObject, spec: RequestSpec = {}): Promise<Message> {
    const transport = this.#transport;
    if (!transport) return Promise.reject(new NotConnectedError(`not connected to a cluster (state: ${this.#state})`));
    const out = this.#session.build(msgType, content, { routing: spec.routing, metadata: spec.metadata });
    const reply = this.#requests.add(out.header.msg_id, {
      what: spec.what ?? msgType,
      timeoutMs: spec.timeoutMs ?? this.#ctx.requestTimeoutMs,
      signal: spec.signal,
      engineUuid: spec.engineUuid,
      onTimeout: spec.onTimeout,
    });
    if (this.#requests.has(out.header.msg_id)) transport.send(channel, out.frames);
    return reply;
  }

  // ---- models ------------------------------------------------------------------------------------

  engines(): EngineInfo[] {
    return this.#engines.list();
  }

  engine(id: number): EngineInfo | undefined {
    return this.#engines.get(id);
  }

  tasks(): TaskInfo[] {
    return this.#tasks.list();
  }

  task(msgId: string): TaskInfo | undefined {
    return this.#tasks.get(msgId);
  }

  runs(): Run[] {
    return this.#tasks.runs();
  }

  run(runId: string): Run | undefined {
    return this.#tasks.run(runId);
  }

  dropped(): DroppedCounters {
    return this.#drops.snapshot();
  }

  security(): SecurityPosture | undefined {
    return this.#info && securityPosture(this.#info, { tunnel: this.#transport ? this.#tunnel.server : undefined });
  }

  status(): ClientStatus {
    const status: ClientStatus = {
      state: this.#state,
      engines: this.#engines.size,
      runningTasks: this.#tasks.activeCount,
      dropped: this.dropped(),
    };
    const file = this.#file ?? (this.#info?.file || undefined);
    if (file) status.connectionFile = file;
    const security = this.security();
    if (security) status.security = security;
    return status;
  }

  // ---- operations --------------------------------------------------------------------------------

  execute(code: string, options?: ExecuteOptions): Run {
    return exec.execute(this.#ctx, code, options);
  }

  wait(msgIdsOrRunId: string | string[], options?: RequestOptions): Promise<TaskInfo[]> {
    return exec.wait(this.#ctx, msgIdsOrRunId, options);
  }

  evaluate(
    expressions: Record<string, string>,
    options?: RequestOptions & { targets?: number[] },
  ): Promise<Map<number, Record<string, ExpressionValue>>> {
    return exec.evaluate(this.#ctx, expressions, options);
  }

  complete(code: string, cursorPos: number, options?: RequestOptions & { engineId?: number }): Promise<CompletionResult> {
    return exec.complete(this.#ctx, code, cursorPos, options);
  }

  abort(msgIds?: string[], options?: RequestOptions & { engineIds?: number[] }): Promise<void> {
    return exec.abort(this.#ctx, msgIds, options);
  }

  interrupt(engineIds?: number[], options?: RequestOptions): Promise<void> {
    return exec.interrupt(this.#ctx, engineIds, options);
  }

  resubmit(msgIds: string[], options?: RequestOptions): Promise<Record<string, string>> {
    return hub.resubmit(this.#ctx, this.#poller, msgIds, options);
  }

  purge(msgIds: string[] | 'all', options?: RequestOptions & { engineIds?: number[] }): Promise<void> {
    return hub.purge(this.#ctx, msgIds, options);
  }

  results(
    msgIds: string[],
    options?: RequestOptions & { statusOnly?: boolean },
  ): Promise<{ pending: string[]; completed: string[]; records: Record<string, unknown> }> {
    return hub.results(this.#ctx, msgIds, options);
  }

  history(options?: RequestOptions): Promise<string[]> {
    return hub.history(this.#ctx, options);
  }

  db(query: Record<string, unknown>, keys?: string[] | null, options?: RequestOptions): Promise<Record<string, unknown>[]> {
    return hub.db(this.#ctx, query, keys, options);
  }

  historyTasks(options?: RequestOptions & { limit?: number }): Promise<TaskInfo[]> {
    return hub.historyTasks(this.#ctx, options);
  }

  queueStatus(options?: RequestOptions): Promise<QueueStatus> {
    return hub.queueStatus(this.#ctx, options);
  }

  /** Stops the whole cluster; this client then disconnects and does not reconnect on its own. */
  async shutdown(options?: RequestOptions): Promise<void> {
    this.#ownShutdown = true;
    try {
      await hub.shutdown(this.#ctx, options);
    } catch (e) {
      this.#ownShutdown = false;
      throw e;
    }
    this.#stopWatching();
    this.#lose('the cluster was shut down by this client');
  }
}
