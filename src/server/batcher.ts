/**
 * Coalesces the server's notifications within a short window, so that 10,000 tasks finishing at once
 * become a handful of messages instead of tens of thousands:
 * - state: the latest state of the window (intermediate ones are dropped, the last one always arrives);
 * - engines: the latest full list, once per window;
 * - tasks: each changed run once per window (resolved to its summary at flush time, so it is current),
 *   plus the runs removed in the window;
 * - output: every item, concatenated in arrival order;
 * - data: each task that published data once per window (resolved at flush time, so it is current);
 * - status: read once at the end of the window, sent only when it differs from the last one sent.
 * A flush sends, in this order: state, engines, output, data, tasks, status, so that a run reported finished
 * has already had its output delivered.
 *
 * The window is a rate limit, not a delay: after a quiet window, the first events go out on the next
 * turn of the event loop (with everything else of that turn); events that follow within the window wait
 * for its end, so a busy stream makes at most one flush a window.
 *
 * The first output of a run (the item that carries the run's intro) is never held by the window: it goes
 * out on the next turn even inside a window, so runs that follow each other (back to back) show their
 * first output as fast as after a pause. That early flush sends the pending output only (every pending
 * item, in order); state, engines, data, tasks and status keep their window, so a storm of runs still
 * makes at most one ipp/tasksChanged a window, and a run reported finished has had its output before.
 * A storm of new runs is limited too: at most `FIRST_OUTPUT_BURST` such early flushes a window; after
 * that, first outputs wait for the window's end like everything else (a person pressing a key never
 * gets near that).
 */
import type { Disposable } from '../core/event';
import type { EngineInfo, OutputParamsItem, StateChangedParams } from '../shared/protocol';

export interface BatchSink {
  state(params: StateChangedParams): void;
  engines(engines: EngineInfo[]): void;
  output(items: OutputParamsItem[]): void;
  /** `changed` never contains a removed run. */
  tasks(changed: string[], removed: string[]): void;
  /** Tasks (msg_ids) that published data in the window. Optional, so older sinks need not have it. */
  data?(msgIds: string[]): void;
  /** Something ipp/status reports may have changed: the sink reads it now and sends it if it did. */
  status(): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds on a monotonic clock. */
  now(): number;
}

/** Early flushes for first outputs allowed in one window (see above). */
export const FIRST_OUTPUT_BURST = 32;

type RealHandle = { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout };

/** A 0 ms delay uses setImmediate: setTimeout(fn, 0) waits at least 1 ms in Node. */
const realTimers: Timers = {
  setTimeout: (fn, ms): RealHandle => (ms <= 0 ? { immediate: setImmediate(fn) } : { timeout: setTimeout(fn, ms) }),
  clearTimeout: (h) => {
    const handle = h as RealHandle;
    if ('immediate' in handle) clearImmediate(handle.immediate);
    else clearTimeout(handle.timeout);
  },
  now: () => performance.now(),
};

export class NotificationBatcher implements Disposable {
  #state: StateChangedParams | undefined;
  #engines: EngineInfo[] | undefined;
  #changed = new Set<string>();
  #removed = new Set<string>();
  #output: OutputParamsItem[] = [];
  #data = new Set<string>();
  #status = false;
  #timer: unknown;
  /** The early output-only flush of a first output (next turn). */
  #soon: unknown;
  /** When the pending timer fires (to tell whether an early flush would move it sooner). */
  #timerAt = Infinity;
  #lastFlush = -Infinity;
  /** The window in which the early flushes below were counted, and their count. */
  #burstWindowStart = -Infinity;
  #burst = 0;
  #disposed = false;

  constructor(
    private readonly sink: BatchSink,
    private windowMs: number,
    private readonly timers: Timers = realTimers,
  ) {}

  /** A new window length applies from the next window on. */
  setWindow(ms: number): void {
    this.windowMs = Math.max(0, ms);
  }

  state(params: StateChangedParams): void {
    this.#state = params;
    this.#schedule();
  }

  engines(engines: EngineInfo[]): void {
    this.#engines = engines;
    this.#schedule();
  }

