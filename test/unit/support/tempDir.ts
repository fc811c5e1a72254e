import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';

/** A temporary folder removed when the current test file's suite ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ipp-${prefix}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a file (creating its folders) with the given mode, and returns its path. */
export function writeFile(path: string, text: string, mode = 0o600): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 }); // no group/other-writable folder warnings
  writeFileSync(path, text);
  chmodSync(path, mode); // explicit: the umask would otherwise decide
  return path;
}
