/**
 * The public shapes of the cluster client: engines, tasks, outputs, runs, options and status.
 * Shared by src/core/client, the language server and (through the server protocol) the extension.
 * Plain data only: everything here is JSON-serializable.
 */
import type { DroppedCounters } from '../transport/dropCounter';

export type ClientState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** `all` engines (one task per engine, on mux), `balanced` (one task, task scheduler), or engine ids. */
export type Targets = 'all' | 'balanced' | number[];

export type EngineStatus = 'idle' | 'busy' | 'starting' | 'unknown';

export interface EngineInfo {
  id: number;
  uuid: string;
  status: EngineStatus;
  /** Pending direct (mux) requests, from queue_request. */
  queue: number;
  /** Completed requests, from queue_request. */
  completed: number;
  /** Pending load-balanced tasks assigned to this engine, from queue_request. */
  tasks: number;
}

/** pending: sent, not started; running: execute_input/busy seen or started; then a terminal state. */
export type TaskState = 'pending' | 'running' | 'done' | 'error' | 'aborted' | 'lost';
export const TERMINAL_STATES: readonly TaskState[] = ['done', 'error', 'aborted', 'lost'];
/** True for a state a task never leaves: done, error, aborted, lost. */
export const isTerminal = (s: TaskState): boolean => TERMINAL_STATES.includes(s);

export interface RemoteError {
  ename: string;
  evalue: string;
  /** IPython's formatted traceback, ANSI codes included. */
  traceback: string[];
}

export type OutputItem =
  | { kind: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | { kind: 'execute_result'; executionCount: number | null; data: Record<string, unknown> }
  | { kind: 'display_data'; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | ({ kind: 'error' } & RemoteError);

/** A user_expressions entry of an execute_reply. */
export type ExpressionValue =
  | { status: 'ok'; data: Record<string, unknown> }
  | ({ status: 'error' } & RemoteError);

export interface TaskInfo {
  msgId: string;
  /** The run this task belongs to, when it was submitted through execute(). */
  runId?: string;
  /** 'mux' for direct execution on one engine, 'task' for load-balanced. */
  queue: 'mux' | 'task';
  /** The engine it was sent to (mux) or ran on (task, once known). */
  engineId?: number;
  engineUuid?: string;
  state: TaskState;
  code: string;
  /** ISO dates: the request header's date, metadata.started, the reply header's date, our clock. */
  submitted: string;
  started?: string;
  completed?: string;
  received?: string;
  outputs: OutputItem[];
  error?: RemoteError;
  /** Why the task ended as aborted or lost, when we know (e.g. "engine 1 unregistered"). */
  reason?: string;
  executionCount?: number;
  userExpressions?: Record<string, ExpressionValue>;
  /** Set on the old task when it was resubmitted, and on the new one. */
  resubmittedAs?: string;
  resubmittedFrom?: string;
  /** True when this client re-attached to the task by msg_id (submitted by an earlier session of ours). */
  reattached?: boolean;
  /** True when submitted by another client (seen only through the hub's history). */
  foreign?: boolean;
  /** What the task published with `ipyparallel.datapub.publish_data`, merged (later keys win), bounded. */
  data?: Record<string, unknown>;
  /** The published `progress`, when it is a number in [0, 1]. */
  progress?: number;
}

export interface Run {
  id: string;
  code: string;
  targets: Targets;
  msgIds: string[];
  created: string;
}

/** Scheduler dependencies for load-balanced tasks (PROTOCOL.md §5.3). */
export type Dependency = string[] | { msg_ids: string[]; all?: boolean; success?: boolean; failure?: boolean };

export interface RequestOptions {
  /** Milliseconds before the request fails with a TimeoutError. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ExecuteOptions {
  targets?: Targets;
  /** Default false: %px style, so execute_result is echoed. */
  silent?: boolean;
  /** Default false: independent requests, so one error does not abort the queue. */
  stopOnError?: boolean;
  userExpressions?: Record<string, string>;
  /** Load-balanced only: restrict to these engine ids. */
  balancedTargets?: number[];
  after?: Dependency;
  follow?: Dependency;
  /** Load-balanced only: seconds a task may wait for dependencies or an engine. */
  timeout?: number;
  retries?: number;
  signal?: AbortSignal;
}

export interface CompletionResult {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
  types?: { text: string; type: string; signature?: string }[];
}

export interface QueueStatus {
  engines: Record<number, { queue: number; completed: number; tasks: number }>;
  unassigned: number;
}

export type { DropReason, DroppedCounters } from '../transport/dropCounter';

export interface SecurityPosture {
  /** HMAC-signed messages (a non-empty key). */
  signed: boolean;
  signatureScheme: string;
  /** How the link is protected. */
  transport: 'curve' | 'ssh' | 'plain';
  /** The controller is on a loopback address. */
  loopback: boolean;
  /** `user@host:port` of the SSH tunnel the connection goes through, when there is one. */
  tunnel?: string;
  warnings: string[];
}

/** The cluster's versions as reported by one engine (normally the controller's: docs/ipyparallel-9.md). */
export interface ClusterVersion {
  /** e.g. "9.2.0.dev0" (the distribution's version, else `ipyparallel.__version__`), or "unknown". */
  ipyparallel: string;
  /** e.g. "3.11.2". */
  python?: string;
  /** The engine that answered. */
  engineId?: number;
}

export interface ClientStatus {
  state: ClientState;
  connectionFile?: string;
  engines: number;
  runningTasks: number;
  /** As reported by an engine (normally the controller's); "unknown" when no engine could tell; absent while asking or not connected. */
  ipyparallelVersion?: string;
  /** The engine's Python, when known. */
  pythonVersion?: string;
  security?: SecurityPosture;
  dropped: DroppedCounters;
}
