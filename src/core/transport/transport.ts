import type * as Zmq from 'zeromq';
import type { Logger } from '../log';
import { CHANNELS, channelUrls, type Channel, type ConnectionInfo } from '../protocol/connectionFile';
import type { Session } from '../protocol/message';
import { ChannelSocket, type ChannelHandlers } from './channelSocket';
import { curveServerKeyFor } from './curve';
import { loadZmq } from './zmq';

/** Channels the client subscribes to (SUB); every other channel is a DEALER. */
export const SUBSCRIBER_CHANNELS: readonly Channel[] = ['iopub', 'notification'];

export interface TransportOptions extends ChannelHandlers {
  info: ConnectionInfo;
  session: Session;
  logger: Logger;
  /** Override channel URLs (tests, tunnels). Default: built from `info` (PROTOCOL.md §1.3). */
  urls?: Partial<Record<Channel, string>>;
}

/**
 * The client's sockets, one per channel (PROTOCOL.md §3.1): DEALER for registration, mux, task, control
 * and broadcast; SUB (subscribed to everything) for iopub (receive queue bounded, IOPUB_RECEIVE_HWM) and
 * notification (unlimited receive queue).
 * All have linger 0 and no routing id; CURVE keys are set on every socket when the controller has a
 * CURVE server key. The SUB sockets are connected first (slow joiner).
 */
export class Transport {
  readonly #sockets = new Map<Channel, ChannelSocket>();
  readonly urls: Record<Channel, string>;
  #closed = false;

  constructor(options: TransportOptions) {
    const zmq = loadZmq();
    const { info, session, logger } = options;
    this.urls = { ...channelUrls(info), ...options.urls };
    const serverKey = curveServerKeyFor(info);
    const curve = serverKey ? { serverKey, ...zmq.curveKeyPair() } : undefined;
    const order = [...SUBSCRIBER_CHANNELS, ...CHANNELS.filter((c) => !SUBSCRIBER_CHANNELS.includes(c))];
    try {
      for (const channel of order) {
        const socket = createSocket(zmq, channel, curve);
        // Listen to the socket's events before connecting, or the first connect/handshake can be missed.
        this.#sockets.set(channel, new ChannelSocket(channel, socket, session, options, logger));
        socket.connect(this.urls[channel]);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  socket(channel: Channel): ChannelSocket {
    const s = this.#sockets.get(channel);
    if (!s) throw new Error(`no ${channel} socket`); // internal: every channel has a socket
    return s;
  }

  /** Queues a message's frames on a channel's send queue. */
  send(channel: Channel, frames: Buffer[]): void {
    this.#sockets.get(channel)?.send(frames);
  }

  /** Resolves when both SUB sockets have completed a handshake with their publishers (or at the deadline). */
  async subscribersReady(timeoutMs: number): Promise<boolean> {
    const results = await Promise.all(SUBSCRIBER_CHANNELS.map((c) => this.socket(c).whenHandshaken(timeoutMs)));
    return results.every(Boolean);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#sockets.values()) s.close();
  }
}

/**
 * The largest message a socket accepts (zeromq's ZMQ_MAXMSGSIZE): a peer that sends more is disconnected
 * by zeromq instead of making us allocate it. 256 MiB is far above real results (a large PNG or a pickled
 * array is tens of MB) and bounds what one forged or runaway message can cost.
 */
export const MAX_MESSAGE_SIZE = 256 * 1024 * 1024;

/**
 * The iopub SUB socket's receive high-water mark, in messages. When the read loop falls behind a flood (one
 * task printing hundreds of MB), zeromq stops reading the TCP connection at this many queued messages
 * instead of queueing the whole flood in our memory; the rest waits in the controller's iopub relay, whose
 * PUB socket ipyparallel (7 and later) gives no send high-water mark, so nothing is dropped, only delayed.
 * 32 one-MB messages measured: resident peak 589 -> 299 MB on the 400 MB test; small messages are as fast.
 */
export const IOPUB_RECEIVE_HWM = 32;

function createSocket(
  zmq: typeof Zmq,
  channel: Channel,
  curve: { serverKey: string; publicKey: string; secretKey: string } | undefined,
): Zmq.Dealer | Zmq.Subscriber {
  const security = curve ? { curveServerKey: curve.serverKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey } : {};
  if (SUBSCRIBER_CHANNELS.includes(channel)) {
    const receiveHighWaterMark = channel === 'iopub' ? IOPUB_RECEIVE_HWM : 0;
    const sub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark, maxMessageSize: MAX_MESSAGE_SIZE, ...security });
    sub.subscribe();
    return sub;
  }
  return new zmq.Dealer({ linger: 0, maxMessageSize: MAX_MESSAGE_SIZE, ...security });
}

