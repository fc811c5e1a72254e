/**
 * The data shapes of the ipp/* wire contract, declared field by field (docs/server-protocol.md section 3).
 * Nothing here is imported from core: a field added to a core type reaches the wire only when it is
 * added here and in the server's mapper (src/server/toWire.ts), which the compiler keeps in step.
 * Types only: this file has no runtime code.
 */

export type ClientState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** `all` engines (one task per engine), `balanced` (one task, task scheduler), or engine ids. */
export type Targets = 'all' | 'balanced' | number[];

export type EngineStatus = 'idle' | 'busy' | 'starting' | 'unknown';

export interface EngineInfo {
  id: number;
  uuid: string;
  status: EngineStatus;
  /** Pending direct (mux) requests. */
  queue: number;
  /** Completed requests. */
  completed: number;
  /** Pending load-balanced tasks assigned to this engine. */
  tasks: number;
}

/** pending: sent, not started; running: started; then a terminal state (done, error, aborted, lost). */
export type TaskState = 'pending' | 'running' | 'done' | 'error' | 'aborted' | 'lost';

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
  | { kind: 'error'; ename: string; evalue: string; traceback: string[] };

/** A user_expressions entry of an execute reply. */
export type ExpressionValue =
  | { status: 'ok'; data: Record<string, unknown> }
  | { status: 'error'; ename: string; evalue: string; traceback: string[] };

/** A task without its code and outputs (fetch those with ipp/wait or ipp/output). */
export interface TaskSummary {
  msgId: string;
  runId?: string;
  /** 'mux' for direct execution on one engine, 'task' for load-balanced. */
  queue: 'mux' | 'task';
  engineId?: number;
  engineUuid?: string;
  state: TaskState;
  /** ISO dates: submitted, started, completed (the engine's clock), received (the server's clock). */
  submitted: string;
  started?: string;
  completed?: string;
  received?: string;
  error?: RemoteError;
  /** Why the task ended as aborted or lost, when known. */
  reason?: string;
  executionCount?: number;
  userExpressions?: Record<string, ExpressionValue>;
  resubmittedAs?: string;
  resubmittedFrom?: string;
  /** True when tracked again through ipp/reattach. */
  reattached?: boolean;
  /** True when submitted by another client (seen only through the hub's history). */
  foreign?: boolean;
  /** What the task published with `ipyparallel.datapub.publish_data`, merged (later keys win), bounded. */
  data?: Record<string, unknown>;
  /** The published `progress`, when it is a number in [0, 1]. */
  progress?: number;
  outputCount: number;
}

export interface QueueStatus {
  engines: Record<number, { queue: number; completed: number; tasks: number }>;
  unassigned: number;
}

export type DropReason = 'badSignature' | 'replay' | 'malformed';
export type ChannelName = 'registration' | 'mux' | 'task' | 'control' | 'iopub' | 'notification' | 'broadcast';
export interface DroppedCounters {
  badSignature: number;
  replay: number;
  malformed: number;
  byChannel: Partial<Record<ChannelName, Partial<Record<DropReason, number>>>>;
}

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

/** A cluster found in an IPython directory (ipp/listClusters). */
export interface FoundCluster {
  profile: string;
  /** '' for the default cluster that `ipcluster start` makes. */
  clusterId: string;
  profileDir: string;
  connectionFile: string;
  /** When the connection file was last written (ms since epoch). */
  modified: number;
  controllerPid?: number;
  engineCount?: number;
}

/** running: the controller process is alive; stale: files remain but the recorded processes are gone. */
export type ClusterRecordState = 'running' | 'stopped' | 'stale';

/** One cluster of one profile, read from ipyparallel's own record (ipp/clusters). */
export interface ClusterInfo {
  /** The profile's name (`profile_<name>`), or the folder's name for a profile dir given directly. */
  profile: string;
  profileDir: string;
  /** '' for the cluster `ipcluster start` makes without --cluster-id. */
  clusterId: string;
  state: ClusterRecordState;
  /** Engines the record names (0 when unknown). */
  engineCount: number;
  /** Where the engines run: local, mpi, slurm, ssh, pbs, sge, lsf, htcondor, windows, other. */
  launcher: string;
  /** When the cluster started (ms since the epoch), when it can be told. */
  startTime?: number;
  /** The client connection file, when there is one. */
  connectionFile?: string;
  /** `security/cluster-<id>.json`, when there is one. */
  recordFile?: string;
  controllerPid?: number;
  /** Every process id the record names, and those alive now. */
  pids: number[];
  livePids: number[];
  /** Batch job ids of the engine sets (Slurm, PBS, ...). */
  jobIds: string[];
  /** Engines whose recorded process is gone while the controller runs (absent from older servers: 0). */
  lostEngines?: number;
  /** The Python running the controller (Linux, while it runs): the one to run `ipcluster stop` with. */
  python?: string;
  /** The controller's and engines' output files the record names. */
  logFiles: string[];
  /** This server's session is connected to this cluster's connection file. */
  connected: boolean;
}
