/**
 * An SSH tunnel for a cluster's channels: one system `ssh -N -L ...` process carries a forward per channel,
 * using the user's own keys, agent and ssh config (we store no passwords; BatchMode means it never
 * prompts). Local ends are on 127.0.0.1 ports picked once and kept for the tunnel's lifetime, so after a
 * drop the tunnel comes back on the same ports and zeromq sockets connected to them reconnect by themselves.
 *
 * Lifecycle: start() resolves when every local port accepts connections, or rejects with an
 * SshTunnelError that names the server and quotes ssh's stderr. An unexpected exit fires onDidDrop and,
 * unless autoRestart is off, re-establishes the tunnel with backoff (giving up after the last delay).
 * stop() kills the process group and waits for it to go.
 *
 * Nothing is left behind when this process dies, however it dies (even SIGKILL): on POSIX, ssh runs under
 * a tiny `sh` watchdog (WATCHDOG_SCRIPT) that holds a pipe from us on its stdin and kills ssh when that
 * pipe closes, which the kernel does when we exit. On Windows ssh is spawned directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { constants } from 'node:os';
import { Emitter, type Disposable, type Event } from '../event';
import { defaultSshPath, killProcessTree } from '../platform';
import { silentLogger, type Logger } from '../log';
import { message } from '../messages';
import { CHANNELS, connectableAddress, type Channel, type ConnectionInfo } from '../protocol/connectionFile';
import {
  buildSshArgs,
  formatSshServer,
  parseSshServer,
  sshExitError,
  sshSpawnError,
  SshTunnelError,
  summarizeSshStderr,
  type SshServer,
} from './sshArgs';

export type SshTunnelState = 'idle' | 'starting' | 'up' | 'down' | 'failed' | 'stopped';

export interface SshTunnelOptions<K extends string> {
  /** `[user@]host[:port]`. */
  server: string;
  /** The controller's address as seen from the ssh server (usually 127.0.0.1: the server is the controller's host). */
  remoteHost: string;
  /** Remote port per channel. */
  remotePorts: Record<K, number>;
  /** Fixed local ports; the missing ones are picked free on 127.0.0.1. */
  localPorts?: Partial<Record<K, number>>;
  /** Default 'ssh' on PATH; on Windows without one, System32\OpenSSH\ssh.exe (defaultSshPath). */
  sshPath?: string;
  /** Extra ssh arguments placed before our defaults, e.g. ['-i', key, '-o', 'UserKnownHostsFile=...']. */
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** How long start() waits for every forwarded port to accept connections. Default 20 s. */
  readyTimeoutMs?: number;
  /** Re-establish the tunnel when ssh exits unexpectedly. Default true. */
  autoRestart?: boolean;
  /** Delay before each consecutive restart attempt; after the last one fails the tunnel is 'failed'. */
  restartDelaysMs?: readonly number[];
  logger?: Logger;
}

export interface SshTunnelDrop {
  /** Why the tunnel went down: ssh's exit, with its stderr. */
  error: SshTunnelError;
  /** Whether it will be re-established automatically. */
  restarting: boolean;
}

const DEFAULT_RESTART_DELAYS = [200, 1000, 2000, 4000, 8000, 15000, 15000, 15000, 15000, 15000];
const STDERR_TAIL = 8192;

/**
 * `sh -c WATCHDOG_SCRIPT <ssh> <args...>`: starts ssh in the background, and a reader of our pipe (fd 3,
 * a copy of stdin: an asynchronous list's own stdin is /dev/null) that kills ssh at end of file. Exits with
 * ssh's status, as if it were ssh (126/127 when ssh cannot be run). The process group is sh, ssh and the
 * reader, so stop() still signals them all.
 */
export const WATCHDOG_SCRIPT = [
  'exec 3<&0',
  '"$0" "$@" </dev/null &',
  'ssh_pid=$!',
  // Signalled (stop() signals the whole group): end ssh and reap it before exiting, so that nothing of the
  // group outlives the exit this process waits for.
  'trap \'kill -TERM "$ssh_pid" 2>/dev/null; wait "$ssh_pid" 2>/dev/null; exit 143\' TERM HUP INT',
  '(while read -r _; do :; done; kill -TERM "$ssh_pid" 2>/dev/null) <&3 &',
  'watch_pid=$!',
  'exec 3<&-',
  'wait "$ssh_pid" 2>/dev/null',
  'status=$?',
  'kill "$watch_pid" 2>/dev/null',
  'exit "$status"',
].join('\n');

