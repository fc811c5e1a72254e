/**
 * Every ipp/* request the extension sends has a deadline: past it the request is cancelled
 * ($/cancelRequest, so the server stops the work) and fails here with a message that says what to do,
 * even when a stuck server never answers the cancel. The deadline comes from settings.ts (requestDeadlineMs).
 */
import * as vscode from 'vscode';
import { UserError } from './errors';

export function withDeadline<R>(
  method: string,
  ms: number,
  token: vscode.CancellationToken | undefined,
  send: (token: vscode.CancellationToken) => Promise<R>,
): Promise<R> {
  const cts = new vscode.CancellationTokenSource();
  const linked = token?.onCancellationRequested(() => cts.cancel());
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cts.cancel();
      reject(
        new UserError(
          vscode.l10n.t(
            'The IPython Parallel language server did not answer {0} within {1} s. See "IPython Parallel (Log)", or run "IPython Parallel: Restart Language Server".',
            method,
            Math.round(ms / 1000),
          ),
          { [vscode.l10n.t('Restart Language Server')]: 'ipyparallel.restartServer' },
        ),
      );
    }, ms);
  });
  return Promise.race([send(cts.token), expired]).finally(() => {
    clearTimeout(timer);
    linked?.dispose();
    cts.dispose();
  });
}
