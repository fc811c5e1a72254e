/**
 * The pure half of the SSH tunnel: parsing `[user@]host[:port]`, deciding whether a connection needs a
 * tunnel (PROTOCOL.md §1.3 point 4, as the Python client decides), building the `ssh` command line, and
 * turning ssh's stderr into a message a user can act on. No processes here, so it is unit-testable.
 */
import { connectableAddress, isLoopback, type ConnectionInfo } from '../protocol/connectionFile';
import { message } from '../messages';
import { SshTunnelError } from './errors';

export { SshTunnelError };

/** An SSH server as written in a connection file's `ssh` field or a user setting. */
export interface SshServer {
  user?: string;
  host: string;
  port?: number;
}

/** One `-L` forward: 127.0.0.1:localPort on this machine to remoteHost:remotePort as seen from the server. */
export interface SshForward {
  localPort: number;
  remoteHost: string;
  remotePort: number;
}

/** Parses `[user@]host[:port]`; `[::1]:22` brackets an IPv6 host, a bare IPv6 address has no port. */
export function parseSshServer(spec: string): SshServer {
  const s = spec.trim();
  const bad = (why: string): never => {
    throw new SshTunnelError(message('sshBadServer', JSON.stringify(spec.length > 200 ? `${spec.slice(0, 200)}…` : spec), why), '');
  };
  if (s === '') bad(message('sshEmpty'));
  if (/\s/.test(s)) bad(message('sshWhitespace'));
  const at = s.lastIndexOf('@');
  const user = at >= 0 ? s.slice(0, at) : undefined;
  if (user === '') bad(message('sshEmptyUser'));
  let rest = at >= 0 ? s.slice(at + 1) : s;
  let port: number | undefined;
  let host: string;
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(rest);
  if (bracketed) {
    host = bracketed[1];
    if (bracketed[2] !== undefined) port = portOf(bracketed[2], bad);
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const i = rest.indexOf(':');
    port = portOf(rest.slice(i + 1), bad);
    rest = rest.slice(0, i);
    host = rest;
  } else {
    host = rest;
  }
  if (host === '') bad(message('sshEmptyHost'));
  if (host.startsWith('-') || user?.startsWith('-')) bad(message('sshDash'));
  if (!HOST.test(host) && !(host.includes(':') && IPV6.test(host))) {
    bad(message('sshBadHost'));
  }
  if (user !== undefined && !USER.test(user)) bad(message('sshBadUser'));
  return user === undefined ? { host, port } : { user, host, port };
}

/** Host names and IPv4 addresses; anything else (quotes, %, /, shell or ssh_config tokens) is refused. */
const HOST = /^[A-Za-z0-9._-]+$/;
/** IPv6 literals: hex digits and colons, an embedded IPv4 tail, no zone id. */
const IPV6 = /^[0-9A-Fa-f:.]+$/;
/** User names: letters, digits, ".", "_", "-"; "@" too, for sites whose logins are e-mail addresses. */
const USER = /^[A-Za-z0-9._@-]+$/;

function portOf(text: string, bad: (why: string) => never): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) bad(message('sshBadPort', JSON.stringify(text)));
  return n;
}

/** `user@host:port` (IPv6 hosts bracketed when a port follows). */
export function formatSshServer(server: SshServer): string {
  const host = server.port !== undefined && server.host.includes(':') ? `[${server.host}]` : server.host;
  return `${server.user ? `${server.user}@` : ''}${host}${server.port !== undefined ? `:${server.port}` : ''}`;
}

/**
 * The ssh server to tunnel through, or undefined for a direct connection. A server the user set always
 * wins. Otherwise the connection file's `ssh` field is used unless the controller is on this machine
 * (a loopback interface and a `location` naming this host), as the Python client does.
 */
export function sshServerFor(info: ConnectionInfo, userServer?: string): string | undefined {
  if (userServer && userServer.trim() !== '') return checkedSpec(userServer.trim(), message('sshSettingSource'));
  if (info.ssh.trim() === '') return undefined;
  // connectableAddress maps 0.0.0.0 to loopback exactly when `location` names this machine.
  const locationIsHere = connectableAddress({ ip: '0.0.0.0', location: info.location }) === '127.0.0.1';
  return isLoopback(info) && locationIsHere ? undefined : checkedSpec(info.ssh.trim(), message('sshFieldSource', info.file || message('theConnectionFile')));
}

