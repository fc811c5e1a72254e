import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root: the nearest folder above this file with a package.json (works from out/ too). */
export const repoRoot: string = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'test', 'fixtures'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no repository root above ${__dirname}`);
    dir = up;
  }
  return dir;
})();

export function fixturePath(name: string): string {
  return join(repoRoot, 'test', 'fixtures', name);
}

export function readFixture(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

/** One entry of hmac-vectors.json. */
export interface HmacVector {
  description: string;
  direction: string;
  msg_type: string;
  key: string;
  signature_scheme: string;
  frames: [string, string, string, string];
  signature: string;
  expect_valid: boolean;
}

export function hmacVectors(): HmacVector[] {
  return (JSON.parse(readFixture('hmac-vectors.json')) as { vectors: HmacVector[] }).vectors;
}
