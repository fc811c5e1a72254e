/**
 * A strict decoder for the plain-data subset of Python's pickle format (protocols 2 to 5): None, bools,
 * ints, floats, strings, bytes, lists, tuples, sets and dicts. That is what `ipyparallel.datapub.publish_data`
 * sends for a dict of numbers and strings (ipyparallel's serialize_object pickles the dict of "canned"
 * values, and plain values are canned as themselves).
 *
 * Anything that would make Python run code when unpickled (GLOBAL, REDUCE, BUILD, NEWOBJ, ...) is not
 * decoded: it throws PickleError, so a numpy scalar or an arbitrary object is refused, never evaluated.
 * The input is hostile and unbounded: its size, the number of values and the nesting are bounded.
 */
import { CodedError } from '../codedError';

/**
 * Cause: a pickle outside the plain-data subset, or over a limit.
 * Handled by: decodeDataMessage (taskData.ts), which keeps the keys and marks the values not decoded.
 * Internal: its message is dropped, never shown to a user (so it stays out of src/core/messages.ts).
 */
export class PickleError extends CodedError {
  readonly code = 'ERR_PICKLE' as const;
}

export interface UnpickleLimits {
  /** Largest input accepted, bytes. Default 64 KiB. */
  maxBytes?: number;
  /** Most values decoded (containers and scalars). Default 10,000. */
  maxValues?: number;
}

/** Bytes are not JSON: they decode to a marker naming their length. */
export interface PickledBytes {
  bytes: number;
}

const MARK = Symbol('mark');
type Value = unknown;

/** Decodes one pickle; throws PickleError on anything outside the plain-data subset or past a limit. */
export function unpickle(buf: Uint8Array, limits: UnpickleLimits = {}): unknown {
  const maxBytes = limits.maxBytes ?? 64 * 1024;
  if (buf.length > maxBytes) throw new PickleError(`pickle of ${buf.length} bytes is over the ${maxBytes}-byte limit`);
  return new Unpickler(Buffer.from(buf.buffer, buf.byteOffset, buf.length), limits.maxValues ?? 10_000).run();
}

class Unpickler {
  #pos = 0;
  #stack: Value[] = [];
  #memo = new Map<number, Value>();
  #values = 0;

  constructor(
    private readonly b: Buffer,
    private readonly maxValues: number,
  ) {}

