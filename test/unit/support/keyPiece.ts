import assert from 'node:assert/strict';

/**
 * Asserts that no 6-character piece of `key` appears in `text`. A whole-key check misses the usual leak:
 * an error quoting the text around a bad token, which holds only part of the key.
 */
export function assertNoKeyPiece(text: string, key: string, what = 'text'): void {
  if (key.length < 6) return;
  for (let i = 0; i + 6 <= key.length; i++) {
    const piece = key.slice(i, i + 6);
    assert.ok(!text.includes(piece), `${what} holds a piece of the key (characters ${i}-${i + 5}): ${text.replaceAll(piece, '<piece>')}`);
  }
}
