import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  DELIMITER,
  MalformedMessageError,
  ProtocolError,
  ReplayError,
  Session,
  type JsonObject,
  type Message,
} from '../../src/core/protocol';
import { loadCapture } from './support/capturedExamples';

/**
 * Property-based fuzz of Session.decode. The only allowed outcomes are a Message or a ProtocolError with a
 * decode code; never another exception, and never the key or the expected digest in an error. Each case is
 * decoded twice by the same session: a Message must then be a ReplayError (signed sessions), an error must
 * repeat as the same error (or as a ReplayError after a correctly signed but malformed message).
 *
 * FUZZ_RUNS (default 10000 per property) and FUZZ_SEED reproduce or deepen a run.
 */

const RUNS = Math.max(10_000, Number(process.env.FUZZ_RUNS) || 0);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const DECODE_CODES = new Set(['ERR_SIGNATURE', 'ERR_UNSIGNED', 'ERR_REPLAY', 'ERR_MALFORMED']);

const capture = loadCapture();
const KEYS = [capture.key, 'fuzz-key-0123456789abcdef', ''];

type Outcome = Message | ProtocolError;

class Tally {
  cases = 0;
  readonly outcomes = new Map<string, number>();
  add(o: Outcome | 'replay-second'): void {
    const name = o === 'replay-second' ? 'ERR_REPLAY (second decode)' : o instanceof ProtocolError ? o.code : 'message';
    this.outcomes.set(name, (this.outcomes.get(name) ?? 0) + 1);
  }
  summary(): string {
    return [...this.outcomes].sort().map(([k, v]) => `${k}=${v}`).join(', ');
  }
}

/** The digest a correct signature would have, if the frames have the shape to be signed at all. */
function expectedDigest(frames: readonly unknown[], key: string): string | undefined {
  if (!key || !Array.isArray(frames)) return undefined;
  const bufs = Array.from(frames, (f) => (Buffer.isBuffer(f) ? f : f instanceof Uint8Array ? Buffer.from(f) : typeof f === 'string' ? Buffer.from(f) : undefined));
  const d = bufs.findIndex((b) => b?.equals(DELIMITER));
  if (d < 0) return undefined;
  const json = bufs.slice(d + 2, d + 6);
  if (json.length < 4 || json.some((b) => b === undefined)) return undefined;
  const h = createHmac('sha256', key);
  for (const b of json) h.update(b as Buffer);
  return h.digest('hex');
}

function assertTypedError(e: unknown, key: string, digest: string | undefined): ProtocolError {
  if (!(e instanceof ProtocolError)) {
    throw new assert.AssertionError({ message: `decode threw a non-protocol error: ${e instanceof Error ? e.stack : String(e)}` });
  }
  assert.ok(DECODE_CODES.has(e.code), `unexpected code ${e.code}`);
  assert.equal(typeof e.message, 'string');
  const text = `${e.message}\n${String(e)}`;
  if (key) assert.ok(!text.includes(key), `error leaks the key: ${e.message}`);
  if (digest) {
    assert.ok(!text.toLowerCase().includes(digest), `error leaks the expected digest: ${e.message}`);
    assert.ok(!text.includes(digest.slice(0, 16)), `error leaks part of the expected digest: ${e.message}`);
  }
  return e;
}

function decodeOnce(session: Session, frames: unknown, key: string, digest: string | undefined): Outcome {
  try {
    const msg = session.decode(frames as unknown[]);
    assert.equal(typeof msg.header.msg_id, 'string');
    assert.equal(typeof msg.header.msg_type, 'string');
    for (const part of [msg.parent, msg.metadata, msg.content]) {
      assert.ok(part !== null && typeof part === 'object' && !Array.isArray(part));
    }
    for (const b of [...msg.routing, ...msg.buffers, ...msg.raw]) assert.ok(Buffer.isBuffer(b));
    return msg;
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    return assertTypedError(e, key, digest);
  }
}

/** Decodes twice with one session and checks the pair of outcomes. */
function check(frames: unknown, key: string, tally: Tally): void {
  const session = new Session({ key });
  const digest = expectedDigest(frames as unknown[], key);
  const first = decodeOnce(session, frames, key, digest);
  tally.cases++;
  tally.add(first);
  const second = decodeOnce(session, frames, key, digest);
  if (first instanceof ProtocolError) {
    assert.ok(second instanceof ProtocolError, 'a rejected message was accepted on the second try');
    // A correctly signed but malformed message has had its signature remembered (as jupyter_client does),
    // so its second sight is a replay.
    if (!(key && first.code === 'ERR_MALFORMED' && second.code === 'ERR_REPLAY')) assert.equal(second.code, first.code);
  } else if (key) {
    assert.ok(second instanceof ReplayError, `a replay was not rejected: ${String(second)}`);
    tally.add('replay-second');
  } else {
    assert.ok(!(second instanceof ProtocolError), 'an unsigned session must not check replays');
  }
}

