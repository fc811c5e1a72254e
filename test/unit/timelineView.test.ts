import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bar } from '../../src/extension/timeline/bars';
import { FOLLOW_MARGIN, initialViewport, LaneIndex, MIN_SPAN_MS, panBy, tick, timeToX, xToTime, zoomAt } from '../../src/extension/timeline/view';

const bar = (id: string, lane: number, submitted: number, started?: number, end?: number): Bar => ({
  id,
  lane,
  state: end === undefined ? 'running' : 'done',
  submitted,
  started,
  end,
  title: id,
});

describe('timeline view: the window', () => {
  it('follows now by default, with a small margin on the right', () => {
    const v = initialViewport(10_000, 1000);
    assert.equal(v.follow, true);
    assert.equal(v.to - v.from, 1000);
    assert.equal(v.to, 10_000 + 1000 * FOLLOW_MARGIN);
    assert.equal(tick(v, 11_000).to, 11_000 + 1000 * FOLLOW_MARGIN);
  });

  it('panning into the past stops following; panning back to now resumes it', () => {
    const v = initialViewport(10_000, 1000);
    const past = panBy(v, -500, 10_000);
    assert.equal(past.follow, false);
    assert.equal(tick(past, 20_000), past, 'a window in the past stays put');
    assert.equal(panBy(past, 600, 10_000).follow, true);
  });

  it('zooming keeps the time under the pointer in place, within bounds', () => {
    const v = panBy(initialViewport(10_000, 1000), -5000, 10_000);
    const at = v.from + 250;
    const z = zoomAt(v, at, 0.5, 10_000);
    assert.equal(z.to - z.from, 500);
    assert.ok(Math.abs(timeToX(z, 1000, at) / 1000 - timeToX(v, 1000, at) / 1000) < 1e-9);
    assert.equal(zoomAt(v, at, 1e-6, 10_000).to - zoomAt(v, at, 1e-6, 10_000).from, MIN_SPAN_MS);
    assert.equal(xToTime(v, 1000, timeToX(v, 1000, at)), at);
  });
});

describe('timeline view: the lane index', () => {
  it('lists only the bars overlapping the window, long and running ones included', () => {
    const idx = new LaneIndex();
    idx.upsert(bar('long', 0, 0, 0, 900));
    for (let i = 0; i < 10; i++) idx.upsert(bar(`s${i}`, 0, 100 * i + 10, 100 * i + 10, 100 * i + 50));
    idx.upsert(bar('run', 0, 950, 960));
    const seen: string[] = [];
    idx.visible(0, 500, 600, 2000, (b) => seen.push(b.id));
    assert.deepEqual(seen, ['long', 's5'], 's4 ended at 450');
    const late: string[] = [];
    idx.visible(0, 1500, 1600, 2000, (b) => late.push(b.id));
    assert.deepEqual(late, ['run'], 'a running bar reaches now');
  });

  it('hit-tests a time in a lane; updates move bars between lanes; removal forgets them', () => {
    const idx = new LaneIndex();
    idx.upsert(bar('a', 0, 0, 10, 20));
    idx.upsert(bar('b', 1, 30, 30, 40));
    assert.equal(idx.hit(0, 15, 0, 100)?.id, 'a');
    assert.equal(idx.hit(0, 25, 2, 100), undefined);
    idx.upsert(bar('a', 1, 0, 10, 20));
    assert.equal(idx.hit(0, 15, 0, 100), undefined);
    assert.equal(idx.hit(1, 15, 0, 100)?.id, 'a');
    idx.remove('a');
    assert.equal(idx.size, 1);
    assert.equal(idx.hit(1, 15, 0, 100), undefined);
  });
});
