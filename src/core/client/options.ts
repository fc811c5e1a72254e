/** The options of a ClusterClient (its own file so that the connection can read them without a cycle). */
import type { Logger } from '../log';
import type { ConnectionInfo } from '../protocol/connectionFile';
import type { SshClientOptions } from '../transport/clientTunnel';

export interface ClusterClientOptions {
  /** Path of ipcontroller[-<id>]-client.json; or: */
  connectionFile?: string;
  /** Already parsed connection info. */
  connectionInfo?: ConnectionInfo;
  logger?: Logger;
  /** Default 10,000. */
  connectTimeoutMs?: number;
  /** Default 30,000 for hub queries and control requests. */
  requestTimeoutMs?: number;
  /** Default true when connectionFile is given: reconnect when it is rewritten (new key/ports). */
  watchConnectionFile?: boolean;
  username?: string;
  /** Liveness probe (a queue_request) period. Default 3,000 ms. */
  probeIntervalMs?: number;
  /** How long the probe waits for the hub. Default 5,000 ms. */
  probeTimeoutMs?: number;
  /** How long a replied task waits for its iopub idle before completing. Default 3,000 ms. */
  idleGraceMs?: number;
  /** Terminal tasks beyond this many are forgotten, oldest first. Default 20,000. */
  maxTasks?: number;
  /** `[user@]host[:port]` to tunnel through over SSH; wins over the connection file's `ssh` field. */
  sshServer?: string;
  /** Default true: after connecting, ask one idle engine for its ipyparallel and Python versions (status()). */
  probeVersion?: boolean;
  /** How to run ssh for tunnels (path, extra arguments such as -i or -J, timeouts). */
  ssh?: SshClientOptions;
}
