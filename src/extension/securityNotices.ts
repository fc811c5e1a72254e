/**
 * What a connect must tell the user about security, whatever started it (palette, auto-connect, reconnect
 * after a server restart or after a connection-file rewrite): each warning once per cluster per window,
 * with a button that helps where one can. Plain Node (no `vscode`), so it is unit tested; ctx.ts shows them.
 */
import { chmod, stat } from 'node:fs/promises';
import type { SecurityPosture } from '../shared/protocol';
import { l10n } from './l10n';

export interface SecurityNotice {
  /** The text shown (prefixed "IPython Parallel: "). */
  message: string;
  /** Offer "Fix permissions" (chmod 600 of `connectionFile`): the file is readable by others. */
  fixPermissions: boolean;
}

/** Others than the owner can read or write the file. */
export const GROUP_OR_OTHER_BITS = 0o077;

/**
 * The notices for one connect: the server's warnings (the connection file's and the link's, deduplicated)
 * plus one for an unsigned cluster unless a warning already says so. `fileMode` is the connection file's
 * mode when it could be read: a warning about its permissions gets the "Fix permissions" button.
 */
export function securityNotices(
  connectionFile: string,
  security: Pick<SecurityPosture, 'signed' | 'warnings'>,
  warnings: readonly string[],
  fileMode?: number,
): SecurityNotice[] {
  const texts = [...new Set([...warnings, ...security.warnings])];
  if (!security.signed && !texts.some((w) => /not signed/i.test(w))) {
    texts.push(l10n.t('the cluster of {0} does not sign its messages: anyone who can reach its ports can run code on it.', connectionFile));
  }
  const readable = fileMode !== undefined && (fileMode & GROUP_OR_OTHER_BITS) !== 0;
  return texts.map((message) => ({
    message,
    fixPermissions: readable && message.includes(connectionFile) && /readable|writable|chmod/i.test(message),
  }));
}

/** Remembers what was shown, so each warning appears once per cluster per window. */
export class ShownNotices {
  readonly #shown = new Set<string>();

  /** The notices not shown before for this cluster; marks them shown. */
  take(connectionFile: string, notices: readonly SecurityNotice[]): SecurityNotice[] {
    return notices.filter((n) => {
      const key = `${connectionFile}\0${n.message}`;
      if (this.#shown.has(key)) return false;
      this.#shown.add(key);
      return true;
    });
  }
}

/** The connection file's mode, or undefined when it cannot be read (remote, gone). */
export async function fileMode(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mode;
  } catch {
    return undefined;
  }
}

/** chmod 600: only the owner can read and write the file (what ipcontroller itself writes). */
export async function restrictToOwner(file: string): Promise<void> {
  await chmod(file, 0o600);
}
