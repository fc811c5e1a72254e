/**
 * Messages between the timeline panel (extension host) and its webview script. The host sends the whole
 * set once (`reset`, when the webview is (re)created) and then only differences (`update`). `now` is the
 * host's clock: the webview draws with it plus the time since, so the two clocks need not agree.
 */
import type { Bar } from './bars';

export type HostMessage =
  | { type: 'reset'; lanes: number[]; bars: Bar[]; now: number; connected: boolean }
  | { type: 'update'; lanes?: number[]; upserts: Bar[]; removed: string[]; now: number; connected?: boolean };

export type WebviewMessage =
  | { type: 'ready' }
  /** The user clicked a bar: reveal it in the Tasks view and show its output. */
  | { type: 'reveal'; id: string; runId?: string };

export function isWebviewMessage(m: unknown): m is WebviewMessage {
  if (m === null || typeof m !== 'object') return false;
  const t = (m as { type?: unknown }).type;
  if (t === 'ready') return true;
  return t === 'reveal' && typeof (m as { id?: unknown }).id === 'string';
}
