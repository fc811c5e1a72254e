/**
 * Data a task publishes with `ipyparallel.datapub.publish_data(dict)`: a `data_message` on iopub whose
 * content lists the keys and whose first buffer is the pickled dict (PROTOCOL.md §4.4). Plain values
 * (numbers, strings, lists, dicts) are decoded by the strict pickle subset; a dict holding anything else
 * (a numpy scalar, an object) keeps its keys with a marker, because decoding it would mean running code.
 * What a task keeps is bounded: MAX_KEYS keys, each value at most MAX_VALUE_CHARS of JSON.
 */
import { PickleError, unpickle } from '../protocol/pickle';

export const MAX_DATA_KEYS = 64;
export const MAX_VALUE_CHARS = 2048;
/** The marker kept for a value that is not plain data. */
export const NOT_DECODED = '[a Python object: not decoded]';

/** The published dict, decoded as far as is safe. */
export function decodeDataMessage(content: Record<string, unknown>, buffers: readonly Uint8Array[]): Record<string, unknown> {
  const keys = Array.isArray(content.keys) ? content.keys.slice(0, MAX_DATA_KEYS).map(String) : [];
  const first = buffers[0];
  if (first) {
    try {
      const v = unpickle(first);
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch (e) {
      if (!(e instanceof PickleError)) throw e;
    }
  }
  return Object.fromEntries(keys.map((k) => [k, NOT_DECODED]));
}

/** A value as kept: itself when its JSON is short, else a marker naming its size. */
function bounded(v: unknown): unknown {
  const json = JSON.stringify(v) ?? 'null';
  return json.length <= MAX_VALUE_CHARS ? v : `[${json.length} characters not kept]`;
}

/** `progress` when it is a finite number in [0, 1]. */
export function progressOf(data: Record<string, unknown>): number | undefined {
  const p = data.progress;
  return typeof p === 'number' && Number.isFinite(p) && p >= 0 && p <= 1 ? p : undefined;
}

/** Merges newly published keys into what the task holds (later values win), within the bounds. */
export function mergeData(held: Record<string, unknown> | undefined, published: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...held };
  for (const [k, v] of Object.entries(published)) {
    if (!(k in out) && Object.keys(out).length >= MAX_DATA_KEYS) continue;
    // defineProperty: a `__proto__` key from the network stays a plain key.
    Object.defineProperty(out, k, { value: bounded(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
