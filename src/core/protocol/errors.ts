/**
 * Typed protocol errors. Every failure in decoding or in loading a connection file is one of these,
 * with a stable `code` that callers (read loops, the language server, the UI) switch on.
 *
 * None of them ever carries the HMAC key or an expected digest: messages name what was wrong, not the
 * secret that would have made it right.
 */
import { CodedError } from '../codedError';

export type ProtocolErrorCode =
  | 'ERR_SIGNATURE' // HMAC did not verify
  | 'ERR_UNSIGNED' // a key is set but the message carries no signature
  | 'ERR_REPLAY' // the signature was seen before
  | 'ERR_MALFORMED' // frames are not a message: no delimiter, too few frames, bad JSON, missing fields
  | 'ERR_SCHEME' // unknown or unsupported signature scheme
  | 'ERR_CONNECTION_FILE' // a connection file that cannot be used
  | 'ERR_INVALID_NAME'; // a profile or cluster id that is not a plain name

export abstract class ProtocolError extends CodedError {
  abstract override readonly code: ProtocolErrorCode;
}

/**
 * Cause: the HMAC recomputed over the four JSON frames does not match the signature frame.
 * Handled by: the read loop, which drops the message and counts it under `badSignature`.
 * Internal: its message is logged, never shown to a user (so it stays out of src/core/messages.ts).
 */
export class SignatureError extends ProtocolError {
  readonly code = 'ERR_SIGNATURE' as const;
}

/**
 * Cause: a key is configured but the message's signature frame is empty.
 * Handled by: the read loop, counted under `badSignature`.
 * Internal: its message is logged, never shown to a user (so it stays out of src/core/messages.ts).
 */
export class UnsignedMessageError extends ProtocolError {
  readonly code = 'ERR_UNSIGNED' as const;
}

/**
 * Cause: the exact signature was already accepted (a replayed message).
 * Handled by: the read loop, counted under `replay`.
 * Internal: its message is logged, never shown to a user (so it stays out of src/core/messages.ts).
 */
export class ReplayError extends ProtocolError {
  readonly code = 'ERR_REPLAY' as const;
}

/**
 * Cause: the frames do not form a message (no delimiter, fewer than four JSON frames, invalid JSON,
 * a header without msg_id/msg_type).
 * Handled by: the read loop, counted under `malformed`.
 * Internal: its message is logged, never shown to a user (so it stays out of src/core/messages.ts).
 */
export class MalformedMessageError extends ProtocolError {
  readonly code = 'ERR_MALFORMED' as const;
}

/**
 * Cause: `signature_scheme` is not `hmac-<hash>` for a hash this Node's crypto provides.
 * Handled by: connect, which fails with this message.
 */
export class SignatureSchemeError extends ProtocolError {
  readonly code = 'ERR_SCHEME' as const;
}

/**
 * Cause: a connection file that is missing, not JSON, or has a missing, mistyped or unsupported field.
 * The message names the file, the field and what to do.
 * Handled by: connect and discovery, which show it to the user.
 */
export class ConnectionFileError extends ProtocolError {
  readonly code = 'ERR_CONNECTION_FILE' as const;
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Cause: a profile or cluster id that is not a plain name (letters, digits, `_`, `.`, `-`, never `..`),
 * such as `x/../../tmp/evil` from a workspace's settings: it would steer the connection file's path.
 * Handled by: the language server, which answers InvalidParams naming `field`.
 */
export class InvalidNameError extends ProtocolError {
  readonly code = 'ERR_INVALID_NAME' as const;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
