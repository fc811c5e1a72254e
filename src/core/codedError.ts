/**
 * The base of every error core throws on purpose: a stable `code` that the language server and the UI
 * switch on, and the class name as `name`. Each layer narrows `code` to its own union
 * (ProtocolErrorCode, TransportErrorCode, ClientErrorCode); CoreErrorCode is all of them.
 */
export abstract class CodedError extends Error {
  abstract readonly code: string;
  override get name(): string {
    return this.constructor.name;
  }
}
