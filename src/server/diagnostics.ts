/**
 * Remote-error diagnostics: when a run sent from a document fails, a diagnostic at the failing line of
 * that document, saying what failed and on which engines. Per document the diagnostics are kept per run:
 * - a failing run replaces the diagnostics of earlier runs whose lines overlap its own;
 * - a run that completes clean clears those of the runs it overlaps (the same code, now fixed);
 * - any edit of the document clears all of its diagnostics (the line numbers no longer hold).
 */
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { TaskInfo } from '../core/client/types';
import { codeLines as splitCode, linesHash } from '../core/codeHash';
import type { RunRecord } from './runs';
import { cellLineToCodeLine, evalueTail, isInterruption, leadingBlankLines, locateInCell } from './traceback';
import { message } from '../core/messages';

export const DIAGNOSTIC_SOURCE = 'ipyparallel';

export interface DiagnosticsHost {
  enabled(): boolean;
  document(uri: string): TextDocument | undefined;
  publish(uri: string, diagnostics: Diagnostic[]): void;
}

interface Entry {
  first: number;
  last: number;
  diagnostics: Diagnostic[];
}

/** "on engine 0", "on engines 0, 1", "on a load-balanced engine". */
export function enginesPhrase(ids: readonly (number | undefined)[]): string {
  const known = [...new Set(ids.filter((i): i is number => i !== undefined))].sort((a, b) => a - b);
  const unknown = ids.length - ids.filter((i) => i !== undefined).length;
  const parts: string[] = [];
  if (known.length === 1) parts.push(message('engineN', known[0]));
  else if (known.length > 1) parts.push(message('enginesN', known.join(', ')));
  if (unknown > 0) {
    parts.push(unknown === 1 ? (known.length === 0 ? message('aLoadBalancedEngine') : message('oneLoadBalancedEngine')) : message('nLoadBalancedEngines', unknown));
  }
  return message('onEngines', parts.length === 2 ? message('enginesJoin', parts[0], parts[1]) : parts.join(''));
}

/** An evalue in a diagnostic is cut to this many characters (a message, not a dump). */
export const MAX_DIAGNOSTIC_EVALUE = 2000;

/**
 * The evalue without the `(4058.py, line 2)` that Python appends to SyntaxErrors (the line is shown),
 * cut to MAX_DIAGNOSTIC_EVALUE. The suffix is looked for in the evalue's tail only, with an anchored
 * pattern, so a hostile evalue (megabytes of spaces) costs linear time.
 */
export function cleanEvalue(ename: string, evalue: string): string {
  let text = evalue;
  if (ename.endsWith('Error')) {
    const tail = evalueTail(evalue);
    const m = /\([^()]*\.py, line \d{1,9}\)$/.exec(tail);
    if (m) text = evalue.trimEnd().slice(0, evalue.trimEnd().length - tail.length + m.index).trimEnd();
  }
  return text.length > MAX_DIAGNOSTIC_EVALUE ? message('moreCharacters', text.slice(0, MAX_DIAGNOSTIC_EVALUE), text.length - MAX_DIAGNOSTIC_EVALUE) : text;
}

/**
 * The diagnostics for a finished run's failed tasks, one per distinct (line, error), listing the engines.
 * Lines are zero-based document lines: `record.line` + the cell line - 1 (after the blank lines IPython
 * strips). An error with no frame in the cell (scheduler, hub) lands on the code's first line.
 */
