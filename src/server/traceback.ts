/**
 * Reading IPython tracebacks: strip the ANSI colours, find the frames of the executed cell, and map the
 * failing line back to the document the code came from.
 *
 * Shapes seen from real engines (PROTOCOL.md §5.5; ipyparallel 7.1, ipykernel 6.17, IPython 8.5, and the
 * older and newer spellings that other installs print):
 *   Cell In [3], line 5            IPython 8.5 (8.6+ writes `Cell In[3], line 5`), optionally `, in f(x)`
 *   Input In [3], in <cell line: 5>()   IPython 8.0-8.4; the line is on the `---->` arrow line
 *   <ipython-input-3-0a1b2c> in <module>     IPython 7; line on the arrow
 *   /tmp/ipykernel_123/4058.py in <module>   IPython 7 under ipykernel 6; line on the arrow
 * and for a SyntaxError, a block whose first line names the cell and the line (`  Cell In [3], line 2`,
 * `  File "<ipython-input-3-..>", line 2`), followed by the source line and a caret.
 */

// CSI sequences (colours, cursor moves) and OSC sequences (hyperlinks) that IPython may emit.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** One frame of a traceback. `cell` identifies the cell (its execution count, or its file name). */
export interface TracebackFrame {
  /** Set for frames in IPython cells; undefined for library files. */
  cell?: string;
  /** 1-based line within the cell (or file), when known. */
  line?: number;
  file?: string;
  function?: string;
  /** The failing line's source text as displayed (after the `---->` arrow), when shown. */
  source?: string;
}

export interface ParsedTraceback {
  /** Frames of the last (outermost-printed) exception, outermost first. */
  frames: TracebackFrame[];
  /** Set for SyntaxError-style reports: where the parser stopped. */
  syntax?: TracebackFrame;
}

const CELL_IN = /^\s*Cell In ?\[(\d+)\], line (\d+)(?:, in (.+))?/;
const INPUT_IN = /^\s*Input In ?\[(\d+)\](?:, in (.+))?/;
const IPYTHON_INPUT = /<ipython-input-(\d+)-[0-9a-f]+>"?(?:, line (\d+)|:(\d+))?(?:,? in (.+))?/;
const KERNEL_FILE = /((?:\/|\\|^)ipykernel_\d+[/\\]\d+\.py)"?(?:, line (\d+)|:(\d+))?(?:,? in (.+))?/;
const FILE_NEW = /^\s*File (.+?):(\d+)(?:, in (.+))?$/; // IPython 8: `File /x/y.py:346, in loads(s)`
const FILE_PY = /^\s*File "(.+?)", line (\d+)(?:, in (.+))?/; // plain Python / SyntaxError blocks
const FILE_OLD = /^(\/\S+|[A-Za-z]:\\\S+|<\S+>) in (.+)$/; // IPython 7: `/usr/lib/x.py in loads(s)`
const ARROW = /^\s*-+>\s*(\d+)(?: (.*))?$/;
const CHAIN = /^(During handling of the above exception|The above exception was the direct cause)/;
const SYNTAX_ENAMES = new Set(['SyntaxError', 'IndentationError', 'TabError']);

function header(line: string): TracebackFrame | undefined {
  let m = CELL_IN.exec(line);
  if (m) return { cell: m[1], line: Number(m[2]), function: m[3] };
  m = INPUT_IN.exec(line);
  if (m) return { cell: m[1], function: m[2] };
  m = IPYTHON_INPUT.exec(line);
  if (m) return { cell: m[1], line: num(m[2] ?? m[3]), function: m[4] };
  m = KERNEL_FILE.exec(line);
  if (m) return { cell: m[1].replace(/^[/\\]/, ''), line: num(m[2] ?? m[3]), function: m[4] };
  m = FILE_PY.exec(line) ?? FILE_NEW.exec(line);
  if (m) return { file: m[1], line: Number(m[2]), function: m[3] };
  m = FILE_OLD.exec(line);
  if (m) return { file: m[1], function: m[2] };
  return undefined;
}

function num(s: string | undefined): number | undefined {
  return s === undefined ? undefined : Number(s);
}

/**
 * Bounds on engine text before any regex sees it (text from the network is hostile and unbounded): each
 * traceback entry is cut to its first MAX_ENTRY_CHARS, each line to MAX_LINE_CHARS, and only the last
 * MAX_LINES lines are read. Real headers and arrow lines are far shorter, and the frames that matter are
 * at the end. An evalue is read only in its last MAX_EVALUE_TAIL characters (where Python's suffix is).
 */
export const MAX_ENTRY_CHARS = 64 * 1024;
export const MAX_LINE_CHARS = 1000;
export const MAX_LINES = 400;
const MAX_EVALUE_TAIL = 300;

/** The traceback's lines, ANSI stripped, within the bounds above. */
export function boundedLines(traceback: readonly string[]): string[] {
  const entries = traceback.slice(-MAX_LINES).map((e) => (e.length > MAX_ENTRY_CHARS ? e.slice(0, MAX_ENTRY_CHARS) : e));
  return stripAnsi(entries.join('\n'))
    .split('\n')
    .slice(-MAX_LINES)
    .map((l) => (l.length > MAX_LINE_CHARS ? l.slice(0, MAX_LINE_CHARS) : l));
}

