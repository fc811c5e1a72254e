import { DEFAULTS } from '../defaults';
import type { Logger } from '../log';
import { loadConnectionFile, type Channel, type ConnectionInfo } from '../protocol/connectionFile';
import { Session, type JsonObject, type Message } from '../protocol/message';
import { ClientTunnel } from '../transport/clientTunnel';
import { curveServerKeyFor, HandshakeTracker } from '../transport/curve';
import type { SshTunnelError } from '../transport/sshArgs';
import type { SshTunnelState } from '../transport/sshTunnel';
import { SUBSCRIBER_CHANNELS, Transport } from '../transport/transport';
import type { ClusterClientOptions } from './options';
import { ConnectionWatcher } from './connectionWatcher';
import type { RequestSpec } from './context';
import type { Dispatcher } from './dispatch';
import { parseQueueReply, type EnginesModel } from './engines';
import { ConnectError, ControllerGoneError, NotConnectedError } from './errors';
import type { ResultPoller } from './hubOps';
import type { IopubRouter } from './iopubRouter';
import { LivenessProbe } from './liveness';
import type { ReplySweep } from './replySweep';
import { describeTarget, shouldFollow } from './redirect';
import { hubError, okContent, seconds, withDeadline, type PendingRequests } from './requests';
import type { TasksModel } from './tasks';
import { message } from '../messages';
import type { ClientState, DropReason, RequestOptions } from './types';

/** What the connection drives: the client's models, and where its state changes and drops are reported. */
export interface ConnectionDeps {
  options: ClusterClientOptions;
  logger: Logger;
  /** The default request timeout (the client's requestTimeoutMs). */
  requestTimeoutMs: number;
  engines: EnginesModel;
  tasks: TasksModel;
  requests: PendingRequests;
  router: IopubRouter;
  dispatcher: Dispatcher;
  poller: ResultPoller;
  /** Looks up tasks whose reply never came, on probe ticks. */
  sweep: ReplySweep;
  onState(state: ClientState, error?: Error): void;
  onDrop(channel: Channel, reason: DropReason, detail: string): void;
}

/** What decides whether a rewritten connection file is a different controller. */
function fingerprint(info: ConnectionInfo): string {
  return JSON.stringify([info.transport, info.ip, info.ports, info.key, info.signatureScheme, info.curveServerKey]);
}

/**
 * ClusterClient's link to the controller: the connection file and the session made from it, the sockets
 * (through an SSH tunnel when one is named), the connection state, the liveness probe, and reconnecting
 * when the file is rewritten or the tunnel comes back. Teardown fails pending requests and active tasks.
 */
export class Connection {
  readonly #options: ClusterClientOptions;
  readonly #logger: Logger;
  readonly #file: string | undefined;
  readonly #requestTimeoutMs: number;
  #info: ConnectionInfo | undefined;
  #session: Session;
  #sessionKey: string | undefined;
  #sessionUsed = false;
  #state: ClientState = 'disconnected';
  #transport: Transport | undefined;
  #opening: Promise<void> | undefined;
  #watcher: ConnectionWatcher | undefined;
  #liveness: LivenessProbe | undefined;
  /** Messages received on any channel (the liveness probe tells a busy cluster from a silent one). */
  #received = 0;
  #ownShutdown = false;
  #recheckFile = false;
  readonly #tunnel: ClientTunnel;
  /** Connect and handshake events of the current transport's sockets: explain silence, await re-subscription. */
  #handshakes = new HandshakeTracker();
  #subscribedBeforeDrop: number[] = [];
  readonly #engines: EnginesModel;
  readonly #tasks: TasksModel;
  readonly #requests: PendingRequests;
  readonly #router: IopubRouter;
  readonly #dispatcher: Dispatcher;
  readonly #poller: ResultPoller;
  readonly #sweep: ReplySweep;
  readonly #onState: ConnectionDeps['onState'];
  readonly #onDrop: ConnectionDeps['onDrop'];

  constructor(deps: ConnectionDeps) {
    const options = deps.options;
    this.#options = options;
    this.#logger = deps.logger;
    this.#file = options.connectionFile;
    this.#info = options.connectionInfo;
    this.#requestTimeoutMs = deps.requestTimeoutMs;
    this.#engines = deps.engines;
    this.#tasks = deps.tasks;
    this.#requests = deps.requests;
    this.#router = deps.router;
    this.#dispatcher = deps.dispatcher;
    this.#poller = deps.poller;
    this.#sweep = deps.sweep;
    this.#onState = deps.onState;
    this.#onDrop = deps.onDrop;
    // Until connect() reads the file, the session has no key; nothing is sent before that.
    this.#sessionKey = this.#info?.key;
    this.#session = new Session({ key: this.#info?.key ?? '', signatureScheme: this.#info?.signatureScheme, username: options.username });
    this.#tunnel = new ClientTunnel({ ...options.ssh, server: options.sshServer, logger: this.#logger });
    this.#tunnel.onDidChangeState(({ state, error }) => this.#onTunnelState(state, error));
  }