  runChanged(runId: string): void {
    if (this.#removed.has(runId)) return;
    this.#changed.add(runId);
    this.#schedule();
  }

  runRemoved(runId: string): void {
    this.#changed.delete(runId);
    this.#removed.add(runId);
    this.#schedule();
  }

  /** The status may have changed (it is read once, at the end of the window). */
  statusChanged(): void {
    this.#status = true;
    this.#schedule();
  }

  /** An output item; the first of its run (it carries `run`) goes out on the next turn, window or not. */
  output(item: OutputParamsItem): void {
    this.#output.push(item);
    if (item.run !== undefined) this.#scheduleSoon();
    else this.#schedule();
  }

  /** A task published data (sent as its current data at the end of the window). */
  taskData(msgId: string): void {
    this.#data.add(msgId);
    this.#schedule();
  }

  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** Sends whatever is pending now (also used before answering requests whose caller expects order). */
  flush(): void {
    this.#cancelSoon();
    if (this.#timer !== undefined) {
      this.timers.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Infinity;
    }
    const state = this.#state;
    if (!state && !this.#engines && !this.#status && this.#output.length === 0 && this.#data.size === 0 && this.#changed.size === 0 && this.#removed.size === 0) return;
    this.#lastFlush = this.timers.now();
    const engines = this.#engines;
    const output = this.#output;
    const data = [...this.#data];
    this.#data.clear();
    const changed = [...this.#changed];
    const removed = [...this.#removed];
    const status = this.#status;
    this.#status = false;
    this.#state = undefined;
    this.#engines = undefined;
    this.#output = [];
    this.#changed.clear();
    this.#removed.clear();
    if (state) this.sink.state(state);
    if (engines) this.sink.engines(engines);
    if (output.length > 0) this.sink.output(output);
    if (data.length > 0) this.sink.data?.(data);
    if (changed.length > 0 || removed.length > 0) this.sink.tasks(changed, removed);
    if (status) this.sink.status();
  }

  /** Drops what is pending and stops the timer. */
  dispose(): void {
    this.#disposed = true;
    this.#cancelSoon();
    if (this.#timer !== undefined) this.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#output = [];
    this.#data.clear();
    this.#changed.clear();
    this.#removed.clear();
    this.#state = undefined;
    this.#engines = undefined;
    this.#status = false;
  }

  #schedule(): void {
    if (this.#disposed || this.#timer !== undefined) return;
    this.#arm(Math.max(0, this.#lastFlush + this.windowMs - this.timers.now()));
  }

  /** An output-only flush on the next turn, unless a flush is already due then or this window's burst is spent. */
  #scheduleSoon(): void {
    if (this.#disposed || this.#soon !== undefined) return;
    const now = this.timers.now();
    if (this.#timerAt <= now) return;
    if (now - this.#burstWindowStart >= this.windowMs) {
      this.#burstWindowStart = now;
      this.#burst = 0;
    }
    if (this.#burst >= FIRST_OUTPUT_BURST) {
      this.#schedule();
      return;
    }
    this.#burst++;
    this.#soon = this.timers.setTimeout(() => {
      this.#soon = undefined;
      this.#flushOutput();
    }, 0);
  }

  /** Sends the pending output only; the window timer stays for the rest (and is dropped if nothing is left). */
  #flushOutput(): void {
    if (this.#output.length === 0) return;
    const output = this.#output;
    this.#output = [];
    this.#lastFlush = this.timers.now();
    this.sink.output(output);
    const rest = this.#state || this.#engines || this.#status || this.#data.size > 0 || this.#changed.size > 0 || this.#removed.size > 0;
    if (!rest && this.#timer !== undefined) {
      this.timers.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Infinity;
    }
  }

  #cancelSoon(): void {
    if (this.#soon === undefined) return;
    this.timers.clearTimeout(this.#soon);
    this.#soon = undefined;
  }

  #arm(delay: number): void {
    this.#timerAt = this.timers.now() + delay;
    this.#timer = this.timers.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.flush();
    }, delay);
  }
}
