import { procLib } from './scripts';

/**
 * Poll `fn` every 100 ms until it returns a truthy value (returned) or `timeoutMs` passes (throws an
 * error naming `what` and the last exception `fn` threw). No fixed sleeps in tests: wait with this.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 20_000, what = 'condition'): Promise<NonNullable<T>> {
  const { waitFor: poll } = await procLib();
  return poll(fn, { timeoutMs, intervalMs: 100, what });
}
