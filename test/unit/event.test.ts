import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Emitter, setListenerErrorHandler } from '../../src/core/event';

/** Resolves after pending microtasks and one macrotask, so a rethrow in a microtask would have surfaced. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Emitter: a listener bug is logged, never rethrown', () => {
  it('a throwing listener neither throws from fire, nor raises an uncaught exception; the others get the event', async (t) => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    const reported: unknown[] = [];
    setListenerErrorHandler((e) => reported.push(e));
    t.after(() => {
      process.off('uncaughtException', onUncaught);
      setListenerErrorHandler(undefined);
    });

    const emitter = new Emitter<number>();
    const got: [string, number][] = [];
    emitter.event((v) => got.push(['a', v]));
    emitter.event(() => {
      throw new Error('listener bug');
    });
    emitter.event((v) => got.push(['c', v]));
    assert.doesNotThrow(() => emitter.fire(1));
    assert.doesNotThrow(() => emitter.fire(2));
    await settle();
    assert.deepEqual(got, [['a', 1], ['c', 1], ['a', 2], ['c', 2]]);
    assert.equal(reported.length, 2);
    assert.match(String((reported[0] as Error).message), /listener bug/);
    assert.deepEqual(uncaught, []);
  });

  it('a throwing error handler falls back to console.error, still without throwing', async (t) => {
    const lines: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void lines.push(args.join(' '));
    setListenerErrorHandler(() => {
      throw new Error('handler bug');
    });
    t.after(() => {
      console.error = original;
      setListenerErrorHandler(undefined);
    });
    const emitter = new Emitter<string>();
    emitter.event(() => {
      throw new TypeError('second bug');
    });
    assert.doesNotThrow(() => emitter.fire('x'));
    await settle();
    assert.equal(lines.length, 1);
    assert.match(lines[0], /event listener threw.*TypeError: second bug/s);
  });
});
