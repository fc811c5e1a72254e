import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIRST_OUTPUT_BURST, NotificationBatcher, type BatchSink, type Timers } from '../../src/server/batcher';
import type { EngineInfo, OutputParamsItem, StateChangedParams } from '../../src/shared/protocol';

/** A manual clock: timers fire only when the test advances it. */
class FakeTimers implements Timers {
  time = 0;
  #next = 1;
  #timers = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  get pending(): number {
    return this.#timers.size;
  }

  now(): number {
    return this.time;
  }

  advance(ms: number): void {
    this.time += ms;
    for (const [id, t] of [...this.#timers].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > this.time) continue;
      this.#timers.delete(id);
      t.fn();
    }
  }
}

type Sent =
  | { kind: 'state'; params: StateChangedParams }
  | { kind: 'engines'; engines: EngineInfo[] }
  | { kind: 'output'; items: OutputParamsItem[] }
  | { kind: 'tasks'; changed: string[]; removed: string[] }
  | { kind: 'status' };

function recorder(): { sink: BatchSink; sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    sink: {
      state: (params) => sent.push({ kind: 'state', params }),
      engines: (engines) => sent.push({ kind: 'engines', engines }),
      output: (items) => sent.push({ kind: 'output', items }),
      tasks: (changed, removed) => sent.push({ kind: 'tasks', changed, removed }),
      status: () => sent.push({ kind: 'status' }),
    },
  };
}

const engine = (id: number, status: EngineInfo['status'] = 'idle'): EngineInfo => ({ id, uuid: `u${id}`, status, queue: 0, completed: 0, tasks: 0 });
const out = (runId: string, text: string): OutputParamsItem => ({ runId, msgId: `${runId}-m`, engineId: 0, output: { kind: 'stream', name: 'stdout', text } });
/** The first output of a run, as the server sends it: with the run's intro. */
const first = (runId: string, text: string): OutputParamsItem => ({ ...out(runId, text), run: { title: runId, targets: 'all', created: '2026-01-01T00:00:00Z' } });
const texts = (s: Sent | undefined) => (s?.kind === 'output' ? s.items.map((i) => (i.output.kind === 'stream' ? i.output.text : '?')) : []);

