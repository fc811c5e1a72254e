/**
 * CurveZMQ helpers (PROTOCOL.md §1.3 point 5). The Transport sets the keys on every socket; this module
 * decides which server key applies and explains a failed connection: with a wrong server key zeromq's
 * CURVE handshake fails without any message reaching us, so connect() only sees silence. Watching the
 * sockets' connect/handshake events tells "nothing listens there" apart from "CURVE key mismatch".
 */
import type { Channel, ConnectionInfo } from '../protocol/connectionFile';

const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/**
 * The controller's CURVE public key: the connection file's `curve_serverkey`, or when that is null or
 * absent the environment's IPP_CURVE_SERVERKEY (as the Python client does). null means CURVE is off.
 */
export function curveServerKeyFor(info: Pick<ConnectionInfo, 'curveServerKey'>, env: NodeJS.ProcessEnv = process.env): string | null {
  if (info.curveServerKey) return info.curveServerKey;
  const fromEnv = env.IPP_CURVE_SERVERKEY?.trim();
  return fromEnv && Z85_KEY.test(fromEnv) ? fromEnv : null;
}

/** The socket events the tracker understands (ChannelHandlers.onSocketEvent types). */
export type SocketEventType = 'connect' | 'disconnect' | 'handshake' | 'handshake:error:auth' | 'handshake:error:protocol' | 'handshake:error:other';

/**
 * Counts, per channel, TCP connections made and security handshakes completed or failed. Fed from the
 * transport's socket events; read when connect() times out to say why.
 */
export class HandshakeTracker {
  readonly #connects = new Map<Channel, number>();
  readonly #handshakes = new Map<Channel, number>();
  readonly #failures = new Map<Channel, number>();
  #waiters: { channel: Channel; after: number; resolve: (ok: boolean) => void }[] = [];

  note(channel: Channel, type: string): void {
    const bump = (m: Map<Channel, number>) => m.set(channel, (m.get(channel) ?? 0) + 1);
    if (type === 'connect') bump(this.#connects);
    else if (type === 'handshake') bump(this.#handshakes);
    else if (type.startsWith('handshake:error')) bump(this.#failures);
    if (type === 'handshake') {
      const ready = this.#waiters.filter((w) => w.channel === channel && this.handshakes(channel) > w.after);
      this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve(true);
    }
  }

  /** Resolves true once `channel` has completed more than `after` handshakes, false after `timeoutMs`. */
  whenHandshaken(channel: Channel, after: number, timeoutMs: number): Promise<boolean> {
    if (this.handshakes(channel) > after) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        channel,
        after,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** TCP connections made on a channel (through a tunnel this counts the tunnel's local end). */
  connects(channel: Channel): number {
    return this.#connects.get(channel) ?? 0;
  }

  handshakes(channel: Channel): number {
    return this.#handshakes.get(channel) ?? 0;
  }

  handshakeFailures(channel: Channel): number {
    return this.#failures.get(channel) ?? 0;
  }

  /**
   * Why a channel got no answer, as a sentence to append to the connect error, or '' when the events
   * say nothing useful. `curve` tells whether CURVE was on; `url` is what the socket connected to;
   * through an SSH tunnel a TCP connection only proves the tunnel's local end is up.
   */
  explain(channel: Channel, url: string, options: { curve: boolean; tunnel?: string }): string {
    const connected = this.connects(channel) > 0;
    const handshaken = this.handshakes(channel) > 0;
    const failed = this.handshakeFailures(channel) > 0;
    const farEnd = options.tunnel ? ` (or nothing listens at the far end of the SSH tunnel through ${options.tunnel})` : '';
    if (!connected) return `Nothing accepted a connection at ${url}${options.curve ? ' (CURVE is on)' : ''}.`;
    if (options.curve && !handshaken) {
      return (
        `A TCP connection to ${url} was made but the CURVE handshake never completed: the connection file's curve_serverkey ` +
        `does not match the controller's key (the controller makes a new key pair each time it starts, so use its current ` +
        `connection file), or the controller does not use CURVE${farEnd}.`
      );
    }
    if (!handshaken && failed) {
      return `A TCP connection to ${url} was made but the zeromq handshake failed: the controller may require CURVE (a connection file with curve_serverkey).`;
    }
    if (!handshaken && options.tunnel) return `The SSH tunnel accepted the connection but nothing answered${farEnd}.`;
    return options.curve ? 'The CURVE handshake succeeded, so the server key is right.' : '';
  }
}