/** Parses a traceback (the `traceback` list of an error reply, ANSI codes included), within bounds. */
export function parseTraceback(traceback: readonly string[], ename = ''): ParsedTraceback {
  const lines = boundedLines(traceback);
  // A chained exception prints the cause first; the frames that matter are those of the last section.
  let start = 0;
  lines.forEach((l, i) => {
    if (CHAIN.test(l)) start = i + 1;
  });
  const frames: TracebackFrame[] = [];
  const headerAt: number[] = [];
  let current: TracebackFrame | undefined;
  for (let i = start; i < lines.length; i++) {
    const text = lines[i];
    const h = header(text);
    if (h) {
      current = h;
      frames.push(h);
      headerAt.push(i);
      continue;
    }
    const arrow = current && ARROW.exec(text);
    if (current && arrow) {
      current.line = Number(arrow[1]);
      current.source = arrow[2] ?? '';
    }
  }
  const result: ParsedTraceback = { frames };
  if (isSyntaxReport(lines, ename)) {
    // The last block's header names where parsing stopped; the next non-empty line is the source.
    const k = frames.length - 1;
    if (k >= 0 && frames[k].line !== undefined) {
      const src = lines.slice(headerAt[k] + 1).find((l) => l.trim() !== '');
      const shown = src !== undefined && !/^\s*\^+\s*$/.test(src) && !/^\w*(Error|Exception)\b/.test(src.trim());
      result.syntax = { ...frames[k], source: shown ? src.trim() : undefined };
    }
  }
  return result;
}

/** A parser error prints one block (where, source, caret, message), not a call stack. */
function isSyntaxReport(lines: string[], ename: string): boolean {
  if (lines.some((l) => /Traceback \(most recent call last\)/.test(l))) return false;
  return SYNTAX_ENAMES.has(ename) || lines.some((l) => /^(SyntaxError|IndentationError|TabError)\b/.test(l.trim()));
}

/** The `(file.py, line N)` suffix Python adds to a SyntaxError's evalue (read in the evalue's tail only). */
export function syntaxLineFromEvalue(evalue: string): number | undefined {
  const m = /\(([^()]*), line (\d{1,9})\)$/.exec(evalueTail(evalue));
  return m ? Number(m[2]) : undefined;
}

/**
 * The last characters of an evalue without trailing white space: where Python's `(file, line N)` suffix
 * is. Trimming first (linear) keeps `\s*$` out of the patterns, which made them quadratic on long runs
 * of spaces.
 */
export function evalueTail(evalue: string): string {
  const end = evalue.trimEnd();
  return end.length > MAX_EVALUE_TAIL ? end.slice(-MAX_EVALUE_TAIL) : end;
}

export interface CellLocation {
  /** 1-based line within the executed code as IPython numbered it. */
  line: number;
  /** The source text IPython displayed for that line, when it did. */
  source?: string;
  /** The outer lines of the same cell that led to it (call sites), outermost first. */
  callers: number[];
}

/**
 * Where in the executed cell the error happened: the innermost frame that belongs to the executed cell
 * (a function defined in the cell and called from it fails inside the function), or the SyntaxError
 * position. `executionCount` picks the cell when known; otherwise the first cell frame is the executed one
 * (a traceback starts at the top-level code). Undefined when no frame is in the cell (e.g. scheduler errors).
 */
export function locateInCell(
  error: { ename: string; evalue: string; traceback: readonly string[] },
  executionCount?: number,
): CellLocation | undefined {
  const parsed = parseTraceback(error.traceback, error.ename);
  if (parsed.syntax?.cell !== undefined && parsed.syntax.line !== undefined) {
    return { line: parsed.syntax.line, source: parsed.syntax.source, callers: [] };
  }
  const cells = parsed.frames.filter((f) => f.cell !== undefined && f.line !== undefined);
  if (cells.length > 0) {
    const wanted = executionCount !== undefined && cells.some((f) => f.cell === String(executionCount)) ? String(executionCount) : cells[0].cell;
    const ours = cells.filter((f) => f.cell === wanted);
    const last = ours[ours.length - 1];
    return { line: last.line as number, source: last.source, callers: ours.slice(0, -1).map((f) => f.line as number) };
  }
  if (SYNTAX_ENAMES.has(error.ename)) {
    const line = syntaxLineFromEvalue(error.evalue);
    if (line !== undefined) return { line, callers: [] };
  }
  return undefined;
}

/** IPython drops leading blank lines before numbering a cell (`leading_empty_lines`). */
export function leadingBlankLines(codeLines: readonly string[]): number {
  let n = 0;
  while (n < codeLines.length - 1 && codeLines[n].trim() === '') n++;
  return n;
}

/**
 * Maps a 1-based cell line to a 0-based line of the code as sent, allowing for the blank lines IPython
 * stripped. When IPython displayed the line's source, the mapping is checked against it (an IPython that
 * does not strip blank lines numbers from the first line as sent). Undefined when out of range.
 */
export function cellLineToCodeLine(code: string, cellLine: number, source?: string): number | undefined {
  const codeLines = code.split(/\r?\n/);
  const skipped = leadingBlankLines(codeLines);
  const candidates = [skipped + cellLine - 1, cellLine - 1].filter((i) => i >= 0 && i < codeLines.length);
  if (candidates.length === 0) return undefined;
  if (source !== undefined && source.trim() !== '') {
    const hit = candidates.find((i) => codeLines[i].trim() === source.trim());
    if (hit !== undefined) return hit;
  }
  return candidates[0];
}

/** Python's own name for a failure caused by user interruption rather than by the code. */
export function isInterruption(ename: string): boolean {
  return ename === 'KeyboardInterrupt';
}
