/**
 * The ipp/* wire contract of the cluster language server: every custom request and notification, with
 * its params and result declared field by field (the data shapes are in ./types). Imported by the server
 * and by the VS Code client, and documented for other editors in docs/server-protocol.md (a unit test
 * checks that the two name the same methods). Nothing here is imported from the server, and no core type
 * is re-exported: the server maps core's types to these in one place (src/server/toWire.ts).
 * Runtime code here is only method names, error codes and default settings.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import { DEFAULTS } from '../core/defaults';
import type {
  ClientState,
  ClusterInfo,
  DroppedCounters,
  EngineInfo,
  FoundCluster,
  OutputItem,
  QueueStatus,
  RemoteError,
  SecurityPosture,
  TaskState,
  TaskSummary,
  Targets,
} from './types';

export type * from './types';

/** Error codes of ResponseErrors from ipp/* requests (in the JSON-RPC server-defined range). */
export const ErrorCodes = {
  /** The request needs a connected cluster. */
  NotConnected: -32001,
  /** ipp/connect failed: data is { code, file?, field? } (e.g. ERR_CONNECTION_FILE, ERR_CONNECT). */
  ConnectFailed: -32002,
  /** The run or task id is not known to the server. */
  UnknownRun: -32003,
  /** The cluster did not answer in time. */
  Timeout: -32004,
  /** The hub or an engine answered with an error: data is { ename, evalue }. */
  RemoteFailed: -32005,
  /** The cluster's ipyparallel (as an engine reported it) is too old for the request: data is { code: "ERR_UNSUPPORTED" }. */
  Unsupported: -32006,
  /** The params are not valid: data names the field. */
  InvalidParams: -32602,
} as const;

// ---- sessions: several clusters at once ----------------------------------------------------------

/**
 * Every ipp/* request may carry `sessionId` (in its params object; the requests without params accept
 * `{ sessionId }`), and every notification of a session other than the default one carries it. One
 * session per cluster: ipp/connect with a new id opens another session beside the others. Without it a
 * request goes to the active session (the default one unless ipp/connect or ipp/activateSession chose
 * another), so a client that uses one cluster never names a session.
 */
export interface SessionParams {
  sessionId?: string;
}
/** The session of requests and notifications that name none. */
export const DEFAULT_SESSION_ID = 'default';
export interface SessionInfo {
  sessionId: string;
  /** Requests without a sessionId go to it; hover and completion ask its engines. */
  active: boolean;
  state: ClientState;
  connectionFile?: string;
  engines: number;
}
export const SessionsRequest = new RequestType0<SessionInfo[], void>('ipp/sessions');
export const ActivateSessionRequest = new RequestType<{ sessionId: string }, null, void>('ipp/activateSession');

// ---- requests ------------------------------------------------------------------------------------

/** Optional SSH tunnelling for ipp/connect (a connection file's own `ssh` field is used without these). */
export interface ConnectSshOptions {
  /** `[user@]host[:port]` to tunnel through; wins over the connection file's `ssh` field. */
  sshServer?: string;
  /** The ssh executable (default `ssh` on PATH). */
  sshPath?: string;
  /** Extra ssh arguments, e.g. ["-i", "~/.ssh/cluster_key"] or ["-J", "bastion"]. */
  sshArgs?: string[];
}
export type ConnectParams = (
  | { connectionFile: string }
  | { profile?: string; clusterId?: string; ipythonDir?: string }
) &
  ConnectSshOptions &
  SessionParams;
export interface ConnectResult {
  state: ClientState;
  connectionFile: string;
  engines: EngineInfo[];
  security: SecurityPosture;
  /** Non-fatal problems with the connection file (loose permissions, unsigned cluster). */
  warnings: string[];
  /**
   * The same for every connection to this cluster (its connection file, the controller's location,
   * interface and SSH gateway; never the key): what an editor keys the runs it keeps for ipp/reattach by.
   */
  clusterKey?: string;
}
export const ConnectRequest = new RequestType<ConnectParams, ConnectResult, void>('ipp/connect');
export const DisconnectRequest = new RequestType0<null, void>('ipp/disconnect');

export interface ListClustersParams {
  ipythonDir?: string;
}
export const ListClustersRequest = new RequestType<ListClustersParams, FoundCluster[], void>('ipp/listClusters');

