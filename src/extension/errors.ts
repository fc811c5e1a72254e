/**
 * Turning failures of ipp/* requests into one message for the user (pure: duck-types the JSON-RPC
 * ResponseError, no `vscode`). Details go to the log; the message says what failed and what to do.
 */
import { ErrorCodes } from '../shared/protocol';
import { l10n } from './l10n';

export interface ResponseErrorLike {
  code: number;
  message: string;
  data?: unknown;
}

export function isResponseError(e: unknown): e is ResponseErrorLike {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'number' && typeof (e as { message?: unknown }).message === 'string';
}

/** An error the user caused by cancelling: nothing to report. */
export class CancelledError extends Error {
  readonly code = 'ERR_CANCELLED';
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/** A failure that has a message meant for the user as is. */
export class UserError extends Error {
  readonly code = 'ERR_USER';
  constructor(
    message: string,
    /** Buttons offered with the message: label -> command id. */
    readonly actions: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** One line for the user. */
export function describeError(e: unknown): string {
  if (isResponseError(e)) {
    const data = e.data as Record<string, unknown> | undefined;
    switch (e.code) {
      case ErrorCodes.NotConnected:
        return l10n.t('Not connected to a cluster. Run "IPython Parallel: Connect to Cluster…" first.');
      case ErrorCodes.ConnectFailed: {
        const where = [data?.file ? l10n.t('file {0}', String(data.file)) : '', data?.field ? l10n.t('field "{0}"', String(data.field)) : '']
          .filter(Boolean)
          .join(', ');
        return where && !e.message.includes(String(data?.file ?? '\u0000'))
          ? l10n.t('Could not connect: {0} ({1})', e.message, where)
          : l10n.t('Could not connect: {0}', e.message);
      }
      case ErrorCodes.Timeout:
        return l10n.t('The cluster did not answer in time: {0}', e.message);
      case ErrorCodes.RemoteFailed:
        return data?.ename ? `${String(data.ename)}: ${String(data.evalue ?? '')}` : e.message;
      case ErrorCodes.UnknownRun:
        return l10n.t('That run is no longer known to the language server ({0}).', e.message);
      default:
        return e.message;
    }
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

export function isNotConnected(e: unknown): boolean {
  return isResponseError(e) && e.code === ErrorCodes.NotConnected;
}
