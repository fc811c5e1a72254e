/**
 * Typed errors of the cluster client and its transport. Each failure has one class and a stable `code`
 * that the language server and the UI switch on. None of them ever carries the HMAC key or a digest.
 */
import { CodedError } from '../codedError';
import type { ProtocolErrorCode } from '../protocol/errors';
import type { TransportErrorCode } from '../transport/errors';

export { ZmqLoadError } from '../transport/errors';

export type ClientErrorCode =
  | 'ERR_TIMEOUT'
  | 'ERR_ABORTED'
  | 'ERR_NOT_CONNECTED'
  | 'ERR_CONNECT'
  | 'ERR_ENGINE_GONE'
  | 'ERR_CONTROLLER_GONE'
  | 'ERR_HUB'
  | 'ERR_UNKNOWN_TASK'
  | 'ERR_UNSUPPORTED';

export abstract class ClientError extends CodedError {
  abstract override readonly code: ClientErrorCode;
}

/** Every code a core error can carry. */
export type CoreErrorCode = ProtocolErrorCode | TransportErrorCode | ClientErrorCode;

/**
 * Cause: no answer within the request's timeout (the cluster never sends negative acknowledgements).
 * Handled by: the caller; the message names what timed out and after how long.
 */
export class TimeoutError extends ClientError {
  readonly code = 'ERR_TIMEOUT' as const;
}

/**
 * Cause: the caller's AbortSignal fired.
 * Handled by: the caller (usually silently: the user cancelled).
 */
export class AbortedError extends ClientError {
  readonly code = 'ERR_ABORTED' as const;
}

/**
 * Cause: a request was made while the client is not connected.
 * Handled by: the caller, which asks the user to connect first.
 */
export class NotConnectedError extends ClientError {
  readonly code = 'ERR_NOT_CONNECTED' as const;
}

/**
 * Cause: the controller did not answer the connection request (not running, wrong key, wrong ports,
 * a tunnel missing) or answered with an error.
 * Handled by: connect(), shown to the user with the URL and what to check.
 */
export class ConnectError extends ClientError {
  readonly code = 'ERR_CONNECT' as const;
}

/**
 * Cause: the engine a request was addressed to unregistered (or is not registered at all).
 * Handled by: the caller; the engine's tasks end as lost with the same reason.
 */
export class EngineGoneError extends ClientError {
  readonly code = 'ERR_ENGINE_GONE' as const;
  constructor(
    readonly engineId: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Cause: disconnect(), dispose(), a cluster shutdown, a controller that stopped answering, or a
 * controller restart (a rewritten connection file).
 * Handled by: the caller; tasks in flight end as lost.
 */
export class ControllerGoneError extends ClientError {
  readonly code = 'ERR_CONTROLLER_GONE' as const;
}

/**
 * Cause: the hub (or an engine, for control requests) answered with `hub_error` or `status: "error"`.
 * Handled by: the caller, which shows ename and evalue.
 */
export class HubError extends ClientError {
  readonly code = 'ERR_HUB' as const;
  constructor(
    readonly ename: string,
    readonly evalue: string,
    readonly traceback: string[] = [],
  ) {
    super(`${ename}: ${evalue}`);
  }
}

/**
 * Cause: wait() was given a msg_id or run id this client does not track.
 * Handled by: the caller.
 */
export class UnknownTaskError extends ClientError {
  readonly code = 'ERR_UNKNOWN_TASK' as const;
}

/**
 * Cause: the cluster's ipyparallel (as an engine reported it) is older than a feature needs, e.g.
 * interrupting (the engine nanny, 7.0 and later). The request is not sent: it would never be answered.
 * Handled by: the caller, which shows the message (it names the feature and both versions).
 */
export class UnsupportedError extends ClientError {
  readonly code = 'ERR_UNSUPPORTED' as const;
  constructor(
    readonly feature: string,
    readonly version: string,
    message: string,
  ) {
    super(message);
  }
}