export interface ClustersParams {
  /** Default: $IPYTHONDIR or ~/.ipython. */
  ipythonDir?: string;
  /** More IPython dirs, or profile dirs (told apart by a `security` folder or a `profile_` name). */
  extraDirs?: string[];
}
/** Every cluster of every profile, running, stopped or stale, from ipyparallel's records. */
export const ClustersRequest = new RequestType<ClustersParams, ClusterInfo[], void>('ipp/clusters');

export const EnginesRequest = new RequestType0<EngineInfo[], void>('ipp/engines');

/** A run as the server tracks it: one execute from the editor, with its tasks. */
export interface RunSummary {
  runId: string;
  /** The code's first non-empty line, trimmed. */
  title: string;
  code: string;
  targets: Targets;
  /** Document the code came from, and the document line of its first line. */
  uri?: string;
  line?: number;
  created: string;
  /** Terminal tasks / all tasks. */
  done: number;
  total: number;
  /** The run's overall state: running until every task is terminal, then error > aborted > lost > done. */
  state: TaskState;
  /** ms from creation to the last task's completion (or to now while running). */
  elapsedMs: number;
  tasks: TaskSummary[];
  /** Set on runs tracked again through ipp/reattach. */
  reattached?: boolean;
}
export interface TasksParams extends SessionParams {
  /** Only this run. */
  runId?: string;
  /** The newest N runs (default all). */
  limit?: number;
}
export const TasksRequest = new RequestType<TasksParams, RunSummary[], void>('ipp/tasks');

export interface ExecuteParams extends SessionParams {
  code: string;
  targets: Targets;
  uri?: string;
  /** Zero-based document line of the code's first line: tracebacks map to uri at line + (lineno - 1). */
  line?: number;
  silent?: boolean;
  userExpressions?: Record<string, string>;
  after?: string[];
  follow?: string[];
  /** Load-balanced only: seconds a task may wait for dependencies or an engine. */
  timeout?: number;
  retries?: number;
  /**
   * Answer when the run has ended, with its outputs in `result` (what ipp/wait would answer), instead of
   * as soon as it is sent: one round trip where the caller wants the result.
   */
  wait?: boolean;
  /** With `wait`: ms to wait for the end (default 30,000); past it the answer comes without `result`. */
  waitTimeoutMs?: number;
}
export interface ExecuteResult {
  runId: string;
  msgIds: string[];
  /** With `wait`: the run's final outputs; absent when the wait timed out or was cancelled (the run goes on). */
  result?: WaitResult;
}
export const ExecuteRequest = new RequestType<ExecuteParams, ExecuteResult, void>('ipp/execute');

export interface WaitParams extends SessionParams {
  runId: string;
  /** Default 30,000 ms; on timeout the request fails with ErrorCodes.Timeout. */
  timeoutMs?: number;
}
export interface EngineOutputs {
  /** undefined when a load-balanced task has not been assigned yet. */
  engineId?: number;
  msgId: string;
  state: TaskState;
  outputs: OutputItem[];
  error?: RemoteError;
  durationMs?: number;
}
export interface WaitResult {
  runId: string;
  state: TaskState;
  engines: EngineOutputs[];
}
export const WaitRequest = new RequestType<WaitParams, WaitResult, void>('ipp/wait');

export interface OutputParams extends SessionParams {
  runId: string;
}
export const OutputRequest = new RequestType<OutputParams, WaitResult, void>('ipp/output');

/** Select tasks by run, by msg_ids, or (neither) all of ours that are not terminal. */
export interface TaskSelection extends SessionParams {
  runId?: string;
  msgIds?: string[];
}
export interface AbortParams extends TaskSelection {
  /**
   * Also interrupt the engines running the selected tasks (abort alone only stops the queued ones).
   * The result then lists those engines in `interrupted`.
   */
  interruptRunning?: boolean;
}
export interface AbortResult {
  aborted: string[];
  /** Engines interrupted, when `interruptRunning` was set. */
  interrupted?: number[];
}
export const AbortRequest = new RequestType<AbortParams, AbortResult, void>('ipp/abort');
export interface InterruptParams extends TaskSelection {
  /** Interrupt these engines directly. */
  engineIds?: number[];
}
export const InterruptRequest = new RequestType<InterruptParams, { engineIds: number[] }, void>('ipp/interrupt');
export const ResubmitRequest = new RequestType<TaskSelection, { resubmitted: Record<string, string> }, void>('ipp/resubmit');
export interface PurgeParams extends TaskSelection {
  /** Purge every completed result on the hub, and forget every finished run. */
  all?: boolean;
}
export const PurgeRequest = new RequestType<PurgeParams, { purged: number }, void>('ipp/purge');

