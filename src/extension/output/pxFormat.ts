/**
 * Pure formatting of cluster output in ipyparallel's own `%px` style (no `vscode` here):
 *
 *     [stdout:0] hello            one line: inline; several lines: the prefix on a line of its own
 *     [stderr:1] warning
 *     [output:2] <text/plain of a display_data>
 *     Out[3:5]: 42                execute_result of engine 3, execution count 5
 *     [0:execute]:                before an engine's traceback (ANSI codes stripped)
 *
 * Outputs that are identical on several engines are shown once, with the engine list:
 * `[stdout:0-3]`, `Out[0,2:5]:`, `[1-2:execute]:`. Groups are ordered as ipyparallel orders them
 * (all stdout, then stderr, display outputs, results, errors) and by lowest engine id within a kind.
 */
import type { OutputItem, Targets, TaskState } from '../../core/client/types';
import { l10n } from '../l10n';

/** One output of one engine, as ipp/output notifications and ipp/wait results carry them. */
export interface EngineOutput {
  /** undefined while a load-balanced task has no engine yet. */
  engineId?: number;
  output: OutputItem;
}

// CSI sequences (colours, cursor), OSC sequences (hyperlinks, titles), and lone two-byte escapes.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** Removes ANSI escape sequences (IPython colours its tracebacks). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** `[0,1,2,3,5,7,8]` -> `0-3,5,7-8`; unknown engines (undefined) come last as `?`. */
export function formatEngineList(ids: readonly (number | undefined)[]): string {
  const known = [...new Set(ids.filter((i): i is number => i !== undefined))].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < known.length; ) {
    let j = i;
    while (j + 1 < known.length && known[j + 1] === known[j] + 1) j++;
    parts.push(j === i ? `${known[i]}` : j === i + 1 ? `${known[i]},${known[j]}` : `${known[i]}-${known[j]}`);
    i = j + 1;
  }
  if (ids.some((i) => i === undefined)) parts.push('?');
  return parts.join(',');
}

/** Human label of a run's targets. */
export function formatTargets(targets: Targets): string {
  if (targets === 'all') return l10n.t('all engines');
  if (targets === 'balanced') return l10n.t('load-balanced');
  return targets.length === 1 ? l10n.t('engine {0}', targets[0]) : l10n.t('engines {0}', formatEngineList(targets));
}

/** `950 ms`, `2.4 s`, `1 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const total = Math.floor(s);
  const min = Math.floor(total / 60);
  if (min < 60) return `${min} min ${String(total % 60).padStart(2, '0')} s`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}

/** The text/plain of a mime bundle, or a short description of what it holds. */
export function plainText(data: Record<string, unknown>): string {
  const text = data['text/plain'];
  if (typeof text === 'string') return text;
  if (Array.isArray(text)) return text.join('');
  const mimes = Object.keys(data);
  return mimes.length ? `<${mimes.join(', ')}>` : '';
}

export function hasImage(data: Record<string, unknown>): boolean {
  return typeof data['image/png'] === 'string';
}

/** The traceback of an error output as plain text (ANSI stripped), or `ename: evalue` if it has none. */
export function tracebackText(err: { ename: string; evalue: string; traceback: string[] }): string {
  const lines = err.traceback.map(stripAnsi).join('\n').trimEnd();
  return lines || `${err.ename}: ${err.evalue}`;
}

export type Kind = 'stdout' | 'stderr' | 'display' | 'result' | 'error';
const KIND_ORDER: readonly Kind[] = ['stdout', 'stderr', 'display', 'result', 'error'];

/** One output (or one engine's stream of a kind) to be grouped; `text` is what must be equal to group. */
export interface Piece {
  kind: Kind;
  engineId: number | undefined;
  text: string;
  executionCount?: number | null;
  /** Carried along into the group's members (the notebook keeps msg_ids and MIME bundles here). */
  msgId?: string;
  output?: OutputItem;
}

/** Collapses the outputs of each engine into one piece per kind (display outputs stay separate). */
function pieces(items: readonly EngineOutput[]): Piece[] {
  const streams = new Map<string, Piece>();
  const out: Piece[] = [];
  for (const { engineId, output } of items) {
    switch (output.kind) {
      case 'stream': {
        const key = `${output.name}:${engineId ?? '?'}`;
        const p = streams.get(key);
        if (p) p.text += output.text;
        else {
          const np: Piece = { kind: output.name, engineId, text: output.text };
          streams.set(key, np);
          out.push(np);
        }
        break;
      }
      case 'display_data': {
        const text = plainText(output.data);
        const img = hasImage(output.data) ? l10n.t('(image/png: see the results panel)') : '';
        out.push({ kind: 'display', engineId, text: [text, img].filter(Boolean).join(' ') });
        break;
      }
      case 'execute_result':
        out.push({ kind: 'result', engineId, text: plainText(output.data), executionCount: output.executionCount });
        break;
      case 'error':
        out.push({ kind: 'error', engineId, text: tracebackText(output) });
        break;
    }
  }
  return out;
}

