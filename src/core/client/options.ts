/** The options of a ClusterClient (its own file so that the connection can read them without a cycle). */
import type { Logger } from '../log';
import type { ConnectionInfo } from '../protocol/connectionFile';
import type { SshClientOptions } from '../transport/clientTunnel';
import type { ConfirmRedirect } from './redirect';

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
  /**
   * A task without a reply for this long is looked up in the hub (on a probe tick, at most this often):
   * completed from the hub's record when the hub finished it, lost when its engine is gone. Default 30,000 ms.
   */
  replySweepMs?: number;
  /** How long a replied task waits for its iopub idle before completing. Default 3,000 ms. */
  idleGraceMs?: number;
  /** Terminal tasks beyond this many are forgotten, oldest first. Default 20,000. */
  maxTasks?: number;
  /** Output each task keeps: its beginning and end, with a marker between. Default 32 MiB. */
  maxOutputBytesPerTask?: number;
  /** Output kept by all tasks; past it the oldest finished tasks are forgotten. Default 512 MiB. */
  maxTotalOutputBytes?: number;
  /** `[user@]host[:port]` to tunnel through over SSH; wins over the connection file's `ssh` field. */
  sshServer?: string;
  /** Default true: after connecting, ask one idle engine for its ipyparallel and Python versions (status()). */
  probeVersion?: boolean;
  /** How to run ssh for tunnels (path, extra arguments such as -i or -J, timeouts). */
  ssh?: SshClientOptions;
  /**
   * Asked before following a watched connection file that was rewritten to name another controller host
   * or SSH server (redirect.ts). Without it such a rewrite is not followed: the client stays as it is.
   */
  confirmRedirect?: ConfirmRedirect;
}