/** The cluster's state, engine and running-task counts, security, and messages dropped. */
export interface StatusResult extends SessionParams {
  state: ClientState;
  connectionFile?: string;
  engines: number;
  runningTasks: number;
  /** As reported by an engine; normally the controller's. "unknown" when no engine could tell; absent while asking. */
  ipyparallelVersion?: string;
  /** The Python of the engine that reported ipyparallelVersion. */
  pythonVersion?: string;
  security?: SecurityPosture;
  dropped: DroppedCounters;
}
export const StatusRequest = new RequestType0<StatusResult, void>('ipp/status');
export const QueueStatusRequest = new RequestType0<QueueStatus, void>('ipp/queueStatus');

export interface HistoryParams extends SessionParams {
  /** The newest N hub records (default 100). */
  limit?: number;
}
export const HistoryRequest = new RequestType<HistoryParams, TaskSummary[], void>('ipp/history');
export const ShutdownRequest = new RequestType0<null, void>('ipp/shutdown');

/** A run an editor kept from an earlier session (a window reloaded, a server restarted, a reconnect). */
export interface ReattachRun {
  /** The run's tasks (ExecuteResult.msgIds). */
  msgIds: string[];
  targets: Targets;
  /** Shown while the hub cannot give the code (its records are gone). */
  title?: string;
  /** The code, when kept; otherwise the hub's record gives it. */
  code?: string;
  uri?: string;
  /** Zero-based document line of the code's first line. */
  line?: number;
  /** When the run was first submitted (ISO). */
  created?: string;
  /**
   * sha256 (hex, first 32 digits) of the code's lines, each trimmed, joined by "\n": diagnostics of a
   * failed run come back only while the document's lines at `line` still hash the same.
   */
  codeHash?: string;
}
export interface ReattachParams {
  runs: ReattachRun[];
}
export interface ReattachedRun {
  /** The run's new id in this server (absent when it could not be re-attached: see `error`). */
  runId?: string;
  /** Its state now: finished runs have their final state, running ones go on in ipp/tasksChanged. */
  state?: TaskState;
  /** msg_ids the hub has no record of: those tasks are `lost`, with a reason that says so. */
  unknown: string[];
  error?: string;
}
export interface ReattachResult {
  /** One per requested run, in the same order. */
  runs: ReattachedRun[];
}
/** Tracks runs of an earlier session again, by msg_id; their output and state follow as for new runs. */
export const ReattachRequest = new RequestType<ReattachParams, ReattachResult, void>('ipp/reattach');

// ---- requests (server -> client) -----------------------------------------------------------------

/** One end of a redirect: the controller's host, and the SSH server in between when there is one. */
export interface RedirectTarget {
  host: string;
  sshServer?: string;
}
export interface ConfirmRedirectParams {
  connectionFile: string;
  from: RedirectTarget;
  to: RedirectTarget;
}
/**
 * Sent when a watched connection file is rewritten to name another host or SSH server: follow it only
 * if the client answers `{ follow: true }`. No answer within CONFIRM_REDIRECT_TIMEOUT_MS, an error, or a
 * client without a handler means: do not follow.
 */
export const ConfirmRedirectRequest = new RequestType<ConfirmRedirectParams, { follow: boolean }, void>('ipp/confirmRedirect');
export const CONFIRM_REDIRECT_TIMEOUT_MS = 120_000;

// ---- notifications (server -> client), batched within a short window --------------------------

export interface StateChangedParams extends SessionParams {
  state: ClientState;
  /** Why, when the state changed because of an error. */
  message?: string;
  connectionFile?: string;
}
export const StateChangedNotification = new NotificationType<StateChangedParams>('ipp/stateChanged');

export interface EnginesChangedParams extends SessionParams {
  engines: EngineInfo[];
}
export const EnginesChangedNotification = new NotificationType<EnginesChangedParams>('ipp/enginesChanged');

