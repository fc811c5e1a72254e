/**
 * What a measurement produces (rows of samples per metric and client) and how a row is judged against
 * its target. Ratios are always ours / Python's, median against median.
 */
import { median, min } from './stats';

export type ClientName = 'core' | 'lsp' | 'python' | 'python (apply)' | 'server' | 'extension';

export type Target =
  /** ours / vs (median against median) compared with `value`; `metric` names another metric's row of `vs`. */
  | { kind: 'ratio'; op: '>=' | '<='; value: number; vs: ClientName; metric?: string }
  /** median minus the median of client `vs`, in the row's unit. */
  | { kind: 'delta'; op: '<='; value: number; vs: ClientName }
  /** the median itself. */
  | { kind: 'absolute'; op: '<' | '<=' | '=='; value: number };

export interface Row {
  /** Metric title as printed, e.g. "latency, one execute on one engine". */
  metric: string;
  client: ClientName;
  unit: string;
  /** One value per repetition. */
  values: number[];
  /** Compare against this client's row of the same metric for the ratio column (normally python). */
  ratioVs?: ClientName;
  target?: Target;
  /** Extra facts for the notes under the table. */
  note?: string;
  /** What to profile when this row misses its target. */
  profile?: 'latency' | 'lb' | 'all' | 'connect' | 'big';
}

export type Verdict = 'pass' | 'miss' | 'info' | 'failed';

export interface Judged extends Row {
  min: number;
  median: number;
  ratio?: number;
  verdict: Verdict;
  targetText: string;
}

function compare(op: '>=' | '<=' | '<' | '==', a: number, b: number): boolean {
  switch (op) {
    case '>=': return a >= b;
    case '<=': return a <= b;
    case '<': return a < b;
    case '==': return a === b;
  }
}

function find(rows: readonly Row[], metric: string, client: ClientName): Row | undefined {
  return rows.find((r) => r.metric === metric && r.client === client);
}

export function targetText(t: Target | undefined): string {
  if (!t) return '—';
  switch (t.kind) {
    case 'ratio': return `${t.op === '>=' ? '≥' : '≤'} ${t.value}× ${t.metric ? `${t.vs}'s ${t.metric.split(',')[0]}` : t.vs}`;
    case 'delta': return `≤ ${t.vs} + ${t.value}`;
    case 'absolute': return `${t.op === '==' ? '=' : t.op === '<' ? '<' : '≤'} ${t.value}`;
  }
}

/** Adds min, median, ratio and verdict to every row. A row without values (its client failed) is 'failed'. */
export function judge(rows: readonly Row[]): Judged[] {
  return rows.map((r) => {
    const m = median(r.values);
    const ref = r.ratioVs ? find(rows, r.metric, r.ratioVs) : undefined;
    const refMedian = ref ? median(ref.values) : NaN;
    const ratio = ref && Number.isFinite(refMedian) && refMedian !== 0 ? m / refMedian : undefined;
    let verdict: Verdict = 'info';
    const t = r.target;
    if (r.values.length === 0) verdict = 'failed';
    else if (t?.kind === 'ratio') {
      const tr = find(rows, t.metric ?? r.metric, t.vs);
      const base = tr ? median(tr.values) : NaN;
      verdict = Number.isFinite(base) && base !== 0 ? (compare(t.op, m / base, t.value) ? 'pass' : 'miss') : 'failed';
    } else if (t?.kind === 'delta') {
      const tr = find(rows, r.metric, t.vs);
      const base = tr ? median(tr.values) : NaN;
      verdict = Number.isFinite(base) ? (compare(t.op, m - base, t.value) ? 'pass' : 'miss') : 'failed';
    } else if (t?.kind === 'absolute') {
      verdict = compare(t.op, m, t.value) ? 'pass' : 'miss';
    }
    return { ...r, min: min(r.values), median: m, ratio, verdict, targetText: targetText(t) };
  });
}

/** Numbers with about three significant digits; integers stay whole. */
export function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  if (Number.isInteger(n)) return String(n);
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

export function markdownTable(rows: readonly Judged[]): string {
  const head = ['metric', 'client', 'min', 'median', 'ratio vs Python', 'target', 'result'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    const ratio = r.ratio === undefined ? (r.client === r.ratioVs ? '1.00' : '—') : `${r.ratio.toFixed(2)}×`;
    const result = r.verdict === 'pass' ? 'pass' : r.verdict === 'miss' ? '**miss**' : r.verdict === 'failed' ? '**failed**' : '—';
    lines.push(`| ${r.metric} (${r.unit}) | ${r.client} | ${fmt(r.min)} | ${fmt(r.median)} | ${ratio} | ${r.targetText} | ${result} |`);
  }
  return lines.join('\n');
}
