import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { MalformedMessageError, ReplayError } from './errors';
import { ReplayGuard } from './replayGuard';
import { Signer } from './signer';

/** The 9-byte frame that separates routing identities from the signed message. */
export const DELIMITER = Buffer.from('<IDS|MSG>', 'ascii');
/** The protocol version we speak. A header without a version is treated as v4 and breaks requests. */
export const PROTOCOL_VERSION = '5.3';

export type JsonObject = Record<string, unknown>;

export interface Header {
  msg_id: string;
  msg_type: string;
  username: string;
  session: string;
  date: string;
  version: string;
  [extra: string]: unknown;
}

/** A decoded message. `raw` holds the four JSON frames exactly as they were received or sent. */
export interface Message<C = JsonObject, M = JsonObject> {
  routing: Buffer[];
  header: Header;
  /** The request's header on replies and iopub side effects; `{}` on unsolicited messages. */
  parent: Partial<Header>;
  metadata: M;
  content: C;
  buffers: Buffer[];
  /** Hex signature as received ('' when unsigned). */
  signature: string;
  raw: readonly [Buffer, Buffer, Buffer, Buffer];
}

export interface SessionOptions {
  /** HMAC key from the connection file; '' means the cluster is unsigned. */
  key: string;
  /** `signature_scheme` from the connection file. Default hmac-sha256. */
  signatureScheme?: string;
  username?: string;
  /** The per-client session id. Default: a random UUID. */
  session?: string;
  /** Replay history: `false` to disable, a number for its capacity. Default 65,536. */
  replayHistory?: number | false;
}

export interface BuildOptions {
  parent?: Partial<Header>;
  metadata?: JsonObject;
  routing?: readonly (string | Uint8Array)[];
  buffers?: readonly Uint8Array[];
}

/** A message ready to send: its header (for correlation) and the frames to put on the wire. */
export interface Outgoing {
  header: Header;
  frames: Buffer[];
}

const EMPTY_OBJECT = Buffer.from('{}', 'ascii');

function asBuffer(frame: unknown): Buffer {
  if (Buffer.isBuffer(frame)) return frame;
  if (frame instanceof Uint8Array) return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (typeof frame === 'string') return Buffer.from(frame, 'utf8');
  throw new MalformedMessageError(`frame is ${frame === null ? 'null' : typeof frame}, not bytes`);
}

/** Parses one JSON frame that must hold an object; MalformedMessageError otherwise. */
export function parseObject(frame: Buffer, name: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString('utf8'));
  } catch {
    throw new MalformedMessageError(`${name} frame is not valid JSON (${frame.length} bytes)`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedMessageError(`${name} frame is not a JSON object`);
  }
  return value as JsonObject;
}

/**
 * One client's side of the Jupyter/ipyparallel session protocol: builds headers, serializes each JSON
 * frame once, signs those exact bytes, and decodes received frames strictly (delimiter, constant-time
 * HMAC, unsigned and replay rejection, JSON shape). Mirrors jupyter_client's `Session`.
 */
export class Session {
  readonly id: string;
  readonly username: string;
  readonly signer: Signer;
  readonly #replay: ReplayGuard | undefined;
  #counter = 0;
  readonly #idPrefix: string;

  constructor(options: SessionOptions) {
    this.signer = new Signer(options.key, options.signatureScheme ?? 'hmac-sha256');
    this.id = options.session ?? randomUUID();
    this.username = options.username ?? safeUsername();
    this.#replay = options.replayHistory === false ? undefined : new ReplayGuard(options.replayHistory ?? 65536);
    this.#idPrefix = `${this.id}_${process.pid}_`;
  }

  /** True when a key is set and messages are signed. */
  get signed(): boolean {
    return this.signer.signed;
  }

  /** A fresh header. msg_id is unique per message, so no two messages we send share a signature. */
  header(msgType: string): Header {
    return {
      msg_id: this.#idPrefix + this.#counter++,
      msg_type: msgType,
      username: this.username,
      session: this.id,
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    };
  }

