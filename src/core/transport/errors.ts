/**
 * The transport's own typed errors: the zeromq addon that would not load and the SSH tunnel that would
 * not open. They carry a stable `code` like every other core error (CodedError); the client and the
 * server only pass them on.
 */
import { CodedError } from '../codedError';
import { message } from '../messages';

export type TransportErrorCode = 'ERR_ZMQ_LOAD' | 'ERR_SSH_TUNNEL';

export abstract class TransportError extends CodedError {
  abstract override readonly code: TransportErrorCode;
}

/**
 * Cause: the native zeromq addon could not be loaded (missing prebuilt binary for this platform or
 * Node ABI, or a broken install).
 * Handled by: connect(), shown to the user with what to do.
 */
export class ZmqLoadError extends TransportError {
  readonly code = 'ERR_ZMQ_LOAD' as const;
  constructor(readonly detail: string) {
    super(message('zmqLoad', detail));
  }
}

/**
 * Cause: the ssh server spec is not `[user@]host[:port]`, the ssh client is missing, ssh exited (auth
 * refused, host unreachable, unknown host key, a forward that could not bind), or the forwarded ports did
 * not open in time.
 * Handled by: the client's connect(), which shows the message (host + ssh's own words) to the user; a
 * dropped tunnel is re-established by SshTunnel itself.
 */
export class SshTunnelError extends TransportError {
  readonly code = 'ERR_SSH_TUNNEL' as const;
  constructor(
    message: string,
    /** `user@host:port` as given, '' when the spec itself was invalid. */
    readonly server: string,
    /** What ssh wrote to stderr (trimmed), '' when it never ran. */
    readonly sshMessage = '',
    readonly exitCode: number | null = null,
  ) {
    super(message);
  }
  override get name(): string {
    return 'SshTunnelError';
  }
}
