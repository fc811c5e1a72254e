/**
 * Shows the security notices of a connect (securityNotices.ts) as warnings with a helpful button. Every
 * connect path calls warnSecurity(): Ctx.connect (palette, auto-connect, reconnect after a server restart)
 * and the state change to 'connected' the server reports after following a rewritten connection file.
 */
import * as vscode from 'vscode';
import type { ConfirmRedirectParams, RedirectTarget, SecurityPosture } from '../shared/protocol';
import { describeError } from './errors';
import { fileMode, restrictToOwner, securityNotices, type ShownNotices } from './securityNotices';


export async function warnSecurity(
  log: vscode.LogOutputChannel,
  shown: ShownNotices,
  connectionFile: string,
  security: Pick<SecurityPosture, 'signed' | 'warnings'>,
  warnings: readonly string[] = [],
): Promise<void> {
  const all = securityNotices(connectionFile, security, warnings, await fileMode(connectionFile));
  for (const n of all) log.warn(n.message);
  const FIX_PERMISSIONS = vscode.l10n.t('Fix permissions');
  const SHOW_LOG = vscode.l10n.t('Show Log');
  for (const n of shown.take(connectionFile, all)) {
    const buttons = n.fixPermissions ? [FIX_PERMISSIONS, SHOW_LOG] : [SHOW_LOG];
    void vscode.window.showWarningMessage(`IPython Parallel: ${n.message}`, ...buttons).then(async (choice) => {
      if (choice === SHOW_LOG) log.show(true);
      if (choice !== FIX_PERMISSIONS) return;
      try {
        await restrictToOwner(connectionFile);
        log.info(`chmod 600 ${connectionFile}`);
        vscode.window.setStatusBarMessage(vscode.l10n.t('IPython Parallel: only you can read the connection file now'), 4000);
      } catch (e) {
        void vscode.window.showErrorMessage(vscode.l10n.t('IPython Parallel: could not change the permissions of {0}: {1}', connectionFile, describeError(e)));
      }
    });
  }
}

function where(t: RedirectTarget): string {
  return t.sshServer ? vscode.l10n.t('{0} (through {1})', t.host, t.sshServer) : t.host;
}

/** ipp/confirmRedirect: a watched connection file now names another host or SSH server. Follow it? */
export async function askRedirect(p: ConfirmRedirectParams): Promise<{ follow: boolean }> {
  const follow = vscode.l10n.t('Connect');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('The connection file {0} was rewritten to point at {1} instead of {2}. Connect there?', p.connectionFile, where(p.to), where(p.from)),
    {
      modal: true,
      detail: vscode.l10n.t('Connecting sends the cluster key to that host and, with SSH, uses your keys and agent. Only connect if you expected the cluster to move.'),
    },
    follow,
  );
  return { follow: choice === follow };
}
