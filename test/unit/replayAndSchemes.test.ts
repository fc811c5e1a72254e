import assert from 'node:assert/strict';
import { createHmac, getHashes } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashForScheme, ReplayError, ReplayGuard, Session, SignatureSchemeError, Signer } from '../../src/core/protocol';
import { assertNoKeyPiece } from './support/keyPiece';

const FRAMES = ['{"msg_id":"a","msg_type":"t"}', '{}', '{}', '{"x":1}'].map((f) => Buffer.from(f));

describe('ReplayGuard', () => {
  it('remembers a signature and reports its second sight', () => {
    const guard = new ReplayGuard(8);
    assert.equal(guard.checkAndRemember('a'), false);
    assert.equal(guard.checkAndRemember('b'), false);
    assert.equal(guard.checkAndRemember('a'), true);
    assert.equal(guard.size, 2);
  });

  it('never holds more than its capacity and culls 10% when it goes over', () => {
    const guard = new ReplayGuard(100);
    for (let i = 0; i < 100; i++) guard.checkAndRemember(`s${i}`);
    assert.equal(guard.size, 100);
    guard.checkAndRemember('s100'); // 101 > 100: forget floor(100 / 10) = 10
    assert.equal(guard.size, 91);
    for (let i = 101; i < 1000; i++) {
      guard.checkAndRemember(`s${i}`);
      assert.ok(guard.size <= 100, `size ${guard.size} at ${i}`);
    }
  });

  it('culls at random, via the injected random source (0 always picks the oldest)', () => {
    const guard = new ReplayGuard(10, () => 0);
    for (let i = 0; i <= 10; i++) guard.checkAndRemember(`s${i}`);
    assert.equal(guard.size, 10); // 11 entries, 1 (10 %) forgotten
    assert.equal(guard.checkAndRemember('s10'), true); // the newest is kept
    assert.equal(guard.checkAndRemember('s0'), false); // the oldest was forgotten (and is now remembered again)
  });

  it('never culls the signature it has just added, even when the random source points at it', () => {
    const guard = new ReplayGuard(10, () => 0.999999);
    for (let i = 0; i < 200; i++) {
      guard.checkAndRemember(`s${i}`);
      assert.equal(guard.checkAndRemember(`s${i}`), true, `s${i} was forgotten as soon as it was added`);
    }
  });

  it('default capacity is 65,536 like jupyter_client and culls 6,553 when full', () => {
    const guard = new ReplayGuard();
    assert.equal(guard.capacity, 65536);
    for (let i = 0; i <= 65536; i++) guard.checkAndRemember(i.toString(16));
    assert.equal(guard.size, 65537 - 6553);
  });

  it('a session with a key rejects a replay; an unsigned session and replayHistory:false skip the check', () => {
    const signed = new Session({ key: 'k' });
    const frames = new Session({ key: 'k' }).build('t', { a: 1 }).frames;
    signed.decode(frames);
    assert.throws(() => signed.decode(frames), ReplayError);

    const unsigned = new Session({ key: '' });
    const plain = new Session({ key: '' }).build('t', { a: 1 }).frames;
    assert.equal(plain[1].length, 0, 'unsigned messages carry an empty signature frame');
    for (let i = 0; i < 3; i++) assert.equal(unsigned.decode(plain).content.a, 1);

    const noHistory = new Session({ key: 'k', replayHistory: false });
    for (let i = 0; i < 3; i++) noHistory.decode(frames);
  });

  it('a session with a small replayHistory forgets old signatures', () => {
    const sender = new Session({ key: 'k' });
    const receiver = new Session({ key: 'k', replayHistory: 10 });
    const sent = Array.from({ length: 50 }, (_, i) => sender.build('t', { i }).frames);
    for (const f of sent) receiver.decode(f);
    // The newest signature is never the one culled, so its replay is always caught...
    assert.throws(() => receiver.decode(sent[49]), ReplayError);
    // ...while at most 10 are remembered at any time, so at least 30 of the 40 oldest are forgotten.
    let accepted = 0;
    for (const f of sent.slice(0, 40)) {
      try {
        receiver.decode(f);
        accepted++;
      } catch (e) {
        assert.ok(e instanceof ReplayError);
      }
    }
    assert.ok(accepted >= 30, `only ${accepted} of 40 old signatures were forgotten`);
  });
});

/** hashlib names whose Node name differs (PROTOCOL.md §2.2), checked against an independent list. */
const PYTHON_NAMES: [string, string][] = [['sha3_256', 'sha3-256'], ['sha3_512', 'sha3-512'], ['blake2b', 'blake2b512'], ['blake2s', 'blake2s256'], ['sha512_256', 'sha512-256']];

function nodeHmac(hash: string, key: string): string {
  const h = createHmac(hash, key);
  for (const f of FRAMES) h.update(f);
  return h.digest('hex');
}

function hmacCapable(hash: string): boolean {
  try {
    createHmac(hash, 'k').digest();
    return true;
  } catch {
    return false;
  }
}

describe('signature schemes', () => {
  it('every hash that Node can HMAC with works as hmac-<hash>', (t) => {
    const usable = getHashes().filter(hmacCapable);
    assert.ok(usable.length >= 10);
    for (const hash of usable) {
      const signer = new Signer('key', `hmac-${hash}`);
      assert.equal(signer.sign(FRAMES), nodeHmac(hash, 'key'), hash);
      const sender = new Session({ key: 'key', signatureScheme: `hmac-${hash}` });
      const receiver = new Session({ key: 'key', signatureScheme: `hmac-${hash}` });
      assert.equal(receiver.decode(sender.build('t', { hash }).frames).content.hash, hash);
    }
    t.diagnostic(`${usable.length} hmac schemes: ${usable.join(' ')}`);
  });

  it('the common Python names map to their Node hashes', () => {
    for (const py of ['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'md5']) {
      assert.equal(hashForScheme(`hmac-${py}`), py);
      assert.equal(new Signer('key', `hmac-${py}`).sign(FRAMES), nodeHmac(py, 'key'));
    }
    for (const [py, node] of PYTHON_NAMES) {
      if (!hmacCapable(node)) continue;
      assert.equal(hashForScheme(`hmac-${py}`), node, py);
      assert.equal(new Signer('key', `hmac-${py}`).sign(FRAMES), nodeHmac(node, 'key'), py);
    }
  });

  it('a signature made under one scheme does not verify under another', () => {
    const frames = new Session({ key: 'k', signatureScheme: 'hmac-sha512' }).build('t', {}).frames;
    assert.throws(() => new Session({ key: 'k', signatureScheme: 'hmac-sha256' }).decode(frames), { code: 'ERR_SIGNATURE' });
  });

  it('unknown, non-hmac and non-HMAC-able schemes throw SignatureSchemeError naming the scheme', () => {
    for (const scheme of ['hmac-nosuchhash', 'sha256', 'hmac-', 'HMAC-SHA256', 'rsa-sha256', '', 'hmac-shake128', 'hmac-shake256']) {
      assert.throws(
        () => new Signer('secret-key-4f1c', scheme),
        (e: unknown) => {
          assert.ok(e instanceof SignatureSchemeError, `${scheme}: ${String(e)}`);
          assert.equal(e.code, 'ERR_SCHEME');
          assert.ok(e.message.includes(JSON.stringify(scheme)), e.message);
          assertNoKeyPiece(e.message, 'secret-key-4f1c', 'the error');
          return true;
        },
      );
      assert.throws(() => new Session({ key: 'k', signatureScheme: scheme }), SignatureSchemeError);
    }
    assert.throws(() => hashForScheme(42 as unknown as string), SignatureSchemeError);
  });
});
