import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Session } from '../../src/core/protocol';
import { FRAME_FIELDS, loadCapture } from './support/capturedExamples';
import { parseOrdered, stringifyOrdered } from './support/orderedJson';

/**
 * Every captured message, rebuilt to its exact wire bytes (proven by its recorded signature under the
 * recorded key), decodes and re-frames to the same bytes: ipyparallel 7.1 (our probe's traffic) and 9.x
 * (ipyparallel's own Client, scripts/capture_wire.py).
 */

const CAPTURES = [
  { fixture: 'protocol-examples.json', version: '7.1.0', count: 125 },
  { fixture: 'protocol-examples-9.json', version: '9.2.0.dev0', count: 86 },
];

for (const { fixture, version, count } of CAPTURES) describeCapture(fixture, version, count);

function describeCapture(fixture: string, version: string, count: number): void {
const { key, signatureScheme, messages } = loadCapture(fixture);

function hmacHex(json: readonly Buffer[]): string {
  const h = createHmac('sha256', key);
  for (const f of json) h.update(f);
  return h.digest('hex');
}

describe(`captured protocol examples, ipyparallel ${version} (${fixture})`, () => {
  it(`has ${count} captured messages from both directions, none recorded as badly signed`, (t) => {
    assert.equal(messages.length, count);
    assert.equal(signatureScheme, 'hmac-sha256');
    const counts = { client: 0, controller: 0, withBuffers: 0, withRouting: 0 };
    for (const { example } of messages) {
      if (example.direction === 'client->controller') counts.client++;
      else counts.controller++;
      if (example.buffers.length) counts.withBuffers++;
      if (example.routing_frames.length) counts.withRouting++;
      assert.notEqual(example.signature_valid, false, example.label);
    }
    assert.ok(counts.client > 0 && counts.controller > 0);
    assert.ok(counts.withBuffers >= 1, 'at least one example carries buffers');
    t.diagnostic(
      `captured messages: ${messages.length} (${counts.client} client->controller, ${counts.controller} ` +
        `controller->client, ${counts.withRouting} with routing frames, ${counts.withBuffers} with buffers)`,
    );
  });

  it('rebuilds the exact bytes of every message: the recorded signature matches under the recorded key', () => {
    for (const { example, json } of messages) {
      assert.equal(hmacHex(json), example.signature, `${example.label} (${example.direction})`);
    }
  });

  it('the rebuilt frames parse back to the recorded decoded values', () => {
    for (const { example, json } of messages) {
      FRAME_FIELDS.forEach((f, j) => assert.deepEqual(JSON.parse(json[j].toString('utf8')), example[f], `${example.label} ${f}`));
    }
  });

  it('Session.decode accepts every message and Session.reframe gives back the same bytes', () => {
    // One receiving session for the whole capture, as one client would hold: no signature repeats.
    const session = new Session({ key, signatureScheme });
    for (const { example, wire, json, routing } of messages) {
      const label = example.label;
      const msg = session.decode(wire);
      assert.deepEqual(msg.header, example.header, label);
      assert.deepEqual(msg.parent, example.parent_header, label);
      assert.deepEqual(msg.metadata, example.metadata, label);
      assert.deepEqual(msg.content, example.content, label);
      assert.equal(msg.signature, example.signature, label);
      assert.deepEqual(msg.routing, routing, label);
      for (let j = 0; j < 4; j++) assert.ok(msg.raw[j].equals(json[j]), `${label}: raw frame ${j} changed`);

      const again = session.reframe(msg);
      assert.equal(again.length, wire.length, label);
      again.forEach((f, j) => assert.ok(f.equals(wire[j]), `${label}: frame ${j} differs after reframe`));
    }
  });

  it('trailing buffers round-trip untouched', () => {
    const session = new Session({ key });
    let checked = 0;
    for (const { example, wire, buffers } of messages.filter((m) => m.buffers.length > 0)) {
      const msg = session.decode(wire);
      assert.equal(msg.buffers.length, buffers.length, example.label);
      msg.buffers.forEach((b, j) => {
        assert.ok(b.equals(buffers[j]), `${example.label}: buffer ${j} changed`);
        checked++;
      });
      assert.deepEqual(session.reframe(msg).slice(-buffers.length), buffers);
    }
    assert.ok(checked >= 1);
  });

  if (version !== '7.1.0') return; // its connection_reply lists engine "1" before "0"; 9.x's does not
  it('raw keeps frames that a JSON.parse/JSON.stringify round trip would change (integer-like keys)', () => {
    const session = new Session({ key });
    const changed: string[] = [];
    for (const { example, wire } of messages) {
      const msg = session.decode(wire);
      for (let j = 0; j < 4; j++) {
        const text = msg.raw[j].toString('utf8');
        const compact = stringifyOrdered(parseOrdered(text), 'compact');
        if (JSON.stringify(JSON.parse(text)) !== compact) changed.push(`${example.label} ${FRAME_FIELDS[j]}`);
      }
    }
    // connection_reply's engines map {"1": ..., "0": ...} would come back as {"0": ..., "1": ...}.
    assert.ok(changed.includes('connection_reply content'), changed.join('; '));
  });
});
}
