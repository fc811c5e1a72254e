import assert from 'node:assert/strict';
import { DELIMITER } from '../../../src/core/protocol';
import { readFixture } from './fixtures';
import { member, parseOrdered, stringifyOrdered, type JsonStyle, type OrderedJson } from './orderedJson';

/**
 * protocol-examples.json holds 125 real messages, stored decoded. This rebuilds each one to the exact bytes
 * its sender put on the wire: client->controller frames were compact JSON (JSON.stringify);
 * controller->client frames were Python json.dumps with ", "/": " separators and raw UTF-8. Key order and
 * number text come from the file itself (see orderedJson.ts). Buffers are stored only as {len, head_hex}:
 * a buffer of that length starting with that head stands in for each.
 */

export interface CapturedExample {
  label: string;
  direction: 'client->controller' | 'controller->client';
  socket: string;
  signature: string;
  signature_valid?: boolean;
  routing_frames: ({ text: string } | { hex: string })[];
  header: Record<string, unknown>;
  parent_header: Record<string, unknown>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: { len: number; head_hex: string }[];
  /** How the sender wrote its JSON; default by direction (the 7.1 capture: compact from our probe). */
  json_style?: JsonStyle;
}

export interface RebuiltMessage {
  example: CapturedExample;
  /** Everything on the wire: routing, delimiter, signature, the four JSON frames, buffers. */
  wire: Buffer[];
  json: [Buffer, Buffer, Buffer, Buffer];
  routing: Buffer[];
  buffers: Buffer[];
}

export const FRAME_FIELDS = ['header', 'parent_header', 'metadata', 'content'] as const;

export interface Capture {
  key: string;
  signatureScheme: string;
  messages: RebuiltMessage[];
}

function routingFrame(r: { text: string } | { hex: string }): Buffer {
  return 'text' in r ? Buffer.from(r.text, 'utf8') : Buffer.from(r.hex, 'hex');
}

/** A buffer of the recorded length that starts with the recorded head and goes on with a fixed pattern. */
function rebuildBuffer(b: { len: number; head_hex: string }, seed: number): Buffer {
  const out = Buffer.alloc(b.len);
  for (let i = 0; i < b.len; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  Buffer.from(b.head_hex, 'hex').copy(out, 0, 0, Math.min(b.len, b.head_hex.length / 2));
  return out;
}

const cached = new Map<string, Capture>();

/** protocol-examples.json (7.1, default) or protocol-examples-9.json (9.x), rebuilt to wire bytes. */
export function loadCapture(fixture = 'protocol-examples.json'): Capture {
  const hit = cached.get(fixture);
  if (hit) return hit;
  const text = readFixture(fixture);
  const plain = JSON.parse(text) as { key: string; signature_scheme: string; examples: CapturedExample[] };
  const ordered = member(parseOrdered(text), 'examples') as Extract<OrderedJson, { kind: 'array' }>;
  const messages = plain.examples.map((example, i): RebuiltMessage => {
    const style: JsonStyle = example.json_style ?? (example.direction === 'client->controller' ? 'compact' : 'python');
    const json = FRAME_FIELDS.map((f) => {
      const node = member(ordered.items[i], f);
      assert.ok(node, `example ${i} lacks ${f}`);
      return Buffer.from(stringifyOrdered(node, style), 'utf8');
    }) as [Buffer, Buffer, Buffer, Buffer];
    const routing = example.routing_frames.map(routingFrame);
    const buffers = example.buffers.map((b, j) => rebuildBuffer(b, i + j));
    const wire = [...routing, DELIMITER, Buffer.from(example.signature, 'ascii'), ...json, ...buffers];
    return { example, wire, json, routing, buffers };
  });
  const capture = { key: plain.key, signatureScheme: plain.signature_scheme, messages };
  cached.set(fixture, capture);
  return capture;
}