function sign(key: string, json: readonly Buffer[]): Buffer {
  if (!key) return Buffer.alloc(0);
  const h = createHmac('sha256', key);
  for (const f of json) h.update(f);
  return Buffer.from(h.digest('hex'), 'ascii');
}

// ---- arbitraries ---------------------------------------------------------------------------------------

const nonBuffer = fc.oneof(
  fc.constantFrom(null, undefined, true, false, 0, -1, NaN, {}, [], () => 0, Symbol('frame'), 10n),
  fc.double(),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.nat(), { maxKeys: 3 }),
  fc.constant(new ArrayBuffer(4)),
  fc.constant(new DataView(new ArrayBuffer(2))),
  fc.constant(new Uint16Array([0x3c49, 0x4453])),
);

const jsonText = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }).map((v) => JSON.stringify(v)),
  fc.record({ msg_id: fc.oneof(fc.string(), fc.nat()), msg_type: fc.oneof(fc.string(), fc.constant(null)) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.constantFrom('{}', '[]', 'null', '"x"', '{"msg_id":"a","msg_type":"b"}', '{', '\uFEFF{}', '{"a":1}garbage'),
);

const invalidUtf8 = fc.constantFrom(
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0xc3]),
  Buffer.from('{"msg_id":"\xff","msg_type":"x"}', 'latin1'),
  Buffer.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]), // {"<lone surrogate>":1}
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
);

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 48 }).map((u) => Buffer.from(u)),
  jsonText.map((t) => Buffer.from(t, 'utf8')),
  invalidUtf8,
  fc.constant(DELIMITER),
  fc.constant(Buffer.alloc(0)),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((u) => Buffer.from(Buffer.from(u).toString('hex'), 'ascii')),
);

const frameValue = fc.oneof(
  { weight: 8, arbitrary: bytes },
  { weight: 1, arbitrary: jsonText },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }) },
  { weight: 1, arbitrary: nonBuffer },
);

/** Fully random frame lists, including some that have the shape of a (signed) message. */
const randomCase = fc.oneof(
  fc.record({ key: fc.constantFrom(...KEYS), frames: fc.array(frameValue, { maxLength: 12 }) }),
  fc.record({ key: fc.constantFrom(...KEYS), frames: fc.sparseArray(frameValue, { maxLength: 10 }) }),
  fc.record({
    key: fc.constantFrom(...KEYS),
    routing: fc.array(bytes, { maxLength: 2 }),
    json: fc.tuple(jsonText, jsonText, jsonText, jsonText),
    buffers: fc.array(bytes, { maxLength: 2 }),
    signed: fc.boolean(),
  }).map(({ key, routing, json, buffers, signed }) => {
    const j = json.map((t) => Buffer.from(t, 'utf8'));
    const sig = signed ? sign(key, j) : Buffer.from('0'.repeat(64));
    return { key, frames: [...routing, DELIMITER, sig, ...j, ...buffers] as unknown[] };
  }),
  fc.record({ key: fc.constantFrom(...KEYS), frames: nonBuffer }),
);

type Mutation =
  | { op: 'flip'; frame: number; at: number; xor: number }
  | { op: 'drop' | 'duplicate' | 'empty' | 'stringify' | 'upperSig' | 'emptySig' | 'dropDelimiter'; frame: number }
  | { op: 'swap'; a: number; b: number }
  | { op: 'rotate'; by: number }
  | { op: 'truncate'; frame: number; keep: number }
  | { op: 'replace'; frame: number; value: unknown }
  | { op: 'insert'; at: number; value: unknown }
  | { op: 'huge'; frame: number; size: number }
  | { op: 'json'; which: number; text: string };

