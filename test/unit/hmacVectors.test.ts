import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DELIMITER, ProtocolError, Session, SignatureError, Signer, UnsignedMessageError } from '../../src/core/protocol';
import { hmacVectors } from './support/fixtures';

const vectors = hmacVectors();

function frames(v: { frames: readonly string[] }): [Buffer, Buffer, Buffer, Buffer] {
  return v.frames.map((f) => Buffer.from(f, 'utf8')) as [Buffer, Buffer, Buffer, Buffer];
}

/** The typed error each negative vector must raise, from its description. */
function expectedError(description: string): typeof SignatureError | typeof UnsignedMessageError {
  return /unsigned|empty signature/i.test(description) ? UnsignedMessageError : SignatureError;
}

describe('HMAC vectors from real ipyparallel traffic', () => {
  it('has the 130 recorded vectors, some negative and one unsigned', (t) => {
    const negative = vectors.filter((v) => !v.expect_valid).length;
    const unsigned = vectors.filter((v) => v.key === '').length;
    assert.equal(vectors.length, 130);
    assert.ok(negative >= 4);
    assert.equal(unsigned, 1);
    t.diagnostic(`HMAC vectors: ${vectors.length} (${vectors.length - negative} valid, ${negative} negative, ${unsigned} unsigned)`);
  });

  it('Signer.sign reproduces every positive vector and no negative one', () => {
    let positive = 0;
    let negative = 0;
    for (const v of vectors) {
      const signed = new Signer(v.key, v.signature_scheme).sign(frames(v));
      if (v.expect_valid) {
        assert.equal(signed, v.signature, v.description);
        positive++;
      } else {
        assert.notEqual(signed, v.signature, v.description);
        negative++;
      }
    }
    assert.equal(positive + negative, vectors.length);
  });

  it('Session.decode accepts every positive vector on real frames and rejects each negative with a typed error', () => {
    for (const [i, v] of vectors.entries()) {
      const session = new Session({ key: v.key, signatureScheme: v.signature_scheme });
      const wire = [Buffer.from(`routing-${i}`), DELIMITER, Buffer.from(v.signature, 'ascii'), ...frames(v)];
      if (v.expect_valid) {
        const msg = session.decode(wire);
        assert.equal(msg.signature, v.signature, v.description);
        assert.equal(msg.header.msg_type, v.msg_type, v.description);
        assert.deepEqual(msg.routing, [Buffer.from(`routing-${i}`)]);
        assert.deepEqual([...msg.raw], frames(v));
        assert.deepEqual(msg.buffers, []);
      } else {
        const expected = expectedError(v.description);
        assert.throws(
          () => session.decode(wire),
          (e: unknown) => {
            assert.ok(e instanceof expected, `${v.description}: got ${String(e)}`);
            assert.equal(typeof (e as ProtocolError).code, 'string');
            assert.ok(v.key === '' || !(e as Error).message.includes(v.key), 'error leaks the key');
            return true;
          },
          v.description,
        );
      }
    }
  });

  it('the empty-key vector has an empty signature and an unsigned session accepts it', () => {
    const v = vectors.find((x) => x.key === '');
    assert.ok(v);
    assert.equal(v.signature, '');
    const signer = new Signer('', v.signature_scheme);
    assert.equal(signer.signed, false);
    assert.equal(signer.sign(frames(v)), '');
    assert.equal(signer.signBytes(frames(v)).length, 0);
    const msg = new Session({ key: '' }).decode([DELIMITER, Buffer.alloc(0), ...frames(v)]);
    assert.equal(msg.signature, '');
    assert.equal(msg.header.msg_type, v.msg_type);
  });

  it('a signed session rejects the unsigned vector with UnsignedMessageError', () => {
    const v = vectors.find((x) => x.key === '');
    assert.ok(v);
    const signed = vectors.find((x) => x.key !== '' && x.expect_valid);
    assert.ok(signed);
    const session = new Session({ key: signed.key });
    assert.throws(() => session.decode([DELIMITER, Buffer.alloc(0), ...frames(v)]), UnsignedMessageError);
  });

  it('upper-case hex of a valid signature is rejected (byte-exact comparison)', () => {
    const v = vectors.find((x) => x.expect_valid && x.key !== '');
    assert.ok(v);
    const session = new Session({ key: v.key });
    const upper = Buffer.from(v.signature.toUpperCase(), 'ascii');
    assert.throws(() => session.decode([DELIMITER, upper, ...frames(v)]), SignatureError);
    // The genuine signature is still accepted afterwards: a rejected signature is not remembered.
    session.decode([DELIMITER, Buffer.from(v.signature, 'ascii'), ...frames(v)]);
  });
});
