// Asks the Hub which engines are registered with a signed connection_request (PROTOCOL.md §3.2), using the
// protocol core's Session over a plain zeromq Dealer. Deliberately independent of the ClusterClient.
import { curveKeyPair, Dealer } from 'zeromq';
import { channelUrl, type ConnectionInfo, Session } from '../../../src/core/protocol';

/** Engine id (as a string, e.g. "0") -> engine uuid, as the Hub's connection_reply lists them. */
export type EngineMap = Record<string, string>;

/**
 * One query socket to one controller. Reusable for many queries; replies to earlier, timed-out queries
 * are recognised by their parent msg_id and skipped. Always `close()` it.
 */
export class HubProbe {
  readonly url: string;
  readonly #session: Session;
  readonly #socket: Dealer;
  #closed = false;

  constructor(info: ConnectionInfo) {
    this.url = channelUrl(info, 'registration');
    this.#session = new Session({ key: info.key, signatureScheme: info.signatureScheme, username: 'ipp-harness' });
    // A CURVE controller (IPP_ENABLE_CURVE=1) answers only CURVE clients: a fresh key pair, its server key.
    const pair = info.curveServerKey ? curveKeyPair() : undefined;
    const curve = pair ? { curveServerKey: info.curveServerKey, curvePublicKey: pair.publicKey, curveSecretKey: pair.secretKey } : {};
    this.#socket = new Dealer({ linger: 0, ...curve });
    this.#socket.connect(this.url);
  }

  /** The registered engines, or an error if the Hub does not answer within `timeoutMs`. */
  async engines(timeoutMs: number): Promise<EngineMap> {
    if (this.#closed) throw new Error('HubProbe is closed');
    const msg = this.#session.build('connection_request', {});
    const deadline = Date.now() + timeoutMs;
    this.#socket.sendTimeout = timeoutMs;
    await this.#socket.send(msg.frames);
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no connection_reply from the Hub at ${this.url} within ${timeoutMs / 1000} s`);
      this.#socket.receiveTimeout = left;
      let frames: Buffer[];
      try {
        frames = await this.#socket.receive();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw e;
      }
      let reply;
      try {
        reply = this.#session.decode(frames);
      } catch {
        continue; // not ours or not valid: the harness only needs one good answer
      }
      if (reply.parent.msg_id !== msg.header.msg_id) continue;
      const content = reply.content as { status?: string; engines?: EngineMap };
      if (content.status !== 'ok') throw new Error(`Hub answered connection_request with status ${String(content.status)}`);
      return { ...(content.engines ?? {}) };
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }
}

/** One connection_request on a fresh socket. */
export async function queryEngines(info: ConnectionInfo, timeoutMs = 5000): Promise<EngineMap> {
  const probe = new HubProbe(info);
  try {
    return await probe.engines(timeoutMs);
  } finally {
    probe.close();
  }
}
