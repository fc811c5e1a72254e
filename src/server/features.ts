/** What the LSP features (hover, completion) need from the server. */
import type { Logger } from '../core/log';
import type { ClusterClientLike } from './clientApi';
import type { ServerSettings } from '../shared/protocol';

export interface FeatureHost {
  settings(): ServerSettings;
  /** The client when it is connected; undefined otherwise (features are then silent). */
  connectedClient(): ClusterClientLike | undefined;
  /** Ids of engines that are idle and have none of our tasks queued or running, lowest first. */
  idleEngines(): Promise<number[]>;
  readonly logger: Logger;
}
