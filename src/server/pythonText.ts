/**
 * Small, line-local reading of Python source for hover and completion: the dotted name under the cursor,
 * whether a position is inside a comment or a string, and conversions between LSP positions (UTF-16 code
 * units) and the Jupyter protocol's cursor offsets (Unicode code points).
 */

const IDENT_CHAR = /[\p{L}\p{N}_]/u;
const IDENT_START = /[\p{L}_]/u;

const KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or',
  'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

export function isPythonKeyword(word: string): boolean {
  return KEYWORDS.has(word);
}

/** Whether `character` (UTF-16 index) of the line is in code, a `#` comment, or a one-line string literal. */
export function lexicalContext(line: string, character: number): 'code' | 'comment' | 'string' {
  let quote: string | undefined;
  for (let i = 0; i < line.length && i < character; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (line.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = undefined;
      }
    } else if (c === '#') {
      return 'comment';
    } else if (c === '"' || c === "'") {
      quote = line.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += quote.length - 1;
    }
  }
  return quote !== undefined ? 'string' : 'code';
}

export function inCommentOrString(line: string, character: number): boolean {
  return lexicalContext(line, character) !== 'code';
}

export interface NameAt {
  /** `a`, or `a.b.c` when the cursor is on `c`. */
  name: string;
  /** UTF-16 range of the whole dotted name in the line. */
  start: number;
  end: number;
}

/**
 * The name or dotted name at `character` of `line` (the cursor may also sit just after it). Only the
 * part up to the hovered identifier: hovering `b` in `a.b.c` gives `a.b`. Undefined for keywords, number
 * literals, attribute access on a call or subscript (`f().x`, which would run code), comments and strings.
 */
export function dottedNameAt(line: string, character: number): NameAt | undefined {
  const isIdent = (i: number) => i >= 0 && i < line.length && IDENT_CHAR.test(line[i]);
  let at = character;
  if (!isIdent(at)) {
    if (isIdent(at - 1)) at -= 1;
    else return undefined;
  }
  if (inCommentOrString(line, at)) return undefined;
  let start = at;
  while (isIdent(start - 1)) start--;
  let end = at + 1;
  while (isIdent(end)) end++;
  if (!IDENT_START.test(line[start])) return undefined;
  // Walk left over `.ident` links.
  while (line[start - 1] === '.') {
    const s = start - 1;
    let p = s;
    while (isIdent(p - 1)) p--;
    if (p === s || !IDENT_START.test(line[p])) return undefined; // `).x`, `].x`, `1.x`: not a plain name
    start = p;
  }
  const name = line.slice(start, end);
  if (name.split('.').some(isPythonKeyword)) return undefined;
  return { name, start, end };
}

/** UTF-16 offset -> code-point offset within `text`. */
export function utf16ToCodePoints(text: string, offset: number): number {
  return [...text.slice(0, offset)].length;
}

/** Code-point offset -> UTF-16 offset within `text` (clamped to its length). */
export function codePointsToUtf16(text: string, codePoints: number): number {
  let units = 0;
  let n = 0;
  for (const ch of text) {
    if (n >= codePoints) break;
    units += ch.length;
    n++;
  }
  return units;
}
