/**
 * One rule for every timeout that enters core (client options, per-request options, server settings):
 * at least MIN_TIMEOUT_MS, at most what setTimeout can hold. A timeout of 0, a negative one or NaN must
 * never mean "wait forever" (a request that never ends) nor "fail at once".
 */

export const MIN_TIMEOUT_MS = 1000;
/** setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** `ms` within [MIN_TIMEOUT_MS, MAX_TIMEOUT_MS]; NaN, 0 and negatives become MIN_TIMEOUT_MS. */
export function clampTimeoutMs(ms: number): number {
  if (Number.isNaN(ms) || ms < MIN_TIMEOUT_MS) return MIN_TIMEOUT_MS;
  return Math.min(Math.round(ms), MAX_TIMEOUT_MS);
}

/** clampTimeoutMs for an optional value: undefined stays undefined (the caller's default applies). */
export function clampOptionalTimeoutMs(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : clampTimeoutMs(ms);
}
