import type * as Zmq from 'zeromq';
import type { DropReason } from './dropCounter';
import type { Logger } from '../log';
import type { Channel } from '../protocol/connectionFile';
import { ProtocolError } from '../protocol/errors';
import type { Message, Session } from '../protocol/message';

/** What the transport needs to hear from one channel. */
export interface ChannelHandlers {
  onMessage(channel: Channel, message: Message): void;
  onDrop(channel: Channel, reason: DropReason, detail: string): void;
  /** zeromq connection events of the underlying socket (connect, disconnect, handshake, ...). */
  onSocketEvent?(channel: Channel, type: string): void;
}

/** The drop reason of a decoding failure. */
export function dropReason(error: unknown): DropReason {
  if (error instanceof ProtocolError) {
    if (error.code === 'ERR_SIGNATURE' || error.code === 'ERR_UNSIGNED') return 'badSignature';
    if (error.code === 'ERR_REPLAY') return 'replay';
  }
  return 'malformed';
}

/**
 * The read loop gives the event loop a turn after this many ms of back-to-back messages: while messages
 * are queued, receive() resolves at once, and without a turn no timer, request or other socket would run
 * until a flood (one task printing hundreds of MB) ends.
 */
export const READ_SLICE_MS = 10;

/** At most one drop line per reason per this many ms (a flood of forged frames must not flood the log). */
const DROP_LOG_INTERVAL_MS = 5000;

/**
 * One zeromq socket for one channel: a serial send queue (zeromq allows a single pending send per
 * socket) and a read loop that decodes every message once with the Session and survives bad frames.
 */
export class ChannelSocket {
  readonly #queue: Buffer[][] = [];
  #pumping = false;
  #closed = false;
  #handshaken = false;
  readonly #handshakeWaiters: (() => void)[] = [];
  readonly #dropLog = new Map<DropReason, { last: number; suppressed: number }>();

  constructor(
    readonly channel: Channel,
    readonly socket: Zmq.Dealer | Zmq.Subscriber,
    private readonly session: Session,
    private readonly handlers: ChannelHandlers,
    private readonly logger: Logger,
  ) {
    socket.events.on('handshake', () => {
      this.#handshaken = true;
      for (const w of this.#handshakeWaiters.splice(0)) w();
      handlers.onSocketEvent?.(channel, 'handshake');
    });
    for (const type of ['connect', 'disconnect', 'handshake:error:auth', 'handshake:error:protocol', 'handshake:error:other'] as const) {
      socket.events.on(type, () => handlers.onSocketEvent?.(channel, type));
    }
    void this.#readLoop();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True once a zeromq handshake with the peer completed (for SUB: the subscription can flow). */
  get handshaken(): boolean {
    return this.#handshaken;
  }

  /** Resolves true at the first completed handshake, false after `timeoutMs` or on close. */
  whenHandshaken(timeoutMs: number): Promise<boolean> {
    if (this.#handshaken) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        resolve(ok);
      };
      const timer = setTimeout(() => {
        const i = this.#handshakeWaiters.indexOf(waiter);
        if (i >= 0) this.#handshakeWaiters.splice(i, 1);
        done(false);
      }, timeoutMs);
      const waiter = (): void => done(!this.#closed);
      this.#handshakeWaiters.push(waiter);
    });
  }

  /** Queues frames for sending, in order. Never throws; failures are logged (requests time out). */
  send(frames: Buffer[]): void {
    if (this.#closed) {
      this.logger.debug(`${this.channel}: not sending on a closed socket`);
      return;
    }
    this.#queue.push(frames);
    if (!this.#pumping) void this.#pump();
  }

  /** Number of messages waiting for the socket. */
  get queued(): number {
    return this.#queue.length;
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    const socket = this.socket as Zmq.Dealer;
    try {
      // Drain in batches: everything queued while a send was pending goes out back to back.
      while (this.#queue.length > 0 && !this.#closed) {
        const batch = this.#queue.splice(0);
        for (const frames of batch) {
          if (this.#closed) return;
          try {
            await socket.send(frames);
          } catch (e) {
            if (this.#closed) return;
            this.logger.warn(`${this.channel}: send failed: ${(e as Error).message}`);
          }
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #readLoop(): Promise<void> {
    const socket = this.socket;
    let sliceStart = 0;
    let lastDone = 0;
    while (!this.#closed) {
      let frames: Buffer[];
      try {
        frames = await socket.receive();
        const now = performance.now();
        // A receive that waited starts a new slice; one that resolved at once (a backlog) continues it.
        if (now - lastDone > 1) sliceStart = now;
        else if (now - sliceStart > READ_SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          sliceStart = performance.now();
        }
      } catch (e) {
        if (this.#closed || socket.closed) return;
        this.logger.warn(`${this.channel}: receive failed: ${(e as Error).message}`);
        await new Promise((r) => setImmediate(r));
        continue;
      }
      this.#handle(frames);
      lastDone = performance.now();
    }
  }

  /** Decodes and hands on one message; a bad one is dropped and counted, a handler's error logged. */
  #handle(frames: Buffer[]): void {
    let message: Message;
    try {
      // iopub content is parsed when read (see Session.decode): most of a flood is never parsed.
      message = this.session.decode(frames, { lazyContent: this.channel === 'iopub' });
    } catch (e) {
      this.#drop(dropReason(e), e);
      return;
    }
    try {
      this.handlers.onMessage(this.channel, message);
    } catch (e) {
      // A lazily parsed content frame that is not a JSON object is a malformed message, as in decode.
      if (e instanceof ProtocolError) this.#drop(dropReason(e), e);
      else this.logger.error(`${this.channel}: handling ${message.header.msg_type} failed: ${(e as Error).stack ?? e}`);
    }
  }

  #drop(reason: DropReason, error: unknown): void {
    // Protocol errors never carry the key or a digest; other errors are summarized by their message.
    const detail = error instanceof Error ? error.message : String(error);
    this.handlers.onDrop(this.channel, reason, detail);
    const now = Date.now();
    const state = this.#dropLog.get(reason);
    if (state && now - state.last < DROP_LOG_INTERVAL_MS) {
      state.suppressed++;
      return;
    }
    const more = state && state.suppressed > 0 ? ` (${state.suppressed} more since the last report)` : '';
    this.#dropLog.set(reason, { last: now, suppressed: 0 });
    this.logger.warn(`${this.channel}: dropped a message (${reason}): ${detail}${more}`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    for (const w of this.#handshakeWaiters.splice(0)) w();
    try {
      this.socket.close();
    } catch (e) {
      this.logger.debug(`${this.channel}: close: ${(e as Error).message}`);
    }
  }
}