const idx = fc.nat(15);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), frame: idx, at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constantFrom('drop', 'duplicate', 'empty', 'stringify', 'upperSig', 'emptySig', 'dropDelimiter') as fc.Arbitrary<'drop'>, frame: idx }),
  fc.record({ op: fc.constant('swap' as const), a: idx, b: idx }),
  fc.record({ op: fc.constant('rotate' as const), by: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('truncate' as const), frame: idx, keep: fc.nat(80) }),
  fc.record({ op: fc.constant('replace' as const), frame: idx, value: frameValue }),
  fc.record({ op: fc.constant('insert' as const), at: idx, value: frameValue }),
  fc.record({ op: fc.constant('huge' as const), frame: idx, size: fc.integer({ min: 1 << 16, max: 1 << 20 }) }),
  fc.record({ op: fc.constant('json' as const), which: fc.nat(3), text: fc.oneof(jsonText, invalidUtf8.map((b) => b.toString('latin1'))) }),
);

function delimiterIndex(frames: unknown[]): number {
  return frames.findIndex((f) => Buffer.isBuffer(f) && f.equals(DELIMITER));
}

function applyMutation(frames: unknown[], m: Mutation): void {
  const n = frames.length;
  const at = (i: number): number => (n === 0 ? 0 : i % n);
  const d = delimiterIndex(frames);
  switch (m.op) {
    case 'flip': {
      const f = frames[at(m.frame)];
      if (Buffer.isBuffer(f) && f.length > 0) {
        const copy = Buffer.from(f);
        copy[m.at % copy.length] ^= m.xor;
        frames[at(m.frame)] = copy;
      }
      return;
    }
    case 'drop':
      frames.splice(at(m.frame), 1);
      return;
    case 'duplicate':
      if (n) frames.splice(at(m.frame), 0, frames[at(m.frame)]);
      return;
    case 'empty':
      if (n) frames[at(m.frame)] = Buffer.alloc(0);
      return;
    case 'stringify': {
      const f = frames[at(m.frame)];
      if (Buffer.isBuffer(f)) frames[at(m.frame)] = f.toString('utf8');
      return;
    }
    case 'upperSig':
    case 'emptySig':
      if (d >= 0 && d + 1 < n && Buffer.isBuffer(frames[d + 1])) {
        const sig = frames[d + 1] as Buffer;
        frames[d + 1] = m.op === 'emptySig' ? Buffer.alloc(0) : Buffer.from(sig.toString('ascii').toUpperCase(), 'ascii');
      }
      return;
    case 'dropDelimiter':
      if (d >= 0) frames.splice(d, 1);
      return;
    case 'swap':
      if (n) [frames[at(m.a)], frames[at(m.b)]] = [frames[at(m.b)], frames[at(m.a)]];
      return;
    case 'rotate':
      if (n) frames.push(...frames.splice(0, m.by % n));
      return;
    case 'truncate': {
      const f = frames[at(m.frame)];
      if (Buffer.isBuffer(f)) frames[at(m.frame)] = f.subarray(0, Math.min(m.keep, f.length));
      return;
    }
    case 'replace':
      if (n) frames[at(m.frame)] = m.value;
      return;
    case 'insert':
      frames.splice(n === 0 ? 0 : m.at % (n + 1), 0, m.value);
      return;
    case 'huge':
      if (n) frames[at(m.frame)] = Buffer.alloc(m.size, 0x7b);
      return;
    case 'json':
      // Replace one JSON frame; with `resign` below this reaches the JSON checks behind the HMAC.
      if (d >= 0 && d + 2 + m.which < n) frames[d + 2 + m.which] = Buffer.from(m.text, m.text.startsWith('\xff') ? 'latin1' : 'utf8');
      return;
  }
}

/** Re-signs the four JSON frames after the (first) delimiter, if they are all bytes. */
function resign(frames: unknown[], key: string): void {
  const d = delimiterIndex(frames);
  const json = frames.slice(d + 2, d + 6);
  if (d < 0 || frames.length < d + 2 || json.length !== 4 || !json.every((f) => Buffer.isBuffer(f))) return;
  frames[d + 1] = sign(key, json as Buffer[]);
}

/** Real messages to mutate: the 125 captured ones, plus fresh ones built by Session.build. */
const builder = new Session({ key: capture.key, session: 'fuzz-builder' });
const basePool: { key: string; frames: Buffer[] }[] = capture.messages.map((m) => ({ key: capture.key, frames: m.wire }));
const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) as fc.Arbitrary<JsonObject>;

const mutatedCase = fc.record({
  base: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...basePool) },
    {
      weight: 1,
      arbitrary: fc
        .record({ type: fc.string({ minLength: 1, maxLength: 12 }), content: jsonObject, buffers: fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 2 }) })
        .map(({ type, content, buffers }) => ({ key: capture.key, frames: builder.build(type, content, { buffers }).frames })),
    },
  ),
  unsigned: fc.boolean(),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
  resign: fc.boolean(),
});

