/**
 * The task timeline's data model: a task becomes a bar (wait from submitted to started, then started to
 * its end), bars sit in one lane per engine, a lane's utilisation is its busy time over a window, and the
 * webview gets only what changed (BarFeed). Pure: no `vscode`, no DOM, no Node, so the extension, the
 * webview bundle and the unit tests (test/unit/timelineBars.test.ts) all use it.
 */
import type { RunSummary, TaskState, TaskSummary } from '../../shared/protocol';

/** The lane of tasks not (yet) given to an engine. */
export const UNASSIGNED_LANE = -1;

export interface Bar {
  /** The task's msg_id. */
  id: string;
  runId?: string;
  /** Engine id, or UNASSIGNED_LANE. */
  lane: number;
  state: TaskState;
  /** ms since the epoch. */
  submitted: number;
  /** When it started; for a running task the engine has not dated yet, when we first saw it run. */
  started?: number;
  /** When it ended; absent while it runs (the bar grows to now). */
  end?: number;
  /** Another client's task, from the hub's history: drawn muted. */
  foreign?: boolean;
  /** Published progress in [0, 1]. */
  progress?: number;
  /** The code's first line (the run's title). */
  title: string;
}

const TERMINAL: ReadonlySet<TaskState> = new Set(['done', 'error', 'aborted', 'lost']);

function time(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The bar for a task. `previous` is the bar sent before, so a running task keeps the start we first saw
 * (the engine's own `started` comes with its reply); `now` dates a task seen running for the first time.
 */
export function toBar(task: TaskSummary, title: string, now: number, previous?: Bar): Bar {
  const submitted = time(task.submitted) ?? now;
  const bar: Bar = { id: task.msgId, lane: task.engineId ?? UNASSIGNED_LANE, state: task.state, submitted, title };
  if (task.runId !== undefined) bar.runId = task.runId;
  let started = time(task.started);
  if (started === undefined && task.state !== 'pending') started = previous?.started ?? (TERMINAL.has(task.state) ? undefined : now);
  const end = TERMINAL.has(task.state) ? (time(task.completed) ?? time(task.received) ?? previous?.end ?? now) : undefined;
  if (started !== undefined) bar.started = end !== undefined ? Math.min(started, end) : started;
  if (end !== undefined) bar.end = end;
  if (task.foreign) bar.foreign = true;
  if (task.progress !== undefined) bar.progress = task.progress;
  return bar;
}

/** Bars for our runs and (muted) other clients' tasks from the hub's history. */
export function barsOf(runs: readonly RunSummary[], history: readonly TaskSummary[], now: number, previous: ReadonlyMap<string, Bar>): Bar[] {
  const out: Bar[] = [];
  const seen = new Set<string>();
  for (const run of runs) {
    for (const t of run.tasks) {
      seen.add(t.msgId);
      out.push(toBar({ ...t, runId: t.runId ?? run.runId }, run.title, now, previous.get(t.msgId)));
    }
  }
  for (const t of history) {
    if (!t.foreign || seen.has(t.msgId)) continue;
    out.push(toBar(t, 'another client\u2019s task', now, previous.get(t.msgId)));
  }
  return out;
}

/** Lanes: every engine id known, ascending, then UNASSIGNED_LANE when a bar is in it. */
export function lanesOf(engineIds: Iterable<number>, bars: Iterable<Bar>): number[] {
  const ids = new Set<number>(engineIds);
  let unassigned = false;
  for (const b of bars) {
    if (b.lane === UNASSIGNED_LANE) unassigned = true;
    else ids.add(b.lane);
  }
  const out = [...ids].sort((a, b) => a - b);
  if (unassigned) out.push(UNASSIGNED_LANE);
  return out;
}

/** Busy time ÷ window length for one lane's bars over [from, to]: overlaps are counted once. */
export function utilisation(bars: Iterable<Bar>, from: number, to: number, now: number): number {
  if (!(to > from)) return 0;
  const spans: [number, number][] = [];
  for (const b of bars) {
    if (b.started === undefined) continue;
    const s = Math.max(from, b.started);
    const e = Math.min(to, b.end ?? now);
    if (e > s) spans.push([s, e]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let busy = 0;
  let curS = -Infinity;
  let curE = -Infinity;
  for (const [s, e] of spans) {
    if (s > curE) {
      if (curE > curS) busy += curE - curS;
      curS = s;
      curE = e;
    } else if (e > curE) curE = e;
  }
  if (curE > curS) busy += curE - curS;
  return Math.min(1, busy / (to - from));
}

export function sameBar(a: Bar, b: Bar): boolean {
  return (
    a.lane === b.lane &&
    a.state === b.state &&
    a.submitted === b.submitted &&
    a.started === b.started &&
    a.end === b.end &&
    a.foreign === b.foreign &&
    a.progress === b.progress &&
    a.title === b.title &&
    a.runId === b.runId
  );
}

export interface BarDiff {
  /** Bars new or changed since the last diff. */
  upserts: Bar[];
  /** Ids of bars gone since the last diff. */
  removed: string[];
}

/** Remembers what the webview holds, and answers each new full set with only its difference. */
export class BarFeed {
  #sent = new Map<string, Bar>();

  /** The bars as last sent, by id (toBar's `previous`). */
  get sent(): ReadonlyMap<string, Bar> {
    return this.#sent;
  }

  diff(bars: Iterable<Bar>): BarDiff {
    const next = new Map<string, Bar>();
    const upserts: Bar[] = [];
    for (const b of bars) {
      next.set(b.id, b);
      const old = this.#sent.get(b.id);
      if (!old || !sameBar(old, b)) upserts.push(b);
    }
    const removed: string[] = [];
    for (const id of this.#sent.keys()) if (!next.has(id)) removed.push(id);
    this.#sent = next;
    return { upserts, removed };
  }

  /** Forgets what was sent (the webview was recreated): the next diff sends everything. */
  reset(): void {
    this.#sent = new Map();
  }
}
