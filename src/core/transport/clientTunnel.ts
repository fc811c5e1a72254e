/**
 * The cluster client's side of SSH tunnelling: decides per connection whether a tunnel is needed
 * (sshServerFor), keeps one SshTunnel while the server and the controller's ports stay the same (a
 * controller restart with new ports gets a new tunnel), and forwards the tunnel's state so the client can
 * show 'reconnecting' while it is down and re-verify the hub when it is back.
 */
import { Emitter, type Disposable, type Event } from '../event';
import { silentLogger, type Logger } from '../log';
import { CHANNELS, connectableAddress, type Channel, type ConnectionInfo } from '../protocol/connectionFile';
import { sshServerFor, type SshTunnelError } from './sshArgs';
import { SshTunnel, type SshTunnelState } from './sshTunnel';

/** How to run ssh; everything else comes from the user's ssh config and agent. */
export interface SshClientOptions {
  /** Default 'ssh' on PATH; on Windows without one, System32\OpenSSH\ssh.exe (defaultSshPath). */
  sshPath?: string;
  /** Extra ssh arguments, e.g. ['-i', '~/.ssh/cluster_key'] or ['-J', 'bastion']. */
  extraArgs?: string[];
  /** How long to wait for the forwarded ports. Default 20 s. */
  readyTimeoutMs?: number;
  /** Restart backoff (see SshTunnelOptions.restartDelaysMs). */
  restartDelaysMs?: readonly number[];
}

export interface ClientTunnelOptions extends SshClientOptions {
  /** A server the user set; wins over the connection file's `ssh` field. */
  server?: string;
  logger?: Logger;
}

export class ClientTunnel implements Disposable {
  readonly #opts: ClientTunnelOptions;
  readonly #log: Logger;
  #tunnel: SshTunnel<Channel> | undefined;
  #key = '';
  #sub: Disposable | undefined;
  readonly #onDidChangeState = new Emitter<{ state: SshTunnelState; error?: SshTunnelError }>();
  /** The current tunnel's state changes (not fired for tunnels replaced or closed on purpose). */
  readonly onDidChangeState: Event<{ state: SshTunnelState; error?: SshTunnelError }> = this.#onDidChangeState.event;

  constructor(options: ClientTunnelOptions = {}) {
    this.#opts = options;
    this.#log = options.logger ?? silentLogger;
  }

  /** The tunnel in use, if any. */
  get tunnel(): SshTunnel<Channel> | undefined {
    return this.#tunnel;
  }

  /** `user@host:port` of the tunnel in use, or undefined for a direct connection. */
  get server(): string | undefined {
    return this.#tunnel?.serverLabel;
  }

  /**
   * The channel URLs to connect to for `info`: the local ends of a (started or reused) tunnel, or
   * undefined when no tunnel is needed (any previous tunnel is closed). Rejects with SshTunnelError.
   */
  async open(info: ConnectionInfo, signal?: AbortSignal): Promise<Record<Channel, string> | undefined> {
    const server = sshServerFor(info, this.#opts.server);
    if (!server) {
      await this.close();
      return undefined;
    }
    const key = JSON.stringify([server, connectableAddress(info), CHANNELS.map((c) => info.ports[c])]);
    if (this.#tunnel && key !== this.#key) await this.close();
    if (!this.#tunnel) {
      const tunnel = SshTunnel.forConnection(info, {
        server,
        sshPath: this.#opts.sshPath,
        extraArgs: this.#opts.extraArgs,
        readyTimeoutMs: this.#opts.readyTimeoutMs,
        restartDelaysMs: this.#opts.restartDelaysMs,
        logger: this.#log,
      });
      this.#tunnel = tunnel;
      this.#key = key;
      this.#sub = tunnel.onDidChangeState((e) => {
        if (tunnel === this.#tunnel) this.#onDidChangeState.fire(e);
      });
    }
    const tunnel = this.#tunnel;
    try {
      await tunnel.start(signal);
    } catch (e) {
      if (tunnel === this.#tunnel) await this.close();
      throw e;
    }
    return tunnel.localUrls();
  }

  /** Stops and forgets the tunnel (ssh is killed and waited for). */
  async close(): Promise<void> {
    const tunnel = this.#tunnel;
    this.#tunnel = undefined;
    this.#key = '';
    this.#sub?.dispose();
    this.#sub = undefined;
    if (tunnel) {
      await tunnel.stop();
      tunnel.dispose();
    }
  }

  dispose(): void {
    void this.close();
    this.#onDidChangeState.dispose();
  }
}
