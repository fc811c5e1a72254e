import { DEFAULTS } from '../defaults';
import { message } from '../messages';
import { Emitter, type Disposable, type Event } from '../event';
import { silentLogger, type Logger } from '../log';
import type { Channel, ConnectionInfo } from '../protocol/connectionFile';
import type { Session } from '../protocol/message';
import { DropCounter } from '../transport/dropCounter';
import { Connection } from './connection';
import type { ClusterClientOptions } from './options';
import type { ClientContext } from './context';
import { EnginesModel } from './engines';
import { EngineGoneError } from './errors';
import * as exec from './execution';
import * as hub from './hubOps';
import { Dispatcher } from './dispatch';
import { IopubRouter } from './iopubRouter';
import { reattach, type ReattachResult, type ReattachSpec } from './reattach';
import { ReplySweep } from './replySweep';
import { PendingRequests } from './requests';
import { clampOptionalTimeoutMs, clampTimeoutMs } from '../timeouts';
import { securityPosture } from './security';
import { TasksModel } from './tasks';
import { VersionProbe } from './versionProbe';
import type {
  ClientState,
  ClientStatus,
  ClusterVersion,
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

export type { ClusterClientOptions } from './options';

/** How long connect() waits for the version question to an idle engine (versionProbe.ts) to settle. */
const VERSION_WAIT_MS = 2_000;
/** Timeout of the queue_request sent when an engine registers (the liveness probe asks again anyway). */
const QUEUE_ON_REGISTRATION_MS = 5_000;

/**
 * A live, authenticated session with one ipyparallel cluster: the sockets, the engines and tasks models,
 * execution and hub queries. States: disconnected -> connecting -> connected; a lost controller goes back
 * to disconnected (reconnecting when its connection file is rewritten); dispose() -> closed.
 * The link itself (sockets, SSH tunnel, liveness, reconnecting) is a Connection (connection.ts).
 */
export class ClusterClient implements Disposable {
  readonly #conn: Connection;
  readonly #requests = new PendingRequests();
  readonly #drops = new DropCounter();
  readonly #engines = new EnginesModel();
  readonly #tasks: TasksModel;
  readonly #ctx: ClientContext;
  readonly #poller: hub.ResultPoller;
  readonly #router: IopubRouter;
  readonly #version: VersionProbe | undefined;

  readonly #onDidChangeState = new Emitter<{ state: ClientState; error?: Error }>();
  readonly onDidChangeState: Event<{ state: ClientState; error?: Error }> = this.#onDidChangeState.event;
  readonly onDidChangeEngines: Event<EngineInfo[]> = this.#engines.onDidChange;
  readonly onDidChangeTask: Event<TaskInfo>;
  readonly onDidOutput: Event<{ task: TaskInfo; output: OutputItem }>;
  /** One of our tasks published data (ipyparallel.datapub.publish_data): what it published this time. */
  readonly onDidPublishData: Event<{ task: TaskInfo; data: Record<string, unknown> }>;
  readonly #onDidDrop = new Emitter<{ channel: Channel; reason: DropReason; detail: string }>();
  readonly onDidDrop: Event<{ channel: Channel; reason: DropReason; detail: string }> = this.#onDidDrop.event;
  readonly #onDidChangeVersion = new Emitter<ClusterVersion | undefined>();
  /** The cluster's version was learned, or forgotten (a new connection, the engine that answered left). */
  readonly onDidChangeVersion: Event<ClusterVersion | undefined> = this.#onDidChangeVersion.event;

  constructor(options: ClusterClientOptions) {
    if (!options.connectionFile && !options.connectionInfo) throw new TypeError('ClusterClient needs connectionFile or connectionInfo'); // internal: a caller's bug
    const logger = options.logger ?? silentLogger;
    options = {
      ...options,
      connectTimeoutMs: clampOptionalTimeoutMs(options.connectTimeoutMs),
      probeTimeoutMs: clampOptionalTimeoutMs(options.probeTimeoutMs),
    };
    const requestTimeoutMs = clampTimeoutMs(options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs);
    this.#tasks = new TasksModel({
      idleGraceMs: options.idleGraceMs,
      maxTasks: options.maxTasks,
      maxOutputBytesPerTask: options.maxOutputBytesPerTask,
      maxTotalOutputBytes: options.maxTotalOutputBytes,
    });
    this.onDidChangeTask = this.#tasks.onDidChangeTask;
    this.onDidOutput = this.#tasks.onDidOutput;
    this.onDidPublishData = this.#tasks.onDidPublishData;
    const router = new IopubRouter(() => this.#conn.session.id, this.#engines, this.#tasks, (id) => this.#requests.has(id));
    this.#tasks.onAdd = (t) => router.adopt(t.msgId);
    this.#router = router;
    const dispatcher = new Dispatcher({
      engines: this.#engines,
      tasks: this.#tasks,
      requests: this.#requests,
      router,
      logger,
      onShutdown: () => this.#conn.shutdownNotified(),
      // Its busy/idle and counts from the hub at once, not at the next liveness probe (EnginesModel).
      onRegistered: (id) =>
        void hub.queueStatus(this.#ctx, { timeoutMs: QUEUE_ON_REGISTRATION_MS }).catch((e: Error) => logger.debug(`queue_request after engine ${id} registered: ${e.message}`)),
    });
    const currentSession = (): Session => this.#conn.session;
    this.#ctx = {
      get session() {
        return currentSession();
      },
      engines: this.#engines,
      tasks: this.#tasks,
      logger,
      requestTimeoutMs,
      requireConnected: () => this.#conn.requireConnected(),
      send: (channel, frames) => this.#conn.send(channel, frames),
      request: (channel, msgType, content, spec) => this.#conn.request(channel, msgType, content, spec),
      version: () => this.#version?.version,
      engineUuid: (id) => {
        const uuid = this.#engines.uuidOf(id);
        if (uuid === undefined) throw new EngineGoneError(id, message('engineNotRegistered', id));
        return uuid;
      },
    };
    this.#poller = new hub.ResultPoller(this.#ctx);
    this.#version = options.probeVersion === false ? undefined : this.#versionProbe(logger);
    this.#conn = new Connection({
      options,
      logger,
      requestTimeoutMs,
      engines: this.#engines,
      tasks: this.#tasks,
      requests: this.#requests,
      router,
      dispatcher,
      poller: this.#poller,
      sweep: new ReplySweep(this.#ctx, clampTimeoutMs(options.replySweepMs ?? DEFAULTS.replySweepMs)),
      onState: (state, error) => {
        this.#version?.stateChanged(state);
        this.#onDidChangeState.fire(error ? { state, error } : { state });
      },
      onDrop: (channel, reason, detail) => {
        this.#drops.add(channel, reason);
        this.#onDidDrop.fire({ channel, reason, detail });
      },
    });
  }

  #versionProbe(logger: Logger): VersionProbe {
    const probe = new VersionProbe({
      engines: this.#engines,
      logger,
      ask: async (engineId, expressions) => {
        const answers = await exec.evaluate(this.#ctx, expressions, { targets: [engineId], timeoutMs: this.#ctx.requestTimeoutMs });
        return answers.get(engineId) ?? {};
      },
    });
    this.#engines.onDidChange(() => probe.enginesChanged());
    probe.onDidChange((v) => this.#onDidChangeVersion.fire(v));
    return probe;
  }

  /** Our Session: its id tags every request. A new one (new id) is made when reconnecting to a new controller. */
  get session(): Session {
    return this.#conn.session;
  }

  get state(): ClientState {
    return this.#conn.state;
  }

  get connectionInfo(): ConnectionInfo | undefined {
    return this.#conn.info;
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  /**
   * Opens every socket and sends connection_request; fails with ConnectError when nobody answers. Once
   * connected, waits (at most VERSION_WAIT_MS) for an idle engine to tell the cluster's version.
   */
  async connect(options: RequestOptions = {}): Promise<void> {
    await this.#conn.connect(options);
    await this.#version?.settled(VERSION_WAIT_MS);
  }

  /** Closes the sockets. Pending requests reject with ControllerGoneError; tasks in flight end as lost. */
  disconnect(): Promise<void> {
    return this.#conn.disconnect();
  }

  dispose(): void {
    if (this.#conn.state === 'closed') return;
    this.#conn.dispose();
    this.#tasks.dispose();
    this.#engines.dispose();
    this.#version?.dispose();
    this.#onDidChangeVersion.dispose();
    this.#onDidChangeState.dispose();
    this.#onDidDrop.dispose();
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

  /** The cluster's versions as one engine reported them; undefined while asking or not connected. */
  version(): ClusterVersion | undefined {
    return this.#version?.version;
  }

  security(): SecurityPosture | undefined {
    const info = this.#conn.info;
    return info && securityPosture(info, { tunnel: this.#conn.tunnelServer });
  }

  status(): ClientStatus {
    const status: ClientStatus = {
      state: this.#conn.state,
      engines: this.#engines.size,
      runningTasks: this.#tasks.activeCount,
      dropped: this.dropped(),
    };
    const file = this.#conn.file ?? (this.#conn.info?.file || undefined);
    if (file) status.connectionFile = file;
    const version = this.version();
    if (version) status.ipyparallelVersion = version.ipyparallel;
    if (version?.python) status.pythonVersion = version.python;
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

  /** Tracks tasks of an earlier session again by msg_id (reattach.ts): finished ones from the hub, running ones live. */
  reattach(spec: ReattachSpec, options?: RequestOptions): Promise<ReattachResult> {
    return reattach(this.#ctx, { router: this.#router, poller: this.#poller }, spec, options);
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
  shutdown(options?: RequestOptions): Promise<void> {
    return this.#conn.shutdown(() => hub.shutdown(this.#ctx, options));
  }
}