  /** Builds and serializes a new message. */
  build(msgType: string, content: JsonObject, options: BuildOptions = {}): Outgoing {
    const header = this.header(msgType);
    const json: [Buffer, Buffer, Buffer, Buffer] = [
      Buffer.from(JSON.stringify(header), 'utf8'),
      options.parent ? Buffer.from(JSON.stringify(options.parent), 'utf8') : EMPTY_OBJECT,
      options.metadata ? Buffer.from(JSON.stringify(options.metadata), 'utf8') : EMPTY_OBJECT,
      Buffer.from(JSON.stringify(content), 'utf8'),
    ];
    return { header, frames: this.frame(json, options.routing, options.buffers) };
  }

  /**
   * Frames four already-serialized JSON frames: `[routing..., <IDS|MSG>, signature, h, p, m, c, buffers...]`.
   * The signature is computed over exactly these bytes, which are the bytes sent.
   */
  frame(
    json: readonly [Buffer, Buffer, Buffer, Buffer],
    routing: readonly (string | Uint8Array)[] = [],
    buffers: readonly Uint8Array[] = [],
  ): Buffer[] {
    const frames: Buffer[] = [];
    for (const r of routing) frames.push(asBuffer(r));
    frames.push(DELIMITER, this.signer.signBytes(json), json[0], json[1], json[2], json[3]);
    for (const b of buffers) frames.push(asBuffer(b));
    return frames;
  }

  /** Re-frames a decoded message from its raw JSON bytes (for relays and round-trip checks). */
  reframe(message: Message): Buffer[] {
    return this.frame(message.raw, message.routing, message.buffers);
  }

  /**
   * Decodes one multipart message strictly. Throws MalformedMessageError, UnsignedMessageError,
   * SignatureError or ReplayError; never returns a partial message.
   *
   * `lazyContent`: the content frame is verified (the signature covers it) but parsed only when
   * `content` is first read, which then throws MalformedMessageError if it is not a JSON object. The
   * iopub read loop uses it: a stream message past a task's kept head is held as its raw frame and
   * parsed only if it is still kept when the task ends (a 400 MB print parses ~32 MB, not 400).
   */
  decode(input: readonly unknown[], options: { lazyContent?: boolean } = {}): Message {
    if (!Array.isArray(input)) throw new MalformedMessageError('message is not a list of frames');
    const frames = Array.from(input, asBuffer); // not map(): holes in a sparse array must fail too
    let delim = -1;
    for (let i = 0; i < frames.length; i++) {
      if (frames[i].equals(DELIMITER)) {
        delim = i;
        break;
      }
    }
    if (delim < 0) throw new MalformedMessageError(`no <IDS|MSG> delimiter in ${frames.length} frame(s)`);
    const rest = frames.length - delim - 1;
    if (rest < 5) {
      throw new MalformedMessageError(`${rest} frame(s) after the delimiter; a message needs a signature and 4 JSON frames`);
    }
    const sigFrame = frames[delim + 1];
    const raw = [frames[delim + 2], frames[delim + 3], frames[delim + 4], frames[delim + 5]] as const;
    this.signer.verify(sigFrame, raw);
    const signature = sigFrame.toString('ascii');
    if (this.signer.signed && this.#replay?.checkAndRemember(signature)) {
      throw new ReplayError('duplicate signature: this message was already received');
    }
    const header = parseObject(raw[0], 'header');
    if (typeof header.msg_id !== 'string' || typeof header.msg_type !== 'string') {
      throw new MalformedMessageError('header lacks a string msg_id or msg_type');
    }
    let content = options.lazyContent ? undefined : parseObject(raw[3], 'content');
    return {
      routing: frames.slice(0, delim),
      header: header as Header,
      parent: parseObject(raw[1], 'parent_header') as Partial<Header>,
      metadata: parseObject(raw[2], 'metadata'),
      get content(): JsonObject {
        return (content ??= parseObject(raw[3], 'content'));
      },
      buffers: frames.slice(delim + 6),
      signature,
      raw,
    };
  }
}

function safeUsername(): string {
  try {
    return process.env.USER || userInfo().username || 'username';
  } catch {
    return 'username';
  }
}
