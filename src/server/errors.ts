/**
 * Turning failures into ResponseErrors with the ipp ErrorCodes. Errors are recognized by their `code`
 * (core's ClientError and ProtocolError subclasses all carry one), so this module needs no core classes.
 * Messages say what is wrong and what to do; they never contain the HMAC key (core's messages do not).
 */
import { LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { message } from '../core/messages';
import { ErrorCodes } from '../shared/protocol';

export type IppErrorData = { code: string; file?: string; field?: string; ename?: string; evalue?: string };

export function notConnected(): ResponseError<IppErrorData> {
  return new ResponseError(ErrorCodes.NotConnected, message('notConnected'), { code: 'ERR_NOT_CONNECTED' });
}

export function unknownRun(id: string): ResponseError<IppErrorData> {
  return new ResponseError(ErrorCodes.UnknownRun, message('unknownRun', id), {
    code: 'ERR_UNKNOWN_RUN',
  });
}

export function invalidParams(field: string, problem: string): ResponseError<IppErrorData> {
  return new ResponseError(ErrorCodes.InvalidParams, message('invalidParam', field, problem), { code: 'ERR_INVALID_PARAMS', field });
}

const CONNECT_CODES = new Set(['ERR_CONNECTION_FILE', 'ERR_CONNECT', 'ERR_SCHEME', 'ERR_ZMQ_LOAD', 'ERR_SSH_TUNNEL']);

/**
 * Maps any thrown value to a ResponseError. `connecting` marks failures of ipp/connect, which all use
 * ErrorCodes.ConnectFailed so that an editor can show one kind of "could not connect" message.
 */
export function toResponseError(e: unknown, connecting = false): ResponseError<IppErrorData | undefined> {
  if (e instanceof ResponseError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const rawCode = (err as { code?: unknown }).code;
  const code = typeof rawCode === 'string' ? rawCode : 'ERR_INTERNAL';
  const data: IppErrorData = { code };
  const file = (err as { file?: unknown }).file;
  const field = (err as { field?: unknown }).field;
  if (typeof file === 'string' && file) data.file = file;
  if (typeof field === 'string' && field) data.field = field;
  if (code === 'ERR_INVALID_NAME') {
    // a profile or cluster id that is not a plain name: a bad parameter, even of ipp/connect
    return new ResponseError(ErrorCodes.InvalidParams, message('invalidParams', err.message), { code: 'ERR_INVALID_PARAMS', field: data.field });
  }
  if (connecting || CONNECT_CODES.has(code)) {
    return new ResponseError(ErrorCodes.ConnectFailed, err.message, data);
  }
  switch (code) {
    case 'ERR_NOT_CONNECTED':
    case 'ERR_CONTROLLER_GONE':
      return new ResponseError(ErrorCodes.NotConnected, message('reconnect', err.message), data);
    case 'ERR_UNKNOWN_TASK':
      return new ResponseError(ErrorCodes.UnknownRun, err.message, data);
    case 'ERR_TIMEOUT':
      return new ResponseError(ErrorCodes.Timeout, err.message, data);
    case 'ERR_UNSUPPORTED':
      return new ResponseError(ErrorCodes.Unsupported, err.message, data);
    case 'ERR_ABORTED':
      return new ResponseError(LSPErrorCodes.RequestCancelled, err.message, data);
    case 'ERR_HUB':
    case 'ERR_ENGINE_GONE': {
      const { ename, evalue } = err as { ename?: unknown; evalue?: unknown };
      if (typeof ename === 'string') data.ename = ename;
      if (typeof evalue === 'string') data.evalue = evalue;
      return new ResponseError(ErrorCodes.RemoteFailed, err.message, data);
    }
    default:
      return new ResponseError(-32603, message('internalError', err.message), data);
  }
}
