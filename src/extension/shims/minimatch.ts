/**
 * What vscode-languageclient needs of `minimatch` (3 KiB bundled, instead of minimatch, brace-expansion and
 * balanced-match's 29): `new Minimatch(glob, { dot, nocase, noext }).match(path)`, and `makeRe()` as a
 * validity check. The client matches the glob patterns of the Language Server Protocol with it (document
 * and notebook filters with a `pattern`, file-operation filters): `*` and `?` within a path segment, `**`
 * for any number of segments, `{a,b}` alternatives (nested), `[abc]`, `[a-z]` and `[!a]` classes, `\`
 * escapes, and minimatch's leading `!` (negation) and `#` (comment). Matching follows minimatch's own
 * algorithm (matchOne): segment by segment, `**` swallowing segments, and dot files matched only by a
 * pattern segment that starts with "." unless `dot` is set (never "." or ".."). Not read: extglobs such
 * as `+(a|b)`, POSIX classes such as `[[:alpha:]]` and numeric ranges such as `{1..3}`, which the protocol
 * does not define. test/unit/shims.test.ts compares it with minimatch on a table of patterns and paths.
 * The language bundle (dist/server.js) aliases `minimatch` here (scripts/build.mjs).
 */
export interface MinimatchOptions {
  dot?: boolean;
  nocase?: boolean;
  noext?: boolean;
}

const GLOBSTAR = Symbol('globstar');
type Part = string | RegExp | typeof GLOBSTAR;

export class Minimatch {
  readonly negate: boolean;
  readonly comment: boolean;
  readonly set: Part[][];
  readonly #empty: boolean;

  constructor(
    readonly pattern: string,
    readonly options: MinimatchOptions = {},
  ) {
    let p = pattern;
    let negations = 0;
    while (p.charAt(negations) === '!') negations++;
    p = p.slice(negations);
    this.negate = negations % 2 === 1;
    this.comment = p.startsWith('#');
    this.#empty = p === '';
    this.set = this.comment || this.#empty ? [] : expandBraces(p).map((alt) => alt.split(/\/+/).map((seg) => this.#part(seg)));
  }

  /** A regular expression for the whole pattern, or false for a comment (the client's validity check). */
  makeRe(): RegExp | false {
    if (this.comment || (this.#empty && !this.negate)) return false;
    const seg = (p: Part) => (p === GLOBSTAR ? '.*' : typeof p === 'string' ? escapeRe(p) : p.source.slice(1, -1));
    const body = this.set.map((parts) => parts.map(seg).join('\\/')).join('|');
    const re = this.negate ? `^(?!(?:${body})$).*$` : `^(?:${body})$`;
    return new RegExp(re, this.options.nocase ? 'i' : '');
  }

  match(path: string): boolean {
    if (this.comment) return false;
    if (this.#empty) return path === '';
    const file = (process.platform === 'win32' ? path.split('\\').join('/') : path).split(/\/+/);
    const hit = this.set.some((parts) => this.#matchOne(file, parts));
    return hit !== this.negate;
  }

  #matchOne(file: string[], pattern: Part[]): boolean {
    let fi = 0;
    let pi = 0;
    for (; fi < file.length && pi < pattern.length; fi++, pi++) {
      const p = pattern[pi];
      const f = file[fi];
      if (p === GLOBSTAR) {
        if (pi + 1 === pattern.length) return file.slice(fi).every((s) => !this.#hidden(s));
        for (let fr = fi; fr < file.length; fr++) {
          if (this.#matchOne(file.slice(fr), pattern.slice(pi + 1))) return true;
          if (this.#hidden(file[fr])) break;
        }
        return false;
      }
      const hit = typeof p === 'string' ? (this.options.nocase ? f.toLowerCase() === p.toLowerCase() : f === p) : p.test(f);
      if (!hit) return false;
    }
    if (fi === file.length && pi === pattern.length) return true;
    // A trailing slash in the path: its last part is ''.
    return pi === pattern.length && fi === file.length - 1 && file[fi] === '';
  }

  /** A segment `**` does not cross. */
  #hidden(segment: string): boolean {
    return segment === '.' || segment === '..' || (!this.options.dot && segment.startsWith('.'));
  }

  #part(segment: string): Part {
    if (segment === '**') return GLOBSTAR;
    let re = '';
    let literal = '';
    let magic = false;
    for (let i = 0; i < segment.length; i++) {
      const c = segment[i];
      if (c === '\\' && i + 1 < segment.length) {
        literal += segment[++i];
        re += escapeRe(segment[i]);
      } else if (c === '*' || c === '?') {
        magic = true;
        re += c === '?' ? '[^/]' : segment === '*' ? '[^/]+?' : '[^/]*?';
      } else if (c === '[' && classEnd(segment, i) > 0) {
        const end = classEnd(segment, i);
        const negated = segment[i + 1] === '!' || segment[i + 1] === '^';
        const body = segment.slice(i + (negated ? 2 : 1), end).replace(/\\(.)/g, '$1').replace(/[\\\]^]/g, '\\$&');
        magic = true;
        re += `[${negated ? '^' : ''}${body}]`;
        i = end;
      } else {
        literal += c;
        re += escapeRe(c);
      }
    }
    if (!magic) return literal;
    const guard = segment.startsWith('.') ? '' : this.options.dot ? '(?!\\.\\.?$)' : '(?!\\.)';
    return new RegExp(`^${guard}${re}$`, this.options.nocase ? 'i' : '');
  }
}

/** Index of the `]` closing the class opened at `start`, or -1 (then `[` is literal). */
function classEnd(s: string, start: number): number {
  let i = start + 1;
  if (s[i] === '!' || s[i] === '^') i++;
  if (s[i] === ']') i++;
  for (; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ']') return i;
  }
  return -1;
}

function escapeRe(s: string): string {
  return s.replace(/[-[\]{}()*+?.,\\^$|#\s/]/g, '\\$&');
}

/** `a{b,c{d,e}}f` -> [abf, acdf, acef]; a group without a top-level comma, or unclosed, stays literal. */
export function expandBraces(p: string): string[] {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\') {
      i++;
      continue;
    }
    if (p[i] !== '{') continue;
    const commas: number[] = [];
    let depth = 0;
    for (let j = i; j < p.length; j++) {
      if (p[j] === '\\') j++;
      else if (p[j] === '{') depth++;
      else if (p[j] === ',' && depth === 1) commas.push(j);
      else if (p[j] === '}' && --depth === 0) {
        if (commas.length === 0) break;
        const bounds = [i, ...commas, j];
        const rest = expandBraces(p.slice(j + 1));
        return bounds.slice(0, -1).flatMap((b, k) => expandBraces(p.slice(0, i) + p.slice(b + 1, bounds[k + 1])).flatMap((head) => rest.map((r) => head + r)));
      }
    }
  }
  return [p];
}
