import { TimeoutError } from './errors';
import { message } from '../messages';

export interface LivenessHost {
  /** One cheap hub query (queue_request) with this timeout; its result is the host's to use. */
  query(timeoutMs: number): Promise<void>;
  /** The controller is gone. */
  lost(reason: string): void;
  /** The hub's URL, for the reason. */
  readonly url: string;
  /** Messages received from the cluster so far, on any channel: traffic during a probe means busy, not gone. */
  activity?(): number;
}

/**
 * Notices a dead controller. The hub has no heartbeat towards clients, so every `intervalMs` (and at once
 * when the query socket's TCP link drops) it sends a query with a timeout. Silence on a dropped link means
 * the controller is gone; on a live link (a busy hub) it takes two silent probes in a row. A probe that
 * times out while messages kept arriving from the cluster (a hub busy recording a flood of output) is not
 * silence and does not count.
 * One probe per connection: created when connected, disposed at teardown.
 */
export class LivenessProbe {
  readonly #timer: NodeJS.Timeout;
  #probing = false;
  #failures = 0;
  #linkUp = true;
  #disposed = false;

  constructor(
    private readonly host: LivenessHost,
    intervalMs: number,
    private readonly timeoutMs: number,
  ) {
    this.#timer = setInterval(() => void this.probe(), intervalMs);
  }

  /** A zeromq event of the query socket: 'disconnect' probes at once, 'handshake' means the link is back. */
  socketEvent(type: string): void {
    if (type === 'handshake') this.#linkUp = true;
    else if (type === 'disconnect') {
      this.#linkUp = false;
      void this.probe();
    }
  }

  /** The link was re-verified from outside (e.g. after a tunnel came back). */
  reset(): void {
    this.#linkUp = true;
    this.#failures = 0;
  }

  async probe(): Promise<void> {
    if (this.#probing || this.#disposed) return;
    this.#probing = true;
    let again = false;
    const before = this.host.activity?.();
    try {
      await this.host.query(this.timeoutMs);
      this.#failures = 0;
    } catch (e) {
      if (this.#disposed || !(e instanceof TimeoutError)) return;
      if (this.#linkUp && before !== undefined && this.host.activity?.() !== before) {
        this.#failures = 0;
        return;
      }
      this.#failures++;
      if (!this.#linkUp || this.#failures >= 2) this.host.lost(message('stoppedAnswering', this.host.url));
      else again = true;
    } finally {
      this.#probing = false;
    }
    if (again) void this.probe();
  }

  dispose(): void {
    this.#disposed = true;
    clearInterval(this.#timer);
  }
}
