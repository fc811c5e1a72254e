import type { Logger } from '../log';
import type { Channel } from '../protocol/connectionFile';
import type { JsonObject, Message, Session } from '../protocol/message';
import type { EnginesModel } from './engines';
import type { TasksModel } from './tasks';
import type { ClusterVersion } from './types';

export interface RequestSpec {
  routing?: string[];
  metadata?: JsonObject;
  /** The engine the request goes to (EngineGoneError when it unregisters). */
  engineUuid?: string;
  /** Default: the client's requestTimeoutMs. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** For error messages; default the msg_type. */
  what?: string;
  onTimeout?: () => Error;
}

/** What the client's operations (execution.ts, hubOps.ts) need from the ClusterClient. */
export interface ClientContext {
  readonly session: Session;
  readonly engines: EnginesModel;
  readonly tasks: TasksModel;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  /** Throws NotConnectedError unless the state is connected. */
  requireConnected(): void;
  /** Queues frames on a channel (no reply expected, or the reply is tracked elsewhere). */
  send(channel: Channel, frames: Buffer[]): void;
  /** Builds, registers and sends a request; resolves with its reply (hub_error rejects with HubError). */
  request(channel: Channel, msgType: string, content: JsonObject, spec?: RequestSpec): Promise<Message>;
  /** The cluster's version as an engine reported it (versionProbe.ts); undefined while unknown. */
  version(): ClusterVersion | undefined;
  /** The uuid of a registered engine, or EngineGoneError. */
  engineUuid(id: number): string;
}
