import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PendingRequests, withDeadline } from '../../src/core/client';
import { TimeoutError } from '../../src/core/client/errors';
import { clampOptionalTimeoutMs, clampTimeoutMs, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS } from '../../src/core/timeouts';
import { DEFAULT_SERVER_SETTINGS } from '../../src/shared/protocol';
import { mergeSettings } from '../../src/server/settings';

describe('timeouts are never off: clampTimeoutMs', () => {
  it('raises 0, negatives, NaN and small values to 1 s, caps what setTimeout cannot hold', () => {
    assert.equal(MIN_TIMEOUT_MS, 1000);
    for (const v of [0, -1, -Infinity, NaN, 1, 999.4]) assert.equal(clampTimeoutMs(v), 1000, String(v));
    assert.equal(clampTimeoutMs(1500), 1500);
    assert.equal(clampTimeoutMs(Infinity), MAX_TIMEOUT_MS);
    assert.equal(clampTimeoutMs(1e12), MAX_TIMEOUT_MS);
    assert.equal(clampOptionalTimeoutMs(undefined), undefined);
    assert.equal(clampOptionalTimeoutMs(0), 1000);
  });

  it('a request with timeoutMs 0 or negative still times out (after 1 s), not never', async () => {
    const p = new PendingRequests();
    for (const timeoutMs of [0, -5]) {
      const t0 = Date.now();
      await assert.rejects(p.add(`m${timeoutMs}`, { what: 'queue_request', timeoutMs }), TimeoutError);
      const took = Date.now() - t0;
      assert.ok(took >= 990, `timed out after ${took} ms, before the 1 s floor`);
    }
    assert.equal(p.size, 0);
  });

  it('withDeadline with timeoutMs 0 still has a deadline', async () => {
    const t0 = Date.now();
    await assert.rejects(withDeadline(new Promise(() => undefined), { timeoutMs: 0 }, 'waiting'), TimeoutError);
    assert.ok(Date.now() - t0 >= 990);
  });

  it('server settings: every *TimeoutMs is at least 1 s; other numbers are left alone', () => {
    const s = mergeSettings(DEFAULT_SERVER_SETTINGS, { connectTimeoutMs: 0, requestTimeoutMs: 5, languageFeatureTimeoutMs: 0, notificationBatchMs: 0 });
    assert.equal(s.connectTimeoutMs, 1000);
    assert.equal(s.requestTimeoutMs, 1000);
    assert.equal(s.languageFeatureTimeoutMs, 1000);
    assert.equal(s.notificationBatchMs, 0);
  });
});
