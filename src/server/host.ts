/**
 * What the ipp/* request handlers need from the server. ClusterServer implements it; requests.ts depends
 * only on this interface, so the two files do not import each other.
 */
import type { Logger } from '../core/log';
import type { ServerSettings, StatusResult } from '../shared/protocol';
import type { ClientFactoryOptions, ClusterClientLike } from './clientApi';
import type { RunService } from './runService';

export interface RequestHost {
  readonly logger: Logger;
  readonly runs: RunService;
  settings(): ServerSettings;
  /** The current client, connected or not. */
  client(): ClusterClientLike | undefined;
  /** The connected client; throws NotConnected otherwise. */
  requireClient(): ClusterClientLike;
  connectionFile(): string | undefined;
  /** What the current client was made from (file and SSH options): an identical ipp/connect reuses it. */
  connectKey(): string | undefined;
  /** Runs connection changes one at a time (two ipp/connect requests must not race). */
  serialize<T>(fn: () => Promise<T>): Promise<T>;
  /** Makes a new client the window's client (forwarding its events); the caller connects it. */
  openClient(options: ClientFactoryOptions, connectKey: string): ClusterClientLike;
  /** Disconnects and forgets the current client, its runs and its diagnostics. */
  closeClient(): Promise<void>;
  /** What ipp/status answers. */
  status(): StatusResult;
  /** Sends the pending notifications now (before an answer whose caller expects them first). */
  flushNotifications(): void;
}
