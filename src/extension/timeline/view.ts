/**
 * The timeline's view state, kept apart from the canvas so it is unit tested (test/unit/timelineView.test.ts):
 * the visible window (zoom at a point, pan, follow-now) and a per-lane index of bars sorted by start that
 * answers "which bars are in [from, to]" and "which bar is under this time" without scanning 10,000 bars.
 * Pure: no DOM, no `vscode`.
 */
import type { Bar } from './bars';

export interface Viewport {
  from: number;
  to: number;
  /** Keep the right edge at now (the default, until the user pans into the past). */
  follow: boolean;
}

export const MIN_SPAN_MS = 200;
export const MAX_SPAN_MS = 7 * 24 * 3600_000;
/** While following, now sits this fraction of the span from the right edge. */
export const FOLLOW_MARGIN = 0.05;

export function initialViewport(now: number, spanMs = 60_000): Viewport {
  return follow({ from: 0, to: 0, follow: true }, now, spanMs);
}

function follow(v: Viewport, now: number, span = v.to - v.from): Viewport {
  const to = now + span * FOLLOW_MARGIN;
  return { from: to - span, to, follow: true };
}

/** The window at `now`: moved along with now while following. */
export function tick(v: Viewport, now: number): Viewport {
  return v.follow ? follow(v, now) : v;
}

/** Zooms by `factor` (< 1 in, > 1 out) keeping time `at` under the pointer; following keeps following. */
export function zoomAt(v: Viewport, at: number, factor: number, now: number): Viewport {
  const span = v.to - v.from;
  const next = Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, span * factor));
  if (v.follow) return follow(v, now, next);
  const k = next / span;
  const from = at - (at - v.from) * k;
  return { from, to: from + next, follow: false };
}

/** Moves the window by `dt` ms (negative: into the past). Reaching now again resumes following. */
export function panBy(v: Viewport, dt: number, now: number): Viewport {
  const span = v.to - v.from;
  const to = v.to + dt;
  if (to >= now + span * FOLLOW_MARGIN) return follow(v, now, span);
  return { from: to - span, to, follow: false };
}

export function timeToX(v: Viewport, width: number, t: number): number {
  return ((t - v.from) / (v.to - v.from)) * width;
}

export function xToTime(v: Viewport, width: number, x: number): number {
  return v.from + (x / width) * (v.to - v.from);
}

/** Where a bar begins on the time axis (its wait included). */
const startOf = (b: Bar): number => b.submitted;
/** Where it ends, `now` while it runs. */
export const endOf = (b: Bar, now: number): number => b.end ?? now;

/** How far back from the first bar starting after `from` a scan looks for long bars that reach into it. */
const BACKSCAN = 64;

/** Bars per lane, sorted by start, re-sorted lazily after changes. */
export class LaneIndex {
  readonly #byId = new Map<string, Bar>();
  readonly #lanes = new Map<number, Bar[]>();
  readonly #dirty = new Set<number>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): Bar | undefined {
    return this.#byId.get(id);
  }

  *all(): IterableIterator<Bar> {
    yield* this.#byId.values();
  }

  clear(): void {
    this.#byId.clear();
    this.#lanes.clear();
    this.#dirty.clear();
  }

  upsert(bar: Bar): void {
    const old = this.#byId.get(bar.id);
    if (old) this.#removeFromLane(old);
    this.#byId.set(bar.id, bar);
    const list = this.#lanes.get(bar.lane) ?? [];
    if (!this.#lanes.has(bar.lane)) this.#lanes.set(bar.lane, list);
    list.push(bar);
    this.#dirty.add(bar.lane);
  }

  remove(id: string): void {
    const old = this.#byId.get(id);
    if (!old) return;
    this.#byId.delete(id);
    this.#removeFromLane(old);
  }

  #removeFromLane(bar: Bar): void {
    const list = this.#lanes.get(bar.lane);
    if (!list) return;
    const i = list.indexOf(bar);
    if (i >= 0) list.splice(i, 1);
    this.#dirty.add(bar.lane);
  }

  /** A lane's bars, sorted by start. */
  lane(lane: number): readonly Bar[] {
    const list = this.#lanes.get(lane) ?? [];
    if (this.#dirty.delete(lane)) list.sort((a, b) => startOf(a) - startOf(b));
    return list;
  }

  /** Calls `fn` for each of the lane's bars that overlap [from, to] at `now`, in start order. */
  visible(lane: number, from: number, to: number, now: number, fn: (bar: Bar) => void): void {
    const list = this.lane(lane);
    let i = firstStartingAfter(list, from);
    // Bars that started before `from` may still reach into the window (a running one always does).
    for (let j = i - 1, n = 0; j >= 0 && n < BACKSCAN; j--, n++) if (endOf(list[j], now) >= from) i = j;
    for (let k = Math.max(0, i); k < list.length; k++) {
      const b = list[k];
      if (startOf(b) > to) break;
      if (endOf(b, now) >= from) fn(b);
    }
  }

  /** The bar under time `t` in `lane`, within `slackMs` of its ends (the last drawn wins). */
  hit(lane: number, t: number, slackMs: number, now: number): Bar | undefined {
    let found: Bar | undefined;
    this.visible(lane, t - slackMs, t + slackMs, now, (b) => {
      found = b;
    });
    return found;
  }
}

/** Index of the first bar whose start is > t (binary search). */
function firstStartingAfter(list: readonly Bar[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (startOf(list[mid]) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
