/**
 * Timestamps of a run's way to the screen, for the GUI latency bench (bench/measures/guiLatency.ts):
 * when $IPP_LATENCY_TRACE names a file, each event is appended to it as one JSON line
 * `{"ev": "...", "runId"?: "...", "t": <ms since the epoch, sub-ms>}`. Off (one check of a constant) when
 * the variable is unset, which is always the case outside the bench.
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export type TraceEvent =
  /** The extension is about to send ipp/execute. */
  | 'execute-sent'
  /** An ipp/output notification carrying a run's first output arrived. */
  | 'first-output'
  /** That output was handed to the output surface (channel append, or post to the results view). */
  | 'surface-append';

const FILE = process.env.IPP_LATENCY_TRACE || undefined;

export const tracing = FILE !== undefined;

/** Wall-clock milliseconds with sub-millisecond resolution (comparable with the page's timeOrigin + now()). */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function trace(ev: TraceEvent, runId?: string, surface?: 'outputChannel' | 'resultsView'): void {
  if (FILE === undefined) return;
  try {
    appendFileSync(FILE, `${JSON.stringify({ ev, runId, surface, t: wallNow() })}\n`);
  } catch {
    // A bench aid: never let it break a run.
  }
}