const params = (): fc.Parameters<unknown> => ({ numRuns: RUNS, seed: SEED, endOnFailure: true });

describe('Session.decode fuzz', () => {
  it(`random frame lists (${RUNS} cases): a Message or a typed error, never a leak`, (t) => {
    const tally = new Tally();
    fc.assert(
      fc.property(randomCase, ({ key, frames }) => check(frames, key, tally)),
      params() as fc.Parameters<[{ key: string; frames: unknown }]>,
    );
    assert.equal(tally.cases, RUNS);
    t.diagnostic(`fuzz random: ${tally.cases} cases; ${tally.summary()}`);
    assert.ok((tally.outcomes.get('ERR_MALFORMED') ?? 0) > 0);
    assert.ok((tally.outcomes.get('message') ?? 0) > 0, 'no random case ever decoded');
  });

  it(`mutated real messages (${RUNS} cases): a Message or a typed error, never a leak`, (t) => {
    const tally = new Tally();
    fc.assert(
      fc.property(mutatedCase, ({ base, unsigned, mutations, resign: again }) => {
        const key = unsigned ? '' : base.key;
        const frames: unknown[] = [...base.frames];
        if (unsigned) resign(frames, '');
        for (const m of mutations) applyMutation(frames, m);
        if (again) resign(frames, key);
        check(frames, key, tally);
      }),
      params() as fc.Parameters<[{ base: { key: string; frames: Buffer[] }; unsigned: boolean; mutations: Mutation[]; resign: boolean }]>,
    );
    assert.equal(tally.cases, RUNS);
    t.diagnostic(`fuzz mutated: ${tally.cases} cases; ${tally.summary()}`);
    for (const code of ['message', 'ERR_SIGNATURE', 'ERR_UNSIGNED', 'ERR_MALFORMED', 'ERR_REPLAY (second decode)']) {
      assert.ok((tally.outcomes.get(code) ?? 0) > 0, `the mutations never produced ${code}`);
    }
  });

  it('valid random messages built by Session.build decode back equal; replaying them throws ReplayError', () => {
    const arb = fc.record({
      key: fc.constantFrom(capture.key, 'another key ✓'),
      scheme: fc.constantFrom('hmac-sha256', 'hmac-sha512', 'hmac-sha3_256', 'hmac-blake2b', 'hmac-md5'),
      msgType: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }),
      content: fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' }), { maxKeys: 6 }),
      metadata: fc.option(jsonObject, { nil: undefined }),
      withParent: fc.boolean(),
      routing: fc.array(fc.uint8Array({ minLength: 1, maxLength: 12 }), { maxLength: 2 }),
      buffers: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(arb, (c) => {
        const sender = new Session({ key: c.key, signatureScheme: c.scheme });
        const receiver = new Session({ key: c.key, signatureScheme: c.scheme });
        const parent = c.withParent ? sender.header('parent_request') : undefined;
        const out = sender.build(c.msgType, c.content as JsonObject, { parent, metadata: c.metadata, routing: c.routing, buffers: c.buffers });
        const routing = c.routing.filter((r) => !Buffer.from(r).equals(DELIMITER));
        fc.pre(routing.length === c.routing.length);
        const msg = receiver.decode(out.frames);
        assert.deepEqual(msg.header, out.header);
        assert.deepEqual(msg.content, JSON.parse(JSON.stringify(c.content)));
        assert.deepEqual(msg.metadata, JSON.parse(JSON.stringify(c.metadata ?? {})));
        assert.deepEqual(msg.parent, parent ?? {});
        assert.deepEqual(msg.routing, c.routing.map((r) => Buffer.from(r)));
        assert.deepEqual(msg.buffers, c.buffers.map((b) => Buffer.from(b)));
        assert.deepEqual(receiver.reframe(msg), out.frames);
        assert.throws(() => receiver.decode(out.frames), ReplayError);
        assert.throws(() => receiver.decode(out.frames.map((f) => Buffer.from(f))), ReplayError);
      }),
      { numRuns: 2000, seed: SEED },
    );
  });

  it('rejects non-list inputs with MalformedMessageError', () => {
    const session = new Session({ key: 'k' });
    for (const input of [null, undefined, 'frames', 42, {}, { length: 6 }, Buffer.from('x'), new Set([DELIMITER])]) {
      assert.throws(() => session.decode(input as unknown as unknown[]), MalformedMessageError);
    }
  });
});
