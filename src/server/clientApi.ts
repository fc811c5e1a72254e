/**
 * The part of core's ClusterClient (notes/client-api.md) that the server uses, as a structural type.
 * The server depends on this shape, not on the class, so its logic can be driven by a fake in unit tests
 * and main.ts is the one place that constructs the real client.
 */
import type { Disposable, Event } from '../core/event';
import type { Logger } from '../core/log';
import type { ConnectionInfo } from '../core/protocol/connectionFile';
import type {
  ClientState,
  ClientStatus,
  CompletionResult,
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
} from '../core/client/types';

export interface ClusterClientLike extends Disposable {
  readonly state: ClientState;
  readonly connectionInfo: ConnectionInfo | undefined;
  readonly onDidChangeState: Event<{ state: ClientState; error?: Error }>;
  readonly onDidChangeEngines: Event<EngineInfo[]>;
  readonly onDidChangeTask: Event<TaskInfo>;
  readonly onDidOutput: Event<{ task: TaskInfo; output: OutputItem }>;

  connect(options?: RequestOptions): Promise<void>;
  disconnect(): Promise<void>;

  engines(): EngineInfo[];
  task(msgId: string): TaskInfo | undefined;
  tasks(): TaskInfo[];
  run(runId: string): Run | undefined;

  execute(code: string, options?: ExecuteOptions): Run;
  wait(msgIdsOrRunId: string | string[], options?: RequestOptions): Promise<TaskInfo[]>;
  evaluate(
    expressions: Record<string, string>,
    options?: RequestOptions & { targets?: number[] },
  ): Promise<Map<number, Record<string, ExpressionValue>>>;
  complete(code: string, cursorPos: number, options?: RequestOptions & { engineId?: number }): Promise<CompletionResult>;

  abort(msgIds?: string[], options?: RequestOptions & { engineIds?: number[] }): Promise<void>;
  interrupt(engineIds?: number[], options?: RequestOptions): Promise<void>;
  resubmit(msgIds: string[], options?: RequestOptions): Promise<Record<string, string>>;
  purge(msgIds: string[] | 'all', options?: RequestOptions & { engineIds?: number[] }): Promise<void>;
  historyTasks(options?: RequestOptions & { limit?: number }): Promise<TaskInfo[]>;
  queueStatus(options?: RequestOptions): Promise<QueueStatus>;
  shutdown(options?: RequestOptions): Promise<void>;
  dropped(): DroppedCounters;
  security(): SecurityPosture | undefined;
  status(): ClientStatus;
}

export interface ClientFactoryOptions {
  connectionFile: string;
  logger: Logger;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  sshServer?: string;
  ssh?: { sshPath?: string; extraArgs?: string[] };
}

export type ClientFactory = (options: ClientFactoryOptions) => ClusterClientLike;
