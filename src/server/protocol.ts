/**
 * The `ipp/*` custom requests and notifications of the cluster language server: one file, imported by
 * the server and by the VS Code client (and documented for other editors in docs/server-protocol.md).
 * Only types and method names here: no runtime dependencies but vscode-languageserver-protocol's
 * message-type constructors, which both sides already have.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import type {
  ClientState,
  ClientStatus,
  DroppedCounters,
  EngineInfo,
  OutputItem,
  QueueStatus,
  SecurityPosture,
  TaskInfo,
  TaskState,
  Targets,
} from '../core/client/types';
import type { FoundCluster } from '../core/protocol/discovery';

export type { ClientState, DroppedCounters, EngineInfo, OutputItem, QueueStatus, SecurityPosture, TaskInfo, TaskState, Targets, FoundCluster };

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
  /** The params are not valid: data names the field. */
  InvalidParams: -32602,
} as const;

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
  ConnectSshOptions;
export interface ConnectResult {
  state: ClientState;
  connectionFile: string;
  engines: EngineInfo[];
  security: SecurityPosture;
  /** Non-fatal problems with the connection file (loose permissions, unsigned cluster). */
  warnings: string[];
}
export const ConnectRequest = new RequestType<ConnectParams, ConnectResult, void>('ipp/connect');
export const DisconnectRequest = new RequestType0<null, void>('ipp/disconnect');

export interface ListClustersParams {
  ipythonDir?: string;
}
export const ListClustersRequest = new RequestType<ListClustersParams, FoundCluster[], void>('ipp/listClusters');

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
}
/** A task without its outputs (fetch those with ipp/wait or ipp/output). */
export type TaskSummary = Omit<TaskInfo, 'outputs' | 'code'> & { outputCount: number };

export interface TasksParams {
  /** Only this run. */
  runId?: string;
  /** The newest N runs (default all). */
  limit?: number;
}
export const TasksRequest = new RequestType<TasksParams, RunSummary[], void>('ipp/tasks');

export interface ExecuteParams {
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
}
export interface ExecuteResult {
  runId: string;
  msgIds: string[];
}
export const ExecuteRequest = new RequestType<ExecuteParams, ExecuteResult, void>('ipp/execute');

export interface WaitParams {
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
  error?: TaskInfo['error'];
  durationMs?: number;
}
export interface WaitResult {
  runId: string;
  state: TaskState;
  engines: EngineOutputs[];
}
export const WaitRequest = new RequestType<WaitParams, WaitResult, void>('ipp/wait');

export interface OutputParams {
  runId: string;
}
export const OutputRequest = new RequestType<OutputParams, WaitResult, void>('ipp/output');

/** Select tasks by run, by msg_ids, or (neither) all of ours that are not terminal. */
export interface TaskSelection {
  runId?: string;
  msgIds?: string[];
}
export const AbortRequest = new RequestType<TaskSelection, { aborted: string[] }, void>('ipp/abort');
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

/** ClusterClient.status() as it is: the cluster's state, engine and running-task counts, security, drops. */
export type StatusResult = ClientStatus;
export const StatusRequest = new RequestType0<StatusResult, void>('ipp/status');
export const QueueStatusRequest = new RequestType0<QueueStatus, void>('ipp/queueStatus');

export interface HistoryParams {
  /** The newest N hub records (default 100). */
  limit?: number;
}
export const HistoryRequest = new RequestType<HistoryParams, TaskSummary[], void>('ipp/history');
export const ShutdownRequest = new RequestType0<null, void>('ipp/shutdown');

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

export interface StateChangedParams {
  state: ClientState;
  /** Why, when the state changed because of an error. */
  message?: string;
  connectionFile?: string;
}
export const StateChangedNotification = new NotificationType<StateChangedParams>('ipp/stateChanged');

export interface EnginesChangedParams {
  engines: EngineInfo[];
}
export const EnginesChangedNotification = new NotificationType<EnginesChangedParams>('ipp/enginesChanged');

export interface TasksChangedParams {
  /** Runs that changed since the last notification, in full (without outputs). */
  runs: RunSummary[];
  /** Runs forgotten (purged). */
  removed: string[];
}
export const TasksChangedNotification = new NotificationType<TasksChangedParams>('ipp/tasksChanged');

export interface OutputParamsItem {
  runId: string;
  msgId: string;
  engineId?: number;
  output: OutputItem;
}
export interface OutputNotificationParams {
  items: OutputParamsItem[];
}
export const OutputNotification = new NotificationType<OutputNotificationParams>('ipp/output');

/**
 * Node flags to start the server with (any client that spawns it should pass them). A small young
 * generation keeps a server tracking 10,000 tasks under 150 MB of RSS (docs/server-protocol.md).
 */
export const SERVER_NODE_ARGS: readonly string[] = ['--max-semi-space-size=1'];

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
}
export const DEFAULT_SERVER_SETTINGS: ServerSettings = {
  evaluate: true,
  diagnostics: true,
  hover: true,
  completion: true,
  languageFeatureTimeoutMs: 1500,
  connectTimeoutMs: 10000,
  requestTimeoutMs: 30000,
  notificationBatchMs: 50,
};
