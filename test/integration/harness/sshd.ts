// A throwaway OpenSSH server for the remote-cluster tests: Debian's /usr/sbin/sshd on a free 127.0.0.1 port
// with a fresh host key and a fresh client key (ssh-keygen into a temp dir), key login only, TCP forwarding
// on. The client side gets ssh arguments that use exactly that key and a temp known_hosts, and ignore the
// user's ~/.ssh/config, so the tests never touch the real ~/.ssh.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPorts } from '../../../src/core/transport/sshTunnel';
import { descendants, pollUntil, ProcRef, terminate } from './procs';

export const SSHD_PATH = '/usr/sbin/sshd';
export const SSH_PATH = '/usr/bin/ssh';
export const SSHD_INSTALL_HINT = 'openssh-server and openssh-client are needed for the SSH tests (apt-get install openssh-server; scripts/bootstrap.mjs installs it).';

/** Why the ssh tests cannot run here, or undefined when they can. */
export function sshdUnavailable(): string | undefined {
  for (const p of [SSHD_PATH, SSH_PATH, '/usr/bin/ssh-keygen']) if (!existsSync(p)) return `${p} is missing. ${SSHD_INSTALL_HINT}`;
  return undefined;
}

const live = new Set<TestSshd>();
let hookInstalled = false;

export class TestSshd {
  /** 127.0.0.1 */
  readonly host = '127.0.0.1';
  readonly user = userInfo().username;
  readonly dir: string;
  readonly clientKey: string;
  readonly knownHosts: string;
  readonly logFile: string;
  #port = 0;
  #child: ChildProcess | undefined;

  private constructor(dir: string) {
    this.dir = dir;
    this.clientKey = join(dir, 'client_key');
    this.knownHosts = join(dir, 'known_hosts');
    this.logFile = join(dir, 'sshd.log');
  }

  /** Creates the keys and config and starts sshd; resolves once it listens. */
  static async start(): Promise<TestSshd> {
    const missing = sshdUnavailable();
    if (missing) throw new Error(missing);
    const sshd = new TestSshd(mkdtempSync(join(tmpdir(), 'ipp-sshd-')));
    live.add(sshd);
    installHook();
    try {
      sshd.#keygen('host_key');
      sshd.#keygen('client_key');
      writeFileSync(join(sshd.dir, 'authorized_keys'), readFileSync(`${sshd.clientKey}.pub`), { mode: 0o600 });
      // sshd running as root needs its privilege separation directory (the service unit creates it).
      if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
      // A picked port can be taken before sshd binds it: try a few.
      let lastError: Error | undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        [sshd.#port] = await freeLoopbackPorts(1);
        try {
          await sshd.#launch();
          return sshd;
        } catch (e) {
          lastError = e as Error;
          if (!/Address already in use/.test(lastError.message)) break;
        }
      }
      throw lastError ?? new Error('sshd did not start');
    } catch (e) {
      await sshd.stop();
      throw e;
    }
  }

  get port(): number {
    return this.#port;
  }

  /** `user@127.0.0.1:port`, as a connection file's `ssh` field names it. */
  get server(): string {
    return `${this.user}@${this.host}:${this.#port}`;
  }

  /** ssh arguments for the client side: this key only, a temp known_hosts, no user config. */
  clientArgs(): string[] {
    return [
      '-F', '/dev/null',
      '-i', this.clientKey,
      '-o', 'IdentitiesOnly=yes',
      '-o', `UserKnownHostsFile=${this.knownHosts}`,
      '-o', 'StrictHostKeyChecking=no',
      '-o', 'LogLevel=ERROR',
    ];
  }

  get pid(): number | undefined {
    return this.#child && this.#child.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  /** sshd's log (for failure messages). */
  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * Stops sshd and the per-connection processes it forked (they run in their own sessions, so a group
   * kill misses them), dropping every tunnel through it. Keeps the keys, so resume() brings it back on
   * the same port.
   */
  async pause(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const refs = [ProcRef.of(child.pid, 'sshd'), ...descendants([child.pid]).map((st) => ProcRef.fromStat(st, 'sshd connection'))];
    const left = await terminate(refs.filter((r): r is ProcRef => r !== undefined), { graceMs: 3000, killWaitMs: 3000 });
    if (left.length > 0) throw new Error(`sshd processes ${left.map((r) => r.pid).join(', ')} did not exit`);
  }

  /** Starts sshd again on the same port after pause(). */
  async resume(): Promise<void> {
    if (this.pid === undefined) await this.#launch();
  }

  /** Stops sshd and removes the temp dir (keys, config, log). */
  async stop(): Promise<void> {
    await this.pause();
    live.delete(this);
    if (!process.env.IPP_HARNESS_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }

  #keygen(name: string): void {
    const res = spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `ipp-test-${name}`, '-f', join(this.dir, name)], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`ssh-keygen ${name} failed: ${res.stderr || res.error?.message}`);
  }

  #writeConfig(): string {
    const config = join(this.dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${this.#port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(this.dir, 'host_key')}`,
        `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
        `PidFile ${join(this.dir, 'sshd.pid')}`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin prohibit-password',
        'AllowTcpForwarding yes',
        'PermitOpen any',
        'X11Forwarding no',
        'PrintMotd no',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    return config;
  }

  async #launch(): Promise<void> {
    const config = this.#writeConfig();
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      // -D: stay in the foreground (we own the pid); -e: log to stderr (our log file).
      child = spawn(SSHD_PATH, ['-D', '-e', '-f', config], { detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    child.on('error', () => undefined);
    child.unref();
    this.#child = child;
    const marker = `Server listening on 127.0.0.1 port ${this.#port}.`;
    const started = this.log().split(marker).length - 1;
    const ok = await pollUntil(() => this.log().split(marker).length - 1 > started || child.exitCode !== null || child.signalCode !== null, 10_000);
    if (!ok || child.exitCode !== null || child.signalCode !== null) {
      const tail = this.log().trim().split('\n').slice(-8).join('\n');
      await this.pause();
      throw new Error(`sshd on 127.0.0.1:${this.#port} did not start${ok ? '' : ' within 10 s'}:\n${tail}`);
    }
  }
}

function installHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on('exit', () => {
    for (const s of live) {
      const pid = s.pid;
      if (pid !== undefined) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  });
}

/**
 * The remote ports of this process's established TCP connections (from /proc/net/tcp and our fds): lets a
 * test prove that the client talks to the tunnel's local ports and never to the controller directly.
 */
export function establishedTcpPeerPorts(): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode; st 01 = ESTABLISHED
      if (f.length < 10 || f[3] !== '01' || !inodes.has(f[9])) continue;
      ports.push(parseInt(f[2].split(':')[1], 16));
    }
  }
  return ports;
}