/** `spec` when parseSshServer accepts it; otherwise its error, saying where the spec came from. */
function checkedSpec(spec: string, source: string): string {
  try {
    parseSshServer(spec);
  } catch (e) {
    throw new SshTunnelError(message('sshFrom', source, (e as Error).message), '');
  }
  return spec;
}

/** Options we always pass and the user cannot override (ssh keeps the first value it sees). */
const FIXED_OPTIONS = [
  '-N', // no remote command: forwards only
  '-o', 'ExitOnForwardFailure=yes', // a forward that cannot bind is an error, not a warning
  '-o', 'BatchMode=yes', // never prompt for a password or passphrase: we store none
  '-o', 'ControlPath=none', // own the connection, so stopping this process removes the forwards
];
/** Defaults the user's extra args or ssh config may override. */
const DEFAULT_OPTIONS = [
  '-o', 'ConnectTimeout=15',
  '-o', 'ServerAliveInterval=15', // notice a dead link within ~45 s, so the tunnel can be re-established
  '-o', 'ServerAliveCountMax=3',
];

/** The `ssh` argument vector for one process that carries every forward. */
export function buildSshArgs(server: SshServer, forwards: readonly SshForward[], extraArgs: readonly string[] = []): string[] {
  if (forwards.length === 0) throw new SshTunnelError(message('sshNoForward'), formatSshServer(server));
  const args = [...FIXED_OPTIONS, ...extraArgs];
  // Command-line options beat ssh config, and the first one given wins, so ours go after the user's.
  for (let i = 0; i < DEFAULT_OPTIONS.length; i += 2) {
    const name = DEFAULT_OPTIONS[i + 1].split('=')[0].toLowerCase();
    const given = extraArgs.some((a, j) => extraArgs[j - 1] === '-o' && a.toLowerCase().startsWith(`${name}=`));
    if (!given) args.push(DEFAULT_OPTIONS[i], DEFAULT_OPTIONS[i + 1]);
  }
  if (server.port !== undefined) args.push('-p', String(server.port));
  for (const f of forwards) {
    const remote = f.remoteHost.includes(':') ? `[${f.remoteHost}]` : f.remoteHost;
    args.push('-L', `127.0.0.1:${f.localPort}:${remote}:${f.remotePort}`);
  }
  args.push(server.user ? `${server.user}@${server.host}` : server.host);
  return args;
}

/** Lines of ssh's stderr worth showing: without the "Permanently added ... known hosts" chatter. */
export function summarizeSshStderr(stderr: string): string {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^Warning: Permanently added .* to the list of known hosts\.?$/.test(l))
    .slice(-6)
    .join('\n');
}

/** What to do next for ssh's usual failures. */
export function sshHint(sshMessage: string): string {
  if (/Permission denied/i.test(sshMessage)) {
    return message('sshHintDenied');
  }
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(sshMessage)) {
    return message('sshHintHostKey');
  }
  if (/Could not resolve hostname/i.test(sshMessage)) return message('sshHintHostName');
  if (/Address already in use|cannot listen to port/i.test(sshMessage)) return message('sshHintPortTaken');
  if (/connect(ion)? to .*(refused|timed out)|No route to host|Network is unreachable/i.test(sshMessage)) {
    return message('sshHintUnreachable');
  }
  return '';
}

/** The error for an ssh that exited before (or while) the tunnel was up. */
export function sshExitError(server: string, stderr: string, code: number | null, signal: string | null): SshTunnelError {
  const said = summarizeSshStderr(stderr);
  const how = code !== null ? message('sshExitedCode', code) : message('sshKilledBy', signal ?? message('sshASignal'));
  const text = said ? message('sshFailed', server, `${said}${sshHint(said).replace(/<server>/g, server)}`) : message('sshFailed', server, message('sshNoMessage', how));
  return new SshTunnelError(text, server, said, code);
}

/** The error for an ssh client that could not be started at all (ENOENT, EACCES). */
export function sshSpawnError(server: string, sshPath: string, err: NodeJS.ErrnoException): SshTunnelError {
  const what = err.code === 'ENOENT' ? message('sshNotFound', sshPath) : message('sshNotRunnable', sshPath, err.code ?? err.message);
  return new SshTunnelError(message('sshFailed', server, message('sshInstall', what)), server);
}
