import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BarFeed, barsOf, lanesOf, toBar, UNASSIGNED_LANE, utilisation, type Bar } from '../../src/extension/timeline/bars';
import type { RunSummary, TaskSummary } from '../../src/shared/protocol';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();

function task(over: Partial<TaskSummary> = {}): TaskSummary {
  return { msgId: 'm1', queue: 'mux', state: 'pending', submitted: iso(0), outputCount: 0, ...over };
}

function run(tasks: TaskSummary[], runId = 'r1'): RunSummary {
  return { runId, title: 'work()', code: 'work()\nmore()', targets: 'all', created: iso(0), done: 0, total: tasks.length, state: 'running', elapsedMs: 0, tasks };
}

describe('timeline: task -> bar', () => {
  it('a pending task is only its wait, from submitted to now', () => {
    const b = toBar(task({ engineId: 2 }), 'work()', T0 + 500);
    assert.deepEqual(b, { id: 'm1', lane: 2, state: 'pending', submitted: T0, title: 'work()' });
  });

  it('a running task the engine has not dated starts when first seen, and keeps that start', () => {
    const first = toBar(task({ state: 'running', engineId: 0 }), 't', T0 + 300);
    assert.equal(first.started, T0 + 300);
    assert.equal(first.end, undefined, 'a running bar grows to now');
    const later = toBar(task({ state: 'running', engineId: 0 }), 't', T0 + 900, first);
    assert.equal(later.started, T0 + 300);
  });

  it('a finished task spans started..completed, with its progress; no engine means the unassigned lane', () => {
    const b = toBar(task({ state: 'done', engineId: 1, started: iso(100), completed: iso(400), progress: 1 }), 't', T0 + 1000);
    assert.equal(b.started, T0 + 100);
    assert.equal(b.end, T0 + 400);
    assert.equal(b.progress, 1);
    const aborted = toBar(task({ state: 'aborted', received: iso(50) }), 't', T0 + 1000);
    assert.equal(aborted.lane, UNASSIGNED_LANE);
    assert.equal(aborted.started, undefined, 'an aborted task never ran: wait only');
    assert.equal(aborted.end, T0 + 50);
  });

  it('barsOf: our runs titled by the run, other clients\u2019 history muted, our own history not twice', () => {
    const ours = task({ msgId: 'a', engineId: 0, state: 'running' });
    const bars = barsOf(
      [run([ours])],
      [task({ msgId: 'a', engineId: 0 }), task({ msgId: 'f', engineId: 1, foreign: true, state: 'done', started: iso(1), completed: iso(2) }), task({ msgId: 'mine-old', engineId: 1 })],
      T0 + 10,
      new Map(),
    );
    assert.deepEqual(
      bars.map((b) => [b.id, b.runId, b.foreign ?? false, b.title]),
      [
        ['a', 'r1', false, 'work()'],
        ['f', undefined, true, 'another client\u2019s task'],
      ],
    );
  });
});

describe('timeline: lanes and utilisation', () => {
  const bar = (id: string, lane: number, started: number | undefined, end?: number): Bar => ({ id, lane, state: end ? 'done' : 'running', submitted: 0, started, end, title: '' });

  it('one lane per engine, ascending, the unassigned lane last and only when used', () => {
    assert.deepEqual(lanesOf([3, 1], [bar('a', 2, 0, 1)]), [1, 2, 3]);
    assert.deepEqual(lanesOf([0], [bar('a', UNASSIGNED_LANE, undefined)]), [0, UNASSIGNED_LANE]);
  });

  it('busy time over the window, overlaps counted once, running bars to now, waits not busy', () => {
    const bars = [bar('a', 0, 0, 40), bar('b', 0, 30, 50), bar('c', 0, 80), bar('wait', 0, undefined)];
    // window 0..100 at now=90: busy [0,50] + [80,90] = 60
    assert.equal(utilisation(bars, 0, 100, 90), 0.6);
    assert.equal(utilisation(bars, 40, 60, 90), 0.5);
    assert.equal(utilisation([], 0, 100, 90), 0);
    assert.equal(utilisation(bars, 10, 10, 90), 0);
  });
});

describe('timeline: incremental updates', () => {
  it('sends new and changed bars and removed ids, nothing when nothing changed', () => {
    const feed = new BarFeed();
    const a: Bar = { id: 'a', lane: 0, state: 'running', submitted: 0, started: 1, title: 't' };
    const b: Bar = { id: 'b', lane: 1, state: 'pending', submitted: 0, title: 't' };
    assert.deepEqual(feed.diff([a, b]), { upserts: [a, b], removed: [] });
    assert.deepEqual(feed.diff([{ ...a }, { ...b }]), { upserts: [], removed: [] });
    const a2 = { ...a, state: 'done' as const, end: 5 };
    assert.deepEqual(feed.diff([a2]), { upserts: [a2], removed: ['b'] });
    assert.equal(feed.sent.get('a'), a2);
    feed.reset();
    assert.deepEqual(feed.diff([a2]).upserts, [a2]);
  });

  it('10,000 tasks over 64 engines: a diff after one task changed carries one bar', () => {
    const tasks = Array.from({ length: 10_000 }, (_, i) => task({ msgId: `t${i}`, engineId: i % 64, state: 'done', started: iso(i), completed: iso(i + 5) }));
    const feed = new BarFeed();
    const now = T0 + 20_000;
    assert.equal(feed.diff(barsOf([run(tasks)], [], now, feed.sent)).upserts.length, 10_000);
    tasks[42] = { ...tasks[42], progress: 0.5 };
    const d = feed.diff(barsOf([run(tasks)], [], now, feed.sent));
    assert.deepEqual(d.upserts.map((x) => x.id), ['t42']);
    assert.equal(lanesOf([], feed.sent.values()).length, 64);
  });
});