export interface Group {
  kind: Kind;
  text: string;
  members: Pick<Piece, 'engineId' | 'executionCount' | 'msgId' | 'output'>[];
}

/** Groups identical pieces across engines, in %px order (by kind, then by lowest engine id). */
export function groupPieces(ps: readonly Piece[]): Group[] {
  const groups: Group[] = [];
  const byKey = new Map<string, Group>();
  for (const p of ps) {
    const key = `${p.kind}\u0000${p.text}`;
    const g = byKey.get(key);
    // One group holds one piece per engine: a second identical display from the same engine is a new group.
    const member = { engineId: p.engineId, executionCount: p.executionCount, msgId: p.msgId, output: p.output };
    if (g && !g.members.some((m) => m.engineId === p.engineId)) {
      g.members.push(member);
    } else {
      const ng: Group = { kind: p.kind, text: p.text, members: [member] };
      byKey.set(key, ng);
      groups.push(ng);
    }
  }
  const lowest = (g: Group) => Math.min(...g.members.map((m) => m.engineId ?? Number.MAX_SAFE_INTEGER));
  return groups
    .map((g, i) => ({ g, i }))
    .sort((a, b) => KIND_ORDER.indexOf(a.g.kind) - KIND_ORDER.indexOf(b.g.kind) || lowest(a.g) - lowest(b.g) || a.i - b.i)
    .map(({ g }) => g);
}

/** The prefix of a group: `[stdout:0-3]`, `[output:1]`, `Out[0,1:5]:`, `[2:execute]:`. */
export function groupLabel(kind: Kind, members: Group['members']): string {
  const engines = formatEngineList(members.map((m) => m.engineId));
  switch (kind) {
    case 'stdout':
    case 'stderr':
      return `[${kind}:${engines}]`;
    case 'display':
      return `[output:${engines}]`;
    case 'error':
      return `[${engines}:execute]:`;
    case 'result': {
      const counts = new Set(members.map((m) => m.executionCount ?? null));
      if (counts.size === 1) {
        const c = [...counts][0];
        return `Out[${engines}:${c ?? ' '}]:`;
      }
      const sorted = [...members].sort((a, b) => (a.engineId ?? Infinity) - (b.engineId ?? Infinity));
      return `Out[${sorted.map((m) => `${m.engineId ?? '?'}:${m.executionCount ?? ' '}`).join(',')}]:`;
    }
  }
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** Formats one labelled block: inline when the text is one line, else the label on a line of its own. */
export function block(label: string, text: string, kind: Kind): string {
  if (kind === 'error') return `${label}\n${ensureNewline(text)}`;
  const body = text.replace(/\n$/, '');
  if (!body.includes('\n')) return `${label} ${body}\n`;
  return `${label}\n${body}\n`;
}

export interface FormatState {
  /** The label of the last stream block written: a continuation of the same stream is written bare. */
  lastLabel?: string;
}

/**
 * Formats outputs in %px style. With a `state`, a first stream block whose label equals the last one
 * written continues it without repeating the label (as ipyparallel does when streaming); the state is
 * updated to the last label written.
 */
export function formatOutputs(items: readonly EngineOutput[], state: FormatState = {}): string {
  let out = '';
  for (const g of groupPieces(pieces(items))) {
    if (g.kind !== 'error' && g.text === '') continue;
    const label = groupLabel(g.kind, g.members);
    const isStream = g.kind === 'stdout' || g.kind === 'stderr';
    if (isStream && label === state.lastLabel) out += ensureNewline(g.text);
    else out += block(label, g.text, g.kind);
    state.lastLabel = isStream ? label : undefined;
  }
  return out;
}

/** What a run header and footer need to know about a run. */
export interface RunHeaderInfo {
  title: string;
  targets: Targets;
  created?: string;
  /** The cluster it ran on, named while several clusters are connected (`profile/cluster-id`). */
  cluster?: string;
}

function clock(iso: string | undefined): string {
  const d = iso ? new Date(iso) : undefined;
  if (!d || Number.isNaN(d.getTime())) return '';
  return d.toTimeString().slice(0, 8);
}

/** `── print(rank)  ·  all engines  ·  12:03:04 ──` */
export function formatRunHeader(run: RunHeaderInfo): string {
  const parts = [run.title || '(empty)', formatTargets(run.targets), run.cluster, clock(run.created)].filter(Boolean);
  return `── ${parts.join('  ·  ')} ──\n`;
}

export interface RunFooterInfo {
  state: TaskState;
  done: number;
  total: number;
  elapsedMs: number;
  /** Tasks that ended in error, aborted or lost, when known. */
  failed?: number;
}

/** `── done 4/4 in 0.4 s ──`, `── error: 1 of 4 failed, in 2.0 s ──` */
export function formatRunFooter(run: RunFooterInfo): string {
  const took = formatDuration(run.elapsedMs);
  const tail = took ? ` in ${took}` : '';
  if (run.state === 'done') return `── done ${run.done}/${run.total}${tail} ──\n`;
  const failed = run.failed !== undefined ? `: ${run.failed} of ${run.total} tasks` : '';
  return `── ${run.state}${failed}${tail} ──\n`;
}