export interface TasksChangedParams extends SessionParams {
  /** Runs that changed since the last notification, in full (without outputs). */
  runs: RunSummary[];
  /** Runs forgotten (purged). */
  removed: string[];
}
export const TasksChangedNotification = new NotificationType<TasksChangedParams>('ipp/tasksChanged');

/** What an editor needs to title a run's output before its first ipp/tasksChanged arrives. */
export interface RunIntro {
  /** The code's first non-empty line, trimmed (as RunSummary.title). */
  title: string;
  targets: Targets;
  created: string;
  /** Tasks in the run (one per engine for a run on several engines), so a client knows when every engine's first output is in. */
  tasks?: number;
}
export interface OutputParamsItem {
  runId: string;
  msgId: string;
  engineId?: number;
  output: OutputItem;
  /** On the first item of each run only: its title and targets. */
  run?: RunIntro;
}
export interface OutputNotificationParams extends SessionParams {
  items: OutputParamsItem[];
}
export const OutputNotification = new NotificationType<OutputNotificationParams>('ipp/output');

/** One task's published data (ipyparallel.datapub.publish_data), as it holds it now. */
export interface TaskDataItem {
  runId: string;
  msgId: string;
  engineId?: number;
  /** Every key the task has published so far, merged (later values win); bounded like TaskSummary.data. */
  data: Record<string, unknown>;
  /** `data.progress` when it is a number in [0, 1]. */
  progress?: number;
}
export interface TaskDataParams {
  /** The tasks that published in the window, each once, with what they hold at its end. */
  items: TaskDataItem[];
}
export const TaskDataNotification = new NotificationType<TaskDataParams>('ipp/taskData');

/**
 * The ipp/status answer, pushed when it changes: the running-task count, the engine count, the state,
 * the security posture or the dropped-message counters. Coalesced like the others (the latest value of
 * the window, and only when it differs from the last one sent).
 */
export const StatusChangedNotification = new NotificationType<StatusResult>('ipp/statusChanged');

/**
 * Node flags to start the server with (any client that spawns it should pass them). A small young
 * generation keeps a server tracking 10,000 tasks under 150 MB of RSS (docs/server-protocol.md).
 */
export const SERVER_NODE_ARGS: readonly string[] = ['--max-semi-space-size=1'];

/**
 * Environment to start the server with, on top of the inherited one (any client that spawns it should set
 * it, as SERVER_NODE_ARGS). A fixed glibc mmap threshold: large blocks (zeromq's message buffers of a
 * flood) go back to the system when freed instead of staying in malloc's arenas (the 400 MB print's
 * resident peak 278 -> 231 MB). Other C libraries ignore it.
 */
export const SERVER_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072' };

/**
 * The notebook types whose Python cells the server syncs through LSP 3.17 `notebookDocument/*`
 * (VS Code's notebooks and its Interactive Window); a cell's `vscode-notebook-cell:` URI is then a
 * document like any other: ipp/execute's `uri`, diagnostics, hover and completion.
 */
export const NOTEBOOK_TYPES: readonly string[] = ['jupyter-notebook', 'interactive'];

/** Server-side settings, sent in initializationOptions and workspace/didChangeConfiguration. */
export interface ServerSettings {
  /**
   * Whether hover and completion may run anything on the engines. A client sends false for an untrusted
   * workspace (a property getter is code), and true once the user trusts it.
   */
  evaluate: boolean;
  diagnostics: boolean;
  hover: boolean;
  completion: boolean;
  /** ms for hover/completion requests to engines. */
  languageFeatureTimeoutMs: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** ms within which notifications are coalesced. */
  notificationBatchMs: number;
  /**
   * Output each task keeps (bytes): its beginning and end, with a `[… N MB of output not kept …]` marker
   * between. Applies from the next ipp/connect. At least 1 MiB.
   */
  maxOutputBytesPerTask: number;
}
export const DEFAULT_SERVER_SETTINGS: ServerSettings = {
  evaluate: true,
  diagnostics: true,
  hover: true,
  completion: true,
  languageFeatureTimeoutMs: DEFAULTS.languageFeatureTimeoutMs,
  connectTimeoutMs: DEFAULTS.connectTimeoutMs,
  requestTimeoutMs: DEFAULTS.requestTimeoutMs,
  notificationBatchMs: DEFAULTS.notificationBatchMs,
  maxOutputBytesPerTask: DEFAULTS.maxOutputBytesPerTask,
};
