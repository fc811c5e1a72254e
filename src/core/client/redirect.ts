/**
 * Where a connection file sends us: the controller's host and the SSH server (if any) in between. When a
 * watched file is rewritten to point somewhere else, the client follows only if `confirmRedirect` (a
 * ClusterClientOptions hook: an editor asks its user) says yes; without the hook it does not follow.
 * A rewrite that keeps the target (a restarted controller: new key, new ports) is followed as before.
 */
import { connectableAddress, type ConnectionInfo } from '../protocol/connectionFile';
import { sshServerFor } from '../transport/sshArgs';

export interface ConnectionTarget {
  /** The controller's address as the file gives it (`connectableAddress`). */
  host: string;
  /** `[user@]host[:port]` of the SSH server in between, when there is one. */
  sshServer?: string;
}

/** Asked before following a rewritten connection file to another target; resolves true to follow. */
export type ConfirmRedirect = (from: ConnectionTarget, to: ConnectionTarget, connectionFile: string) => Promise<boolean>;

export function connectionTarget(info: ConnectionInfo, userSshServer?: string): ConnectionTarget {
  const sshServer = sshServerFor(info, userSshServer);
  return sshServer ? { host: connectableAddress(info), sshServer } : { host: connectableAddress(info) };
}

export function sameTarget(a: ConnectionTarget, b: ConnectionTarget): boolean {
  return a.host === b.host && (a.sshServer ?? '') === (b.sshServer ?? '');
}

export function describeTarget(t: ConnectionTarget): string {
  return t.sshServer ? `${t.host} through ${t.sshServer}` : t.host;
}

/**
 * Whether to follow a rewrite from `before` to `after`: yes when the target is the same; otherwise what
 * `confirm` answers (no when there is no hook, or it fails).
 */
export async function shouldFollow(
  before: ConnectionInfo,
  after: ConnectionInfo,
  file: string,
  userSshServer: string | undefined,
  confirm: ConfirmRedirect | undefined,
): Promise<{ follow: boolean; from: ConnectionTarget; to: ConnectionTarget }> {
  const from = connectionTarget(before, userSshServer);
  const to = connectionTarget(after, userSshServer);
  if (sameTarget(from, to)) return { follow: true, from, to };
  if (!confirm) return { follow: false, from, to };
  try {
    return { follow: (await confirm(from, to, file)) === true, from, to };
  } catch {
    return { follow: false, from, to };
  }
}
