/**
 * Text for a task's published data (ipyparallel.datapub): a progress bar for its Tasks row and the
 * timeline, and its other keys for tooltips and the Show Data view. Pure (no `vscode`).
 */
import type { TaskSummary } from '../../shared/protocol';

const CELLS = 10;
const TOOLTIP_KEYS = 12;
const VALUE_CHARS = 80;

/** `▰▰▰▱▱▱▱▱▱▱ 30%` for progress in [0, 1]. */
export function progressBar(progress: number): string {
  const p = Math.min(1, Math.max(0, progress));
  const full = Math.round(p * CELLS);
  return `${'\u25b0'.repeat(full)}${'\u25b1'.repeat(CELLS - full)} ${Math.round(p * 100)}%`;
}

/** A published value on one line, cut to `max` characters. */
export function dataValue(v: unknown, max = VALUE_CHARS): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  const line = s.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}\u2026` : line;
}

/** The published keys other than progress, as `key = value` lines (the first few, then a count). */
export function dataLines(t: Pick<TaskSummary, 'data'>, maxKeys = TOOLTIP_KEYS): string[] {
  const entries = Object.entries(t.data ?? {}).filter(([k]) => k !== 'progress');
  const lines = entries.slice(0, maxKeys).map(([k, v]) => `${k} = ${dataValue(v)}`);
  if (entries.length > maxKeys) lines.push(`\u2026 and ${entries.length - maxKeys} more (Show Data)`);
  return lines;
}

/** The whole of a task's published data, as a document for the Show Data view. */
export function dataDocument(t: Pick<TaskSummary, 'msgId' | 'engineId' | 'state' | 'data' | 'progress'>, title: string): string {
  const head = [`// Data published by ${title}`, `// task ${t.msgId}, engine ${t.engineId ?? 'unassigned'}, ${t.state}`];
  if (t.progress !== undefined) head.push(`// progress ${progressBar(t.progress)}`);
  return `${head.join('\n')}\n${JSON.stringify(t.data ?? {}, null, 2)}\n`;
}