export function diagnosticsForRun(record: RunRecord, tasks: readonly TaskInfo[], doc?: TextDocument): Diagnostic[] {
  const base = record.line ?? 0;
  const code = record.run.code;
  const codeLines = code.split(/\r?\n/);
  const groups = new Map<string, { line: number; task: TaskInfo; engines: (number | undefined)[] }>();
  for (const t of tasks) {
    if (t.state !== 'error' || !t.error) continue;
    const loc = locateInCell(t.error, t.executionCount);
    const codeLine = (loc && cellLineToCodeLine(code, loc.line, loc.source)) ?? leadingBlankLines(codeLines);
    const key = `${codeLine}\u0000${t.error.ename}\u0000${t.error.evalue}`;
    const g = groups.get(key);
    if (g) g.engines.push(t.engineId);
    else groups.set(key, { line: codeLine, task: t, engines: [t.engineId] });
  }
  const out: Diagnostic[] = [];
  for (const { line, task, engines } of groups.values()) {
    const err = task.error as NonNullable<TaskInfo['error']>;
    const docLine = base + line;
    const text = doc && docLine < doc.lineCount ? lineText(doc, docLine) : (codeLines[line] ?? '');
    const startChar = text.length - text.trimStart().length;
    const evalue = cleanEvalue(err.ename, err.evalue);
    out.push({
      range: { start: { line: docLine, character: startChar }, end: { line: docLine, character: Math.max(startChar, text.trimEnd().length) } },
      severity: isInterruption(err.ename) ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error,
      source: DIAGNOSTIC_SOURCE,
      code: err.ename,
      message: evalue ? message('diagnostic', err.ename, evalue, enginesPhrase(engines)) : message('diagnosticNoValue', err.ename, enginesPhrase(engines)),
      data: { runId: record.run.id, msgIds: tasks.filter((t) => t.state === 'error').map((t) => t.msgId) },
    });
  }
  return out.sort((a, b) => a.range.start.line - b.range.start.line);
}

function lineText(doc: TextDocument, line: number): string {
  return doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
}

/** True when the document still holds the code at the run's line (so a mapped line is still right). */
export function documentStillMatches(doc: TextDocument, record: RunRecord): boolean {
  const first = record.line ?? 0;
  if (record.codeHash !== undefined) return hashStillMatches(doc, first, record.codeHash, splitCode(record.run.code).length);
  if (record.version === undefined || doc.version === record.version) return true;
  const lines = splitCode(record.run.code);
  if (first + lines.length > doc.lineCount) return false;
  return lines.every((l, i) => lineText(doc, first + i).trim() === l.trim()); // the editor may dedent
}

/** A re-attached run's check: the document's `count` lines at `first` hash as the code did when it was sent. */
function hashStillMatches(doc: TextDocument, first: number, hash: string, count: number): boolean {
  if (first + count > doc.lineCount) return false;
  return linesHash(Array.from({ length: count }, (_, i) => lineText(doc, first + i))) === hash;
}

export class DiagnosticsManager {
  #byUri = new Map<string, Map<string, Entry>>();

  constructor(private readonly host: DiagnosticsHost) {}

  /** Called once per run, when all its tasks are terminal. */
  runFinished(record: RunRecord, tasks: readonly TaskInfo[]): void {
    const uri = record.uri;
    if (!uri || !this.host.enabled()) return;
    const doc = this.host.document(uri);
    if (doc && !documentStillMatches(doc, record)) return;
    const failed = tasks.some((t) => t.state === 'error');
    const clean = tasks.length > 0 && tasks.every((t) => t.state === 'done');
    if (!failed && !clean) return; // aborted or lost: says nothing about the code
    const first = record.line ?? 0;
    const last = first + Math.max(0, record.run.code.replace(/\r?\n$/, '').split(/\r?\n/).length - 1);
    const entries = this.#byUri.get(uri) ?? new Map<string, Entry>();
    let changed = false;
    for (const [runId, e] of entries) {
      if (e.first <= last && first <= e.last) {
        entries.delete(runId);
        changed = true;
      }
    }
    if (failed) {
      entries.set(record.run.id, { first, last, diagnostics: diagnosticsForRun(record, tasks, doc) });
      changed = true;
    }
    if (!changed) return;
    if (entries.size) this.#byUri.set(uri, entries);
    else this.#byUri.delete(uri);
    this.#publish(uri);
  }

  /** The document was edited: its diagnostics no longer point at the right lines. */
  documentChanged(uri: string): void {
    if (!this.#byUri.has(uri)) return;
    this.#byUri.delete(uri);
    this.host.publish(uri, []);
  }

  clearAll(): void {
    for (const uri of [...this.#byUri.keys()]) this.documentChanged(uri);
  }

  /** What is published for a document now (for tests and ipp clients). */
  current(uri: string): Diagnostic[] {
    return [...(this.#byUri.get(uri)?.values() ?? [])].flatMap((e) => e.diagnostics);
  }

  #publish(uri: string): void {
    this.host.publish(uri, this.current(uri));
  }
}
