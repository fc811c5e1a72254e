/**
 * A hash of code's lines as a document holds them (each line trimmed, as the editor may dedent), so an
 * editor that keeps only the hash of what it ran can tell later whether the document still holds it.
 */
import { createHash } from 'node:crypto';

/** The code's lines (a trailing newline ends the last line; it does not start another). */
export function codeLines(code: string): string[] {
  return code.replace(/\r?\n$/, '').split(/\r?\n/);
}

/** sha256 (hex, first 32 digits) of the lines, each trimmed, joined by "\n". */
export function linesHash(lines: readonly string[]): string {
  const h = createHash('sha256');
  lines.forEach((l, i) => h.update(i === 0 ? l.trim() : `\n${l.trim()}`));
  return h.digest('hex').slice(0, 32);
}

export function codeHash(code: string): string {
  return linesHash(codeLines(code));
}
