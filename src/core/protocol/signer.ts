import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError, SignatureSchemeError, UnsignedMessageError } from './errors';
import { message } from '../messages';

/** Python hashlib names whose Node crypto name differs. */
const PYTHON_TO_NODE_HASH: Readonly<Record<string, string>> = {
  sha3_224: 'sha3-224',
  sha3_256: 'sha3-256',
  sha3_384: 'sha3-384',
  sha3_512: 'sha3-512',
  blake2b: 'blake2b512',
  blake2s: 'blake2s256',
  sha512_224: 'sha512-224',
  sha512_256: 'sha512-256',
};

/**
 * Maps a connection file's `signature_scheme` (`hmac-<hashlib name>`) to a Node hash algorithm.
 * Throws SignatureSchemeError for anything else, naming the scheme.
 */
export function hashForScheme(scheme: string): string {
  if (typeof scheme !== 'string' || !scheme.startsWith('hmac-')) {
    throw new SignatureSchemeError(message('schemeNotHmac', JSON.stringify(scheme)));
  }
  const pyName = scheme.slice('hmac-'.length);
  const nodeName = PYTHON_TO_NODE_HASH[pyName] ?? pyName;
  if (!hmacWorks(nodeName)) {
    throw new SignatureSchemeError(message('schemeNoHash', JSON.stringify(scheme), nodeName));
  }
  return nodeName;
}

const hmacUsable = new Map<string, boolean>();

/**
 * Whether Node can HMAC with this hash, tried once per name: an unknown name throws, and so do listed
 * hashes that cannot key an HMAC (the XOFs shake128/shake256).
 */
function hmacWorks(hash: string): boolean {
  let ok = hmacUsable.get(hash);
  if (ok === undefined) {
    try {
      createHmac(hash, 'probe').update('probe').digest();
      ok = true;
    } catch {
      ok = false;
    }
    hmacUsable.set(hash, ok);
  }
  return ok;
}

/**
 * Signs and verifies the four JSON frames of a message. An empty key means the cluster is unsigned:
 * signatures are empty and nothing is checked, exactly as jupyter_client's Session does.
 *
 * The key never leaves this object: it is not exposed, logged or included in any error.
 */
export class Signer {
  readonly #key: Buffer;
  readonly #hash: string | undefined;
  readonly scheme: string;

  constructor(key: string | Uint8Array, scheme = 'hmac-sha256') {
    this.#key = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
    this.scheme = scheme;
    this.#hash = hashForScheme(scheme);
  }

  /** True when a key is set and messages are HMAC-signed. */
  get signed(): boolean {
    return this.#key.length > 0;
  }

  /** Lowercase hex HMAC over the exact bytes of header, parent, metadata and content; '' when unsigned. */
  sign(frames: readonly Uint8Array[]): string {
    return this.signBytes(frames).toString('ascii');
  }

  /** As sign(), but returns the ASCII bytes of the hex digest, ready to send as the signature frame. */
  signBytes(frames: readonly Uint8Array[]): Buffer {
    if (!this.signed) return Buffer.alloc(0);
    const hmac = createHmac(this.#hash as string, this.#key);
    for (let i = 0; i < 4; i++) hmac.update(frames[i]);
    return Buffer.from(hmac.digest('hex'), 'ascii');
  }

  /**
   * Verifies a received signature in constant time. Throws UnsignedMessageError when a key is set and
   * the signature is empty, SignatureError when it does not match. No-op for an unsigned cluster.
   */
  verify(signature: Uint8Array, frames: readonly Uint8Array[]): void {
    if (!this.signed) return;
    if (signature.length === 0) throw new UnsignedMessageError('unsigned message on a signed session');
    const expected = this.signBytes(frames);
    // The digest length is public (it follows from the scheme); only the comparison of the bytes must
    // take constant time.
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new SignatureError('invalid message signature');
    }
  }
}