describe('NotificationBatcher', () => {
  it('after a quiet window, sends the first events on the next turn, not synchronously and not a window later', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 50, clock);
    b.runChanged('r1');
    b.output(out('r1', 'a'));
    assert.equal(sent.length, 0);
    clock.advance(0);
    assert.deepEqual(
      sent.map((s) => s.kind),
      ['output', 'tasks'],
    );
    assert.equal(clock.pending, 0);
  });

  it('reads the status once per window, after everything else', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 50, clock);
    b.statusChanged();
    b.runChanged('r1');
    b.statusChanged();
    b.state({ state: 'connected' });
    clock.advance(0);
    assert.deepEqual(
      sent.map((s) => s.kind),
      ['state', 'tasks', 'status'],
    );
    b.statusChanged();
    b.dispose();
    clock.advance(100);
    assert.equal(sent.length, 3, 'nothing after dispose');
  });

  it('holds what follows a flush until the window since that flush ends, then sends it once', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 50, clock);
    b.output(out('r1', 'a'));
    clock.advance(0);
    assert.equal(sent.length, 1);
    clock.advance(10);
    b.output(out('r1', 'b'));
    b.runChanged('r1');
    clock.advance(39);
    assert.equal(sent.length, 1);
    clock.advance(1);
    assert.deepEqual(
      sent.slice(1).map((s) => s.kind),
      ['output', 'tasks'],
    );
    // quiet for a whole window again: the next event goes out at once
    clock.advance(100);
    b.runChanged('r2');
    clock.advance(0);
    assert.equal(sent.length, 4);
  });

  it('coalesces 10,000 finishing tasks of 10,000 runs into one tasks and one output notification', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 50, clock);
    for (let i = 0; i < 10_000; i++) {
      b.runChanged(`r${i}`); // running
      b.output(out(`r${i}`, `${i}\n`));
      b.runChanged(`r${i}`); // done
    }
    clock.advance(50);
    assert.equal(sent.length, 2);
    const [o, t] = sent;
    assert.ok(o.kind === 'output' && o.items.length === 10_000);
    assert.equal(o.items[9_999].output.kind === 'stream' && o.items[9_999].output.text, '9999\n');
    assert.ok(t.kind === 'tasks' && t.changed.length === 10_000 && new Set(t.changed).size === 10_000);
  });

  it('sends each changed run once per window, in first-change order', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 10, clock);
    for (const id of ['r2', 'r1', 'r2', 'r3', 'r1']) b.runChanged(id);
    clock.advance(10);
    assert.deepEqual(sent, [{ kind: 'tasks', changed: ['r2', 'r1', 'r3'], removed: [] }]);
  });

  it('keeps only the latest engine list and the latest state of a window', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 10, clock);
    b.state({ state: 'connecting' });
    b.engines([engine(0, 'busy')]);
    b.engines([engine(0), engine(1)]);
    b.state({ state: 'connected' });
    clock.advance(10);
    assert.deepEqual(sent, [
      { kind: 'state', params: { state: 'connected' } },
      { kind: 'engines', engines: [engine(0), engine(1)] },
    ]);
  });

  it('orders a flush as state, engines, output, tasks', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 10, clock);
    b.runChanged('r1');
    b.output(out('r1', 'x'));
    b.engines([engine(0)]);
    b.state({ state: 'connected' });
    clock.advance(10);
    assert.deepEqual(
      sent.map((s) => s.kind),
      ['state', 'engines', 'output', 'tasks'],
    );
  });

  it('reports a removed run as removed only, even if it changed in the same window', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 10, clock);
    b.runChanged('r1');
    b.runChanged('r2');
    b.runRemoved('r1');
    b.runChanged('r1');
    clock.advance(10);
    assert.deepEqual(sent, [{ kind: 'tasks', changed: ['r2'], removed: ['r1'] }]);
  });

  it('starts a new window after a flush, and flush() sends at once', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 10, clock);
    b.runChanged('r1');
    b.flush();
    assert.equal(sent.length, 1);
    assert.equal(clock.pending, 0);
    b.runChanged('r1');
    assert.equal(clock.pending, 1);
    clock.advance(10);
    assert.equal(sent.length, 2);
    b.flush(); // nothing pending: sends nothing
    assert.equal(sent.length, 2);
  });

  it('applies a new window length from the next window', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 10, clock);
    b.runChanged('r0');
    clock.advance(0);
    assert.equal(sent.length, 1);
    b.setWindow(100);
    b.runChanged('r1');
    clock.advance(99);
    assert.equal(sent.length, 1);
    clock.advance(1);
    assert.equal(sent.length, 2);
  });

  it('drops what is pending when disposed and ignores later events', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 10, clock);
    b.runChanged('r1');
    b.dispose();
    b.runChanged('r2');
    clock.advance(100);
    assert.equal(sent.length, 0);
    assert.equal(clock.pending, 0);
  });

  it('never holds the first output of a run: back to back, it goes out on the next turn inside the window', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 50, clock);
    b.output(first('r1', 'a'));
    clock.advance(0);
    assert.deepEqual(texts(sent[0]), ['a']);
    clock.advance(5);
    b.runChanged('r1');
    b.output(first('r2', 'b')); // a new run 5 ms after the last flush
    clock.advance(0);
    assert.equal(sent.length, 2, 'the first output of r2 is not held for the rest of the window');
    assert.deepEqual(texts(sent[1]), ['b']);
    clock.advance(1);
    b.output(out('r2', 'c')); // later output of a busy run: coalesced within the window again
    b.output(out('r2', 'd'));
    clock.advance(43);
    assert.equal(sent.length, 2, 'the run change keeps its window: one tasksChanged a window, storm or not');
    clock.advance(1);
    assert.deepEqual(sent.slice(2).map((s) => s.kind), ['output', 'tasks']);
    assert.deepEqual(texts(sent[2]), ['c', 'd']);
  });

  it('an early flush sends every pending output item, in order, once', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 50, clock);
    b.output(out('r1', 'a'));
    clock.advance(0);
    clock.advance(10);
    b.output(out('r1', 'b')); // waits for the window
    b.output(first('r2', 'c'));
    b.output(first('r3', 'd'));
    assert.equal(clock.pending, 2, 'the window flush and one early flush');
    clock.advance(0);
    assert.deepEqual(texts(sent[1]), ['b', 'c', 'd']);
    assert.equal(clock.pending, 0, 'nothing left for the window');
    clock.advance(100);
    assert.equal(sent.length, 2);
  });

  it('limits a storm of new runs to FIRST_OUTPUT_BURST early flushes a window, the rest at the window end', () => {
    const clock = new FakeTimers();
    const { sink, sent } = recorder();
    const b = new NotificationBatcher(sink, 50, clock);
    const runs = FIRST_OUTPUT_BURST + 20;
    for (let i = 0; i < runs; i++) {
      b.output(first(`r${i}`, `${i}`));
      clock.advance(0); // each first output in its own turn
    }
    assert.equal(sent.length, FIRST_OUTPUT_BURST);
    clock.advance(50);
    assert.equal(sent.length, FIRST_OUTPUT_BURST + 1);
    assert.equal(texts(sent.at(-1)).length, 20);
    // A new window: early flushes again.
    b.output(first('late', 'x'));
    clock.advance(0);
    assert.deepEqual(texts(sent.at(-1)), ['x']);
  });

  it('with real timers, sends a first output inside a long window on the next turn', async () => {
    const items: OutputParamsItem[][] = [];
    let delivered!: () => void;
    let done = new Promise<void>((resolve) => (delivered = resolve));
    const b = new NotificationBatcher({ state() {}, engines() {}, tasks() {}, status() {}, output: (i) => (items.push(i), delivered()) }, 60_000);
    b.output(first('r1', 'a'));
    await done;
    done = new Promise<void>((resolve) => (delivered = resolve));
    const t0 = performance.now();
    b.output(first('r2', 'b'));
    await done;
    assert.ok(performance.now() - t0 < 1000, 'not held for the 60 s window');
    assert.deepEqual(items.map((i) => i.length), [1, 1]);
    b.dispose();
  });

  it('works with real timers and a zero window', async () => {
    const items: OutputParamsItem[][] = [];
    let delivered!: () => void;
    const done = new Promise<void>((resolve) => (delivered = resolve));
    const b = new NotificationBatcher({ state() {}, engines() {}, tasks() {}, status() {}, output: (i) => (items.push(i), delivered()) }, 0);
    b.output(out('r1', 'a'));
    b.output(out('r1', 'b'));
    assert.equal(items.length, 0); // not synchronously
    await done;
    assert.deepEqual(items.map((i) => i.length), [2]);
    b.dispose();
  });
});
