/**
 * Bounded output: what a task keeps of its outputs, and how big an error's text may be. Engine output is
 * unbounded (`while True: print(...)`), so each task keeps the beginning and the end of its output, with
 * one visible marker per stream in between saying how much was not kept.
 */
import { parseObject, type JsonObject } from '../protocol/message';
import type { OutputItem, RemoteError } from './types';

/** An evalue or one traceback entry keeps at most this many characters (its beginning and end). */
export const MAX_ERROR_TEXT = 64 * 1024;
/** A traceback keeps at most this many entries (the last ones, where the failing frame is). */
export const MAX_TRACEBACK_ENTRIES = 500;

/** "312 MB", "1.5 KB", "17 bytes". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const [value, unit] = n < 1024 ** 2 ? [n / 1024, 'KB'] : n < 1024 ** 3 ? [n / 1024 ** 2, 'MB'] : [n / 1024 ** 3, 'GB'];
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}

/** The marker put where output was cut. */
export function notKeptText(bytes: number): string {
  return `\n[… ${formatBytes(bytes)} of output not kept …]\n`;
}

/** `text` if it has at most `max` characters, else its beginning and end around a marker. */
export function boundText(text: string, max: number = MAX_ERROR_TEXT): string {
  if (text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)}${notKeptText(text.length - 2 * half)}${text.slice(text.length - half)}`;
}

/** A RemoteError whose evalue and traceback are bounded (they come from the engine, any size). */
export function boundError<T extends RemoteError>(err: T): T {
  const long = err.evalue.length > MAX_ERROR_TEXT || err.traceback.length > MAX_TRACEBACK_ENTRIES || err.traceback.some((e) => e.length > MAX_ERROR_TEXT);
  if (!long) return err;
  return { ...err, evalue: boundText(err.evalue), traceback: err.traceback.slice(-MAX_TRACEBACK_ENTRIES).map((e) => boundText(e)) };
}

/** Approximate bytes an output holds (string lengths; a data bundle's values, JSON-sized when not strings). */
export function outputSize(o: OutputItem): number {
  switch (o.kind) {
    case 'stream':
      return o.text.length;
    case 'error':
      return o.ename.length + o.evalue.length + o.traceback.reduce((n, t) => n + t.length, 0);
    default: {
      let n = 0;
      for (const v of Object.values(o.data)) n += typeof v === 'string' ? v.length : JSON.stringify(v ?? null)?.length ?? 0;
      return n;
    }
  }
}

type StreamName = 'stdout' | 'stderr';

/** The stream output of a `stream` message's content. */
export function streamItem(content: JsonObject): OutputItem & { kind: 'stream' } {
  return { kind: 'stream', name: content.name === 'stderr' ? 'stderr' : 'stdout', text: String(content.text ?? '') };
}

/**
 * A stream message past the kept head, held as its (verified) raw content frame: it is parsed only if it
 * is still in the tail when the tail is shown, so the bulk of a flood is never turned into strings.
 */
interface HeldStream {
  kind: 'held';
  name: StreamName;
  frame: Buffer;
  size: number;
}

type TailItem = OutputItem | HeldStream;

/** The bytes of `{"name":"stdout","text":""}`: the least JSON around a stream's text. */
const STREAM_FRAME_OVERHEAD = 27;

/**
 * About the characters of the text a stream content frame holds, without parsing it: its bytes less the
 * JSON around the text and one per escape (`\n` is one character). Exact for ASCII text in the least
 * JSON, a few bytes per message more otherwise.
 */
export function heldSize(frame: Buffer): number {
  let escapes = 0;
  for (let i = frame.indexOf(0x5c); i >= 0; i = frame.indexOf(0x5c, i + 2)) escapes++;
  return Math.max(0, frame.length - STREAM_FRAME_OVERHEAD - escapes);
}

const sizeOf = (o: TailItem): number => (o.kind === 'held' ? o.size : outputSize(o));
const streamOf = (o: TailItem): StreamName => (o.kind === 'stream' || o.kind === 'held' ? o.name : 'stdout');

/** A held frame's stream output, or undefined when its content is not a JSON object (counted as not kept). */
function unhold(h: HeldStream): (OutputItem & { kind: 'stream' }) | undefined {
  try {
    return streamItem(parseObject(h.frame, 'content'));
  } catch {
    return undefined;
  }
}

/**
 * The kept outputs of one task: a head (the first half of the budget, kept and shown as it arrives) and,
 * once the head is full, a tail (the last half, oldest dropped first) that is shown when the task ends,
 * after one marker per stream that lost output. `outputs` is the array TaskInfo exposes.
 */
export class OutputKeeper {
  readonly #headLimit: number;
  readonly #tailLimit: number;
  #head = 0;
  #tail: TailItem[] = [];
  #tailBytes = 0;
  readonly #dropped = new Map<StreamName, number>();
  readonly #markers = new Map<StreamName, OutputItem & { kind: 'stream' }>();

  constructor(
    readonly outputs: OutputItem[],
    maxBytes: number,
  ) {
    this.#headLimit = Math.floor(maxBytes / 2);
    this.#tailLimit = maxBytes - this.#headLimit;
  }

  /** Bytes kept now (head, tail and markers). */
  get bytes(): number {
    return this.#head + this.#tailBytes;
  }

  /** True once output is being held back (past the head) until the task ends. */
  get holding(): boolean {
    return this.#head >= this.#headLimit;
  }

  /**
   * Adds an output. Returns the items to show now: the output itself while the head has room (the part
   * that fits, for a stream), nothing once past it (the tail is shown by flush()).
   */
  add(o: OutputItem): OutputItem[] {
    const size = outputSize(o);
    if (this.#head + size <= this.#headLimit) {
      this.#head += size;
      this.outputs.push(o);
      return [o];
    }
    const shown: OutputItem[] = [];
    let rest = o;
    if (o.kind === 'stream' && this.#head < this.#headLimit) {
      const room = this.#headLimit - this.#head;
      const first = { ...o, text: o.text.slice(0, room) };
      this.#head = this.#headLimit;
      this.outputs.push(first);
      shown.push(first);
      rest = { ...o, text: o.text.slice(room) };
    }
    this.#head = Math.max(this.#head, this.#headLimit);
    this.#toTail(rest);
    return shown;
  }

  /**
   * Holds a stream message past the head as its raw content frame (see HeldStream). Returns false, and
   * holds nothing, while the head still has room: then the caller adds the parsed output.
   */
  hold(name: StreamName, frame: Buffer): boolean {
    if (!this.holding) return false;
    this.#toTail({ kind: 'held', name, frame, size: heldSize(frame) });
    return true;
  }

  #toTail(o: TailItem): void {
    let size = sizeOf(o);
    if (size > this.#tailLimit && o.kind === 'held') {
      // Larger than the whole tail: only its end is kept, so it is parsed now to cut it.
      const parsed = unhold(o);
      if (!parsed) return this.#drop(o.name, size);
      o = parsed;
      size = outputSize(parsed);
    }
    if (size > this.#tailLimit && o.kind !== 'held') {
      if (o.kind !== 'stream') {
        this.#drop('stdout', size);
        return;
      }
      this.#drop(o.name, size - this.#tailLimit);
      o = { ...o, text: o.text.slice(o.text.length - this.#tailLimit) };
      size = this.#tailLimit;
    }
    this.#tail.push(o);
    this.#tailBytes += size;
    let k = 0;
    while (this.#tailBytes > this.#tailLimit && k < this.#tail.length) {
      const old = this.#tail[k++];
      const n = sizeOf(old);
      this.#tailBytes -= n;
      this.#drop(streamOf(old), n);
    }
    if (k > 0) this.#tail.splice(0, k);
  }

  #drop(name: StreamName, bytes: number): void {
    this.#dropped.set(name, (this.#dropped.get(name) ?? 0) + bytes);
  }

  /** Bytes not kept so far, all streams. */
  get droppedBytes(): number {
    let n = 0;
    for (const v of this.#dropped.values()) n += v;
    return n;
  }

  /**
   * Moves the held tail into `outputs`, after one marker per stream that lost output, and returns the
   * items to show now. Called when the task ends (and on demand); later output starts a new tail.
   */
  flush(): OutputItem[] {
    const tail: OutputItem[] = [];
    for (const o of this.#tail) {
      const item = o.kind === 'held' ? unhold(o) : o;
      if (item) tail.push(item);
      else this.#drop(streamOf(o), sizeOf(o));
    }
    const shown: OutputItem[] = [];
    for (const [name, bytes] of this.#dropped) {
      let marker = this.#markers.get(name);
      if (marker) marker.text = notKeptText(bytes);
      else {
        marker = { kind: 'stream', name, text: notKeptText(bytes) };
        this.#markers.set(name, marker);
        this.outputs.push(marker);
      }
      shown.push(marker);
    }
    for (const o of tail) this.outputs.push(o);
    shown.push(...tail);
    for (const o of tail) this.#head += outputSize(o); // kept and shown now, like the head
    this.#tail = [];
    this.#tailBytes = 0;
    return shown;
  }
}
