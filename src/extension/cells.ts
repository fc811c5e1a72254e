/**
 * `# %%` cells in a Python file (the convention of the Python and Jupyter extensions, Spyder and
 * VS Code's interactive window). Pure: works on an array of lines, so it is unit tested in plain Node.
 */

/** A line that starts a cell: `# %%`, `#%%`, `# %% [markdown]`, `# %% title`. */
const CELL_MARKER = /^\s*#\s*%%/;
const MARKDOWN = /^\s*#\s*%%\s*\[markdown\]/i;

export interface Cell {
  /** The marker line, or 0 for the code before the first marker. */
  markerLine: number;
  /** Whether markerLine is a real `# %%` line (false for the code before the first marker). */
  hasMarker: boolean;
  /** First and last line of the cell's body (inclusive); start > end when the body is empty. */
  start: number;
  end: number;
  /** The text after `# %%`, trimmed. */
  title: string;
  markdown: boolean;
}

export function isCellMarker(line: string): boolean {
  return CELL_MARKER.test(line);
}

/**
 * Every cell of the document. The code before the first marker is a cell when it has anything but
 * blank lines; a file without markers has no cells.
 */
export function findCells(lines: readonly string[]): Cell[] {
  const markers: number[] = [];
  lines.forEach((l, i) => {
    if (isCellMarker(l)) markers.push(i);
  });
  if (!markers.length) return [];
  const cells: Cell[] = [];
  if (markers[0] > 0 && lines.slice(0, markers[0]).some((l) => l.trim() !== '')) {
    cells.push({ markerLine: 0, hasMarker: false, start: 0, end: markers[0] - 1, title: '', markdown: false });
  }
  markers.forEach((m, k) => {
    const next = k + 1 < markers.length ? markers[k + 1] : lines.length;
    const title = lines[m].replace(CELL_MARKER, '').replace(/^\s*\[markdown\]/i, '').trim();
    cells.push({ markerLine: m, hasMarker: true, start: m + 1, end: next - 1, title, markdown: MARKDOWN.test(lines[m]) });
  });
  return cells;
}

/** The cell containing `line` (a marker line belongs to the cell it starts). */
export function cellAt(lines: readonly string[], line: number): Cell | undefined {
  return findCells(lines).find((c) => line >= c.markerLine && line <= Math.max(c.end, c.markerLine));
}

/**
 * The code of a cell without leading and trailing blank lines, and the document line of its first line
 * (so tracebacks map back to the document).
 */
export function cellCode(lines: readonly string[], cell: Cell): { code: string; line: number } {
  let start = cell.start;
  let end = cell.end;
  while (start <= end && lines[start].trim() === '') start++;
  while (end >= start && lines[end].trim() === '') end--;
  if (start > end) return { code: '', line: cell.start };
  return { code: lines.slice(start, end + 1).join('\n'), line: start };
}

/**
 * What Run Selection runs: the selected lines' text, or the current line when nothing is selected.
 * Leading indentation common to every line is removed so an indented block runs on its own.
 */
export function dedent(code: string): string {
  const lines = code.split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
  const common = indents.length ? Math.min(...indents) : 0;
  return common ? lines.map((l) => l.slice(Math.min(common, /^[ \t]*/.exec(l)![0].length))).join('\n') : code;
}