  get session(): Session {
    return this.#session;
  }

  get state(): ClientState {
    return this.#state;
  }

  get info(): ConnectionInfo | undefined {
    return this.#info;
  }

  get file(): string | undefined {
    return this.#file;
  }

  /** The SSH server the open sockets go through, if any. */
  get tunnelServer(): string | undefined {
    return this.#transport ? this.#tunnel.server : undefined;
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  async connect(options: RequestOptions): Promise<void> {
    if (this.#state === 'closed') throw new NotConnectedError(message('disposed'));
    if (this.#state === 'connected') return;
    if (this.#opening) return this.#opening;
    this.#ownShutdown = false;
    await this.#open('connecting', options);
    if (this.#file && (this.#options.watchConnectionFile ?? true) && !this.#watcher) {
      this.#watcher = new ConnectionWatcher(this.#file, () => void this.#onFileChanged(), this.#logger);
    }
  }

  async disconnect(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#stopWatching();
    const wasOpen = this.#transport !== undefined;
    this.#teardown(message('clientDisconnected'));
    if (wasOpen || this.#state !== 'disconnected') this.#setState('disconnected');
    await this.#tunnel.close();
  }

  /** Stops watching, closes everything and ends in 'closed'. */
  dispose(): void {
    this.#stopWatching();
    this.#teardown(message('clientDisposed'));
    this.#tunnel.dispose();
    this.#setState('closed');
  }

  /** Runs `send` (our shutdown_request): once it succeeds, disconnects and stops watching the file. */
  async shutdown(send: () => Promise<void>): Promise<void> {
    this.#ownShutdown = true;
    try {
      await send();
    } catch (e) {
      this.#ownShutdown = false;
      throw e;
    }
    this.#stopWatching();
    this.lose(message('shutDownByUs'));
  }

  /** A shutdown_notification: after our own shutdown_request, its reply (on another socket, maybe later) does the disconnect. */
  shutdownNotified(): void {
    if (!this.#ownShutdown) this.lose(message('shutDown'));
  }

  /** Queues frames on a channel of the open transport (dropped when there is none). */
  send(channel: Channel, frames: Buffer[]): void {
    this.#transport?.send(channel, frames);
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
        onMessage: (channel, msg) => {
          this.#received++;
          this.#dispatcher.onMessage(channel, msg);
        },
        onDrop: (channel, reason, detail) => this.#onDrop(channel, reason, detail),
        onSocketEvent: (channel, type) => {
          handshakes.note(channel, type);
          this.#onSocketEvent(transport, channel, type);
        },
      });
      this.#transport = transport;
      const url = transport.urls.registration;
      const timeoutMs = options.timeoutMs ?? this.#options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
      if (urls) this.#logger.info(`tunnelling every channel through ${this.#tunnel.server}`);
      this.#logger.info(`connecting to the controller at ${url}`);
      const reply = await this.request('registration', 'connection_request', {}, {
        what: 'connection_request',
        timeoutMs,
        signal: options.signal,
        onTimeout: () => {
          // CURVE with a wrong server key fails silently inside zeromq: the socket events tell why.
          const why = handshakes.explain('registration', url, { curve: curveServerKeyFor(info) !== null, tunnel: this.#tunnel.server });
          const text = message('noAnswer', url, seconds(timeoutMs));
          return new ConnectError(why ? `${text} ${why}` : text);
        },
      });
      if (reply.content.status !== 'ok') {
        throw new ConnectError(message('refusedAt', url, hubError(reply.content).message));
      }
      this.#engines.reset((reply.content.engines ?? {}) as Record<string, unknown>);
      // The engines' busy/idle and counts (EnginesModel). connect() waits for them at most 5 s; a slower
      // reply (a loaded hub) still lands when it comes, instead of leaving the engines `unknown` until
      // the next liveness probe.
      const counts = this.request('registration', 'queue_request', { targets: null, verbose: false }, { what: 'the initial queue_request' }).then(
        (r) => this.#engines.applyQueue(parseQueueReply(okContent(r))),
      );
      counts.catch((e: Error) => this.#logger.debug(`initial queue_request: ${e.message}`));
      // Slow joiner: make sure the SUB sockets are attached before the first execute's output is published.
      await Promise.all([
        transport.subscribersReady(Math.min(2000, timeoutMs)),
        withDeadline(counts, { timeoutMs: Math.min(5000, timeoutMs) }, 'the initial queue_request').catch(() => undefined),
      ]);
      if (this.#transport !== transport) throw new ControllerGoneError(message('closedWhileConnecting'));
      this.#setState('connected');
      this.#logger.info(`connected to ${url}: ${this.#engines.size} engine(s)`);
      this.#liveness = new LivenessProbe(
        { url, query: (ms) => this.#probe(transport as Transport, ms), lost: (reason) => this.lose(reason), activity: () => this.#received },
        this.#options.probeIntervalMs ?? 3000,
        this.#options.probeTimeoutMs ?? 5000,
      );
    } catch (e) {
      if (transport && this.#transport === transport) this.#teardown(message('connectingFailed', (e as Error).message));
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
    this.#requests.failAll((what) => new ControllerGoneError(message('requestFailed', what, reason)));
    for (const t of this.#tasks.active()) this.#tasks.finish(t.msgId, 'lost', reason);
    this.#router.clear();
    this.#engines.clear();
  }

  /** The controller went away: disconnected (the watcher reconnects when its file is rewritten). */
  lose(reason: string): void {
    if (this.#state !== 'connected') return;
    this.#logger.warn(`lost the controller: ${reason}`);
    this.#teardown(reason);
    void this.#tunnel.close();
    this.#setState('disconnected', new ControllerGoneError(reason));
  }

  #setState(state: ClientState, error?: Error): void {
    if (this.#state === state && !error) return;
    this.#state = state;
    this.#onState(state, error);
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
    if (changed && this.#info && !(await this.#mayFollow(this.#info, info))) return;
    if (this.#state === 'connected' || this.#transport) {
      if (!changed) return;
      this.#logger.info(`${this.#file} was rewritten (new key or ports): reconnecting`);
      this.#teardown(message('controllerRestarted'));
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

  /** A rewrite to another host or SSH server is followed only when confirmRedirect says so. */
  async #mayFollow(before: ConnectionInfo, after: ConnectionInfo): Promise<boolean> {
    const file = this.#file ?? '';
    const d = await shouldFollow(before, after, file, this.#options.sshServer, this.#options.confirmRedirect);
    if (!d.follow) {
      this.#logger.warn(`${file} now points at ${describeTarget(d.to)} instead of ${describeTarget(d.from)}: not following it (not confirmed)`);
    }
    return d.follow && this.#state !== 'closed' && this.#watcher !== undefined;
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
      const reason = message('tunnelNotReestablished', String(this.#tunnel.server));
      this.#logger.warn(`lost the controller: ${reason}`);
      this.#teardown(reason);
      void this.#tunnel.close();
      this.#setState('disconnected', error);
    }
  }

  /** After a tunnel drop: the hub answers again, the SUB sockets are re-subscribed, lost replies are fetched. */
  async #reverify(transport: Transport): Promise<void> {
    const timeoutMs = this.#options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    const seen = this.#subscribedBeforeDrop;
    const handshakes = this.#handshakes;
    try {
      const reply = await this.request('registration', 'connection_request', {}, { what: 'connection_request', timeoutMs });
      if (reply.content.status !== 'ok') throw new ConnectError(message('refused', hubError(reply.content).message));
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
      this.#teardown(message('reconnectingFailed', (e as Error).message));
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
    const reply = await this.request('registration', 'queue_request', { targets: null, verbose: false }, {
      what: 'the liveness probe (queue_request)',
      timeoutMs,
    });
    const status = parseQueueReply(okContent(reply));
    this.#engines.applyQueue(status);
    if (transport !== this.#transport) return;
    await this.#dispatcher.reconcile(status, async () => {
      const r = await this.request('registration', 'connection_request', {}, { what: 'connection_request (engine list)', timeoutMs });
      return (okContent(r).engines ?? {}) as Record<string, unknown>;
    });
    // Not awaited: a slow sweep must not make the probe look like a silent hub.
    if (transport === this.#transport) void this.#sweep.tick();
  }

  requireConnected(): void {
    if (this.#state !== 'connected' || !this.#transport) {
      throw new NotConnectedError(this.#state === 'closed' ? message('disposed') : message('notConnectedState', this.#state));
    }
  }

  request(channel: Channel, msgType: string, content: JsonObject, spec: RequestSpec = {}): Promise<Message> {
    const transport = this.#transport;
    if (!transport) return Promise.reject(new NotConnectedError(message('notConnectedState', this.#state)));
    const out = this.#session.build(msgType, content, { routing: spec.routing, metadata: spec.metadata });
    const reply = this.#requests.add(out.header.msg_id, {
      what: spec.what ?? msgType,
      timeoutMs: spec.timeoutMs ?? this.#requestTimeoutMs,
      signal: spec.signal,
      engineUuid: spec.engineUuid,
      onTimeout: spec.onTimeout,
    });
    if (this.#requests.has(out.header.msg_id)) transport.send(channel, out.frames);
    return reply;
  }
}