  run(): unknown {
    for (;;) {
      const op = this.#u8();
      if (op === 0x2e /* . STOP */) {
        if (this.#stack.length !== 1 || this.#stack[0] === MARK) throw new PickleError('pickle ended with a malformed stack');
        return this.#stack[0];
      }
      this.#op(op);
    }
  }

  #op(op: number): void {
    switch (op) {
      case 0x80: this.#u8(); return; // PROTO n
      case 0x95: this.#take(8); return; // FRAME len
      case 0x28: this.#stack.push(MARK); return; // (
      case 0x4e: return this.#push(null); // N
      case 0x88: return this.#push(true);
      case 0x89: return this.#push(false);
      case 0x4a: return this.#push(this.#take(4).readInt32LE(0)); // J BININT
      case 0x4b: return this.#push(this.#u8()); // K BININT1
      case 0x4d: return this.#push(this.#take(2).readUInt16LE(0)); // M BININT2
      case 0x8a: return this.#push(long(this.#take(this.#u8()))); // LONG1
      case 0x47: return this.#push(this.#take(8).readDoubleBE(0)); // G BINFLOAT
      case 0x8c: return this.#push(this.#take(this.#u8()).toString('utf8')); // SHORT_BINUNICODE
      case 0x58: return this.#push(this.#take(this.#take(4).readUInt32LE(0)).toString('utf8')); // X BINUNICODE
      case 0x43: return this.#push({ bytes: this.#take(this.#u8()).length } satisfies PickledBytes); // C SHORT_BINBYTES
      case 0x42: return this.#push({ bytes: this.#take(this.#take(4).readUInt32LE(0)).length } satisfies PickledBytes); // B BINBYTES
      case 0x7d: return this.#push({}); // } EMPTY_DICT
      case 0x5d: return this.#push([]); // ] EMPTY_LIST
      case 0x29: return this.#push([]); // ) EMPTY_TUPLE
      case 0x8f: return this.#push([]); // EMPTY_SET (a set becomes a list)
      case 0x85: return this.#push(this.#popN(1)); // TUPLE1
      case 0x86: return this.#push(this.#popN(2)); // TUPLE2
      case 0x87: return this.#push(this.#popN(3)); // TUPLE3
      case 0x74: return this.#push(this.#popMark()); // t TUPLE
      case 0x91: return this.#push(this.#popMark()); // FROZENSET
      case 0x61: this.#list().push(...this.#popN(1)); return; // a APPEND
      case 0x65: case 0x90: { // e APPENDS, ADDITEMS
        const items = this.#popMark();
        this.#list().push(...items);
        return;
      }
      case 0x73: return this.#setItems(this.#popN(2)); // s SETITEM
      case 0x75: return this.#setItems(this.#popMark()); // u SETITEMS
      case 0x94: this.#memo.set(this.#memo.size, this.#top()); return; // MEMOIZE
      case 0x71: this.#memo.set(this.#u8(), this.#top()); return; // q BINPUT
      case 0x72: this.#memo.set(this.#take(4).readUInt32LE(0), this.#top()); return; // r LONG_BINPUT
      case 0x68: return this.#get(this.#u8()); // h BINGET
      case 0x6a: return this.#get(this.#take(4).readUInt32LE(0)); // j LONG_BINGET
      default:
        throw new PickleError(`pickle opcode 0x${op.toString(16)} is not plain data (objects are not decoded)`);
    }
  }

  #u8(): number {
    if (this.#pos >= this.b.length) throw new PickleError('pickle is truncated');
    return this.b[this.#pos++];
  }

  #take(n: number): Buffer {
    if (this.#pos + n > this.b.length) throw new PickleError('pickle is truncated');
    const out = this.b.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  #push(v: Value): void {
    if (++this.#values > this.maxValues) throw new PickleError(`pickle has more than ${this.maxValues} values`);
    this.#stack.push(v);
  }

  #top(): Value {
    const v = this.#stack[this.#stack.length - 1];
    if (this.#stack.length === 0 || v === MARK) throw new PickleError('pickle memoizes nothing');
    return v;
  }

  #get(i: number): void {
    if (!this.#memo.has(i)) throw new PickleError(`pickle refers to unknown memo ${i}`);
    this.#push(this.#memo.get(i));
  }

  #popN(n: number): Value[] {
    if (this.#stack.length < n) throw new PickleError('pickle stack underflow');
    const out = this.#stack.splice(this.#stack.length - n, n);
    if (out.includes(MARK)) throw new PickleError('pickle stack underflow');
    return out;
  }

  #popMark(): Value[] {
    const i = this.#stack.lastIndexOf(MARK);
    if (i < 0) throw new PickleError('pickle has no mark');
    const out = this.#stack.splice(i);
    out.shift();
    return out;
  }

  #list(): Value[] {
    const l = this.#top();
    if (!Array.isArray(l)) throw new PickleError('pickle appends to a non-list');
    return l;
  }

  #setItems(kv: Value[]): void {
    const d = this.#top();
    if (d === null || typeof d !== 'object' || Array.isArray(d) || kv.length % 2 !== 0) throw new PickleError('pickle sets items on a non-dict');
    for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i];
      if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean' && k !== null) throw new PickleError('pickle has a dict key that is not a string or number');
      Object.defineProperty(d, String(k), { value: kv[i + 1], enumerable: true, writable: true, configurable: true });
    }
  }
}

/** A little-endian two's-complement integer (LONG1), as a number (beyond 2^53 it is approximate). */
function long(bytes: Buffer): number {
  if (bytes.length === 0) return 0;
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return Number(n);
}