function signalName(n: number): string | undefined {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0];
}

/** How ssh is spawned: through the watchdog on POSIX, directly on Windows. */
export function sshCommand(sshPath: string, args: readonly string[], platform = process.platform): { file: string; args: string[]; watchdog: boolean } {
  if (platform === 'win32') return { file: sshPath, args: [...args], watchdog: false };
  return { file: '/bin/sh', args: ['-c', WATCHDOG_SCRIPT, sshPath, ...args], watchdog: true };
}

/** Pids of ssh processes we started and have not seen exit, killed if this process exits first. */
const live = new Set<number>();
let exitHookInstalled = false;

function killTree(pid: number, signal: NodeJS.Signals): boolean {
  return killProcessTree(pid, signal);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of live) killTree(pid, 'SIGTERM');
  });
}

/** Distinct free ports on 127.0.0.1 (bound together, so no two are equal, then released). */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const srv = net.createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function duration(ms: number): string {
  return ms < 1000 ? message('milliseconds', ms) : message('seconds', Math.round(ms / 100) / 10);
}

function canConnect(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export class SshTunnel<K extends string = Channel> implements Disposable {
  readonly server: SshServer;
  /** `user@host:port` for messages. */
  readonly serverLabel: string;
  readonly #opts: SshTunnelOptions<K>;
  readonly #log: Logger;
  readonly #names: K[];
  #localPorts: Record<K, number> | undefined;
  #state: SshTunnelState = 'idle';
  #child: ChildProcess | undefined;
  #stderr = '';
  #starting: Promise<void> | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #restartAttempt = 0;
  #disposed = false;

  readonly #onDidChangeState = new Emitter<{ state: SshTunnelState; error?: SshTunnelError }>();
  readonly #onDidDrop = new Emitter<SshTunnelDrop>();
  /** Every state change; `error` on 'down' and 'failed'. */
  readonly onDidChangeState: Event<{ state: SshTunnelState; error?: SshTunnelError }> = this.#onDidChangeState.event;
  /** ssh exited while the tunnel was up (not through stop()). */
  readonly onDidDrop: Event<SshTunnelDrop> = this.#onDidDrop.event;

  constructor(options: SshTunnelOptions<K>) {
    this.server = parseSshServer(options.server);
    this.serverLabel = formatSshServer(this.server);
    this.#opts = options;
    this.#log = options.logger ?? silentLogger;
    this.#names = Object.keys(options.remotePorts) as K[];
  }

  /** A tunnel for every client channel of a tcp connection file. */
  static forConnection(info: ConnectionInfo, options: Omit<SshTunnelOptions<Channel>, 'remoteHost' | 'remotePorts'>): SshTunnel<Channel> {
    if (info.transport !== 'tcp') {
      throw new SshTunnelError(message('sshNeedsTcp', info.file || message('theConnectionFile'), info.transport), options.server);
    }
    const remotePorts = {} as Record<Channel, number>;
    for (const ch of CHANNELS) remotePorts[ch] = info.ports[ch];
    return new SshTunnel<Channel>({ ...options, remoteHost: connectableAddress(info), remotePorts });
  }

  get state(): SshTunnelState {
    return this.#state;
  }

  /** The running ssh process's pid (also its process group), if any. */
  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  /** Local port per channel; known after the first successful start(). */
  get localPorts(): Readonly<Record<K, number>> {
    if (!this.#localPorts) throw new SshTunnelError(message('sshNotStartedYet', this.serverLabel), this.serverLabel);
    return this.#localPorts;
  }

  /** The URL to connect a channel's socket to: the tunnel's local end. */
  localUrl(name: K): string {
    return `tcp://127.0.0.1:${this.localPorts[name]}`;
  }

  localUrls(): Record<K, string> {
    const urls = {} as Record<K, string>;
    for (const n of this.#names) urls[n] = this.localUrl(n);
    return urls;
  }

  /** Opens the tunnel; resolves when every local port accepts connections. Idempotent while up or starting. */
  start(signal?: AbortSignal): Promise<void> {
    if (this.#disposed) return Promise.reject(new SshTunnelError(message('sshDisposed', this.serverLabel), this.serverLabel));
    if (this.#state === 'up') return Promise.resolve();
    if (this.#starting) return this.#starting;
    this.#cancelRestart();
    this.#restartAttempt = 0;
    return this.#launchTracked(signal);
  }

  /** Tears the current ssh down (if any) and opens a new one on the same local ports. */
  async restart(signal?: AbortSignal): Promise<void> {
    this.#cancelRestart();
    await this.#killChild();
    this.#restartAttempt = 0;
    this.#starting = undefined;
    return this.#launchTracked(signal);
  }

  /** Kills ssh (its whole process group) and waits for it to exit. The tunnel can be started again. */
  async stop(): Promise<void> {
    this.#cancelRestart();
    const wasActive = this.#state !== 'idle' && this.#state !== 'stopped';
    await this.#killChild();
    this.#starting = undefined;
    if (wasActive) this.#setState('stopped');
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    void this.stop().finally(() => {
      this.#onDidChangeState.dispose();
      this.#onDidDrop.dispose();
    });
  }

  #setState(state: SshTunnelState, error?: SshTunnelError): void {
    if (this.#state === state && !error) return;
    this.#state = state;
    this.#onDidChangeState.fire(error ? { state, error } : { state });
  }

  #cancelRestart(): void {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
  }

  #launchTracked(signal?: AbortSignal): Promise<void> {
    const p = this.#launch(signal).finally(() => {
      if (this.#starting === p) this.#starting = undefined;
    });
    this.#starting = p;
    return p;
  }

  async #launch(signal: AbortSignal | undefined, auto = false): Promise<void> {
    this.#setState('starting');
    const picked = !this.#localPorts;
    try {
      try {
        await this.#launchOnce(await this.#ports(), signal);
      } catch (e) {
        // Free ports are picked, released, then bound by ssh: another program can win that race. Pick again once.
        if (!picked || !(e instanceof SshTunnelError) || !/Address already in use|cannot listen to port/i.test(e.sshMessage)) throw e;
        this.#log.debug(`ssh tunnel ${this.serverLabel}: a picked local port was taken, picking new ones`);
        this.#localPorts = undefined;
        await this.#launchOnce(await this.#ports(), signal);
      }
    } catch (e) {
      if (picked) this.#localPorts = undefined;
      if (signal?.aborted) {
        this.#setState('stopped');
        throw e;
      }
      const err = e instanceof SshTunnelError ? e : new SshTunnelError(message('sshFailed', this.serverLabel, (e as Error).message), this.serverLabel);
      // A failed automatic restart leaves the tunnel 'down' (another attempt follows); a failed start() is final.
      if (this.#state === 'starting') this.#setState(auto ? 'down' : 'failed', err);
      throw err;
    }
    this.#restartAttempt = 0;
    this.#setState('up');
  }

  async #ports(): Promise<Record<K, number>> {
    if (this.#localPorts) return this.#localPorts;
    const given: Partial<Record<K, number>> = this.#opts.localPorts ?? {};
    const missing = this.#names.filter((n) => given[n] === undefined);
    const free = await freeLoopbackPorts(missing.length);
    const ports = {} as Record<K, number>;
    for (const n of this.#names) ports[n] = given[n] ?? (free.shift() as number);
    this.#localPorts = ports;
    return ports;
  }

  async #launchOnce(ports: Record<K, number>, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const forwards = this.#names.map((n) => ({ localPort: ports[n], remoteHost: this.#opts.remoteHost, remotePort: this.#opts.remotePorts[n] }));
    const args = buildSshArgs(this.server, forwards, this.#opts.extraArgs);
    const sshPath = this.#opts.sshPath ?? defaultSshPath(this.#opts.env ?? process.env);
    this.#log.info(`ssh tunnel: ${sshPath} ${args.join(' ')}`);
    this.#stderr = '';
    const cmd = sshCommand(sshPath, args);
    const child = spawn(cmd.file, cmd.args, {
      env: this.#opts.env ?? process.env,
      // The watchdog's stdin is our pipe: it closes when this process dies, for any reason.
      stdio: [cmd.watchdog ? 'pipe' : 'ignore', 'ignore', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    child.stdin?.on('error', () => undefined); // never written to; EPIPE once the watchdog is gone
    this.#child = child;
    installExitHook();
    if (child.pid !== undefined) live.add(child.pid);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-STDERR_TAIL);
      for (const line of d.split(/\r?\n/)) if (line.trim()) this.#log.debug(`ssh ${this.serverLabel}: ${line.trim()}`);
    });
    const exited = new Promise<SshTunnelError>((resolve) => {
      child.once('error', (err) => resolve(sshSpawnError(this.serverLabel, sshPath, err)));
      child.once('exit', (code, sig) => {
        if (child.pid !== undefined) live.delete(child.pid);
        // If the watchdog's shell alone was killed, its reader sees end of file and takes ssh with it.
        child.stdin?.destroy();
        // stderr may still hold unread data at 'exit'; 'close' follows once the pipe is drained (unless a
        // ProxyCommand child still holds it open, hence the fallback).
        const report = () => {
          clearTimeout(fallback);
          // The watchdog's shell reports an ssh it could not run as 127 (not found) or 126 (not executable).
          const notRun = cmd.watchdog && (code === 127 || code === 126) && /not found|No such file|Permission denied|cannot execute/i.test(this.#stderr);
          if (notRun) resolve(sshSpawnError(this.serverLabel, sshPath, Object.assign(new Error(this.#stderr.trim()), { code: code === 127 ? 'ENOENT' : 'EACCES' })));
          // The shell reports an ssh killed by signal N as status 128 + N: say which signal, as for a direct child.
          else if (cmd.watchdog && code !== null && code > 128 && signalName(code - 128)) resolve(sshExitError(this.serverLabel, this.#stderr, null, signalName(code - 128) ?? null));
          else resolve(sshExitError(this.serverLabel, this.#stderr, code, sig));
        };
        const fallback = setTimeout(report, 500);
        child.once('close', report);
      });
    });
    exited.then((err) => this.#onExit(child, err));

    const deadline = Date.now() + (this.#opts.readyTimeoutMs ?? 20_000);
    const pending = new Set(this.#names.map((n) => ports[n]));
    let outcome: SshTunnelError | 'ready' | undefined;
    exited.then((err) => (outcome ??= err));
    let interval = 50;
    while (outcome === undefined) {
      if (signal?.aborted) {
        await this.#killChild();
        signal.throwIfAborted();
      }
      for (const port of [...pending]) if (await canConnect(port, 1000)) pending.delete(port);
      if (pending.size === 0) {
        outcome ??= 'ready';
        break;
      }
      if (Date.now() > deadline) {
        await this.#killChild();
        const said = summarizeSshStderr(this.#stderr);
        const why = message('sshPortsTimeout', duration(this.#opts.readyTimeoutMs ?? 20_000)) + (said ? message('sshSaid', said) : message('sshSaidNothing'));
        throw new SshTunnelError(message('sshFailed', this.serverLabel, why), this.serverLabel, said);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, interval);
        void exited.then(() => {
          clearTimeout(t);
          resolve();
        });
      });
      interval = Math.min(interval * 2, 250);
    }
    if (outcome !== 'ready') throw outcome;
    this.#log.info(`ssh tunnel to ${this.serverLabel} is up (pid ${child.pid})`);
  }

  #onExit(child: ChildProcess, err: SshTunnelError): void {
    if (child !== this.#child) return;
    this.#child = undefined;
    if (this.#state !== 'up') return; // a failed start reports through #launch; stop() expects it
    const restarting = (this.#opts.autoRestart ?? true) && !this.#disposed;
    this.#log.warn(`ssh tunnel to ${this.serverLabel} dropped: ${err.message}${restarting ? '; re-establishing it' : ''}`);
    this.#setState('down', err);
    this.#onDidDrop.fire({ error: err, restarting });
    if (restarting) this.#scheduleRestart(err);
  }

  #scheduleRestart(lastError: SshTunnelError): void {
    const delays = this.#opts.restartDelaysMs ?? DEFAULT_RESTART_DELAYS;
    if (this.#restartAttempt >= delays.length) {
      this.#log.error(`ssh tunnel to ${this.serverLabel}: giving up after ${delays.length} attempts: ${lastError.message}`);
      this.#setState('failed', lastError);
      return;
    }
    const delay = delays[this.#restartAttempt++];
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      const p = this.#launch(undefined, true).then(
        () => this.#log.info(`ssh tunnel to ${this.serverLabel} re-established`),
        (e: SshTunnelError) => {
          if (this.#state === 'down' && !this.#disposed) this.#scheduleRestart(e);
        },
      );
      this.#starting = p.finally(() => {
        this.#starting = undefined;
      });
    }, delay);
  }

  /** SIGTERM the process group, SIGKILL it after 3 s; resolves when ssh has exited. */
  async #killChild(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killTree(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid !== undefined && killTree(child.pid, 'SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
    live.delete(child.pid);
  }
}
