/// <reference lib="dom" />
/**
 * The task timeline's webview script (bundled to dist/timeline.js). It keeps the bars the host sent in a
 * LaneIndex, applies the host's incremental updates, and draws on a canvas: on change, on interaction,
 * and ~10 times a second while following now or while a bar runs. Wheel zooms at the pointer, drag pans,
 * "Follow now" snaps back; hover shows a task, click asks the host to reveal it.
 * For tests and the bench, the canvas carries data-lanes, data-bars and data-live (running bars' widths),
 * and window.__timelineStats holds the frame times.
 */
import type { Bar } from '../bars';
import type { HostMessage, WebviewMessage } from '../messages';
import { endOf, initialViewport, LaneIndex, panBy, tick, xToTime, zoomAt, type Viewport } from '../view';
import { AXIS, draw, GUTTER, laneAt, laneName, layoutFor, readTheme, type Layout, type Theme } from './draw';

declare function acquireVsCodeApi(): { postMessage(m: WebviewMessage): void };

interface Stats {
  /** ms from the first `reset` message to the end of the first frame that drew its bars. */
  firstPaintMs?: number;
  /** Draw times (ms) of the last frames. */
  frames: number[];
  /** ms the last host message took to apply (before its frame). */
  applyMs?: number;
}

const vscode = acquireVsCodeApi();
const canvas = document.getElementById('canvas') as HTMLCanvasElement;
const tip = document.getElementById('tip') as HTMLDivElement;
const followButton = document.getElementById('follow') as HTMLButtonElement;
const summary = document.getElementById('summary') as HTMLSpanElement;
const ctx = canvas.getContext('2d', { alpha: false })!;
const index = new LaneIndex();
const stats: Stats = { frames: [] };
(window as unknown as { __timelineStats: Stats }).__timelineStats = stats;

let lanes: number[] = [];
let connected = false;
/** host clock - our clock. */
let skew = 0;
let view: Viewport = initialViewport(Date.now());
let theme: Theme = readTheme(document.body);
let layout: Layout = layoutFor(1, 1, []);
let running = 0;
let scheduled = false;
let resetAt: number | undefined;
let hovered: { bar: Bar; x: number; y: number } | undefined;

const now = () => Date.now() + skew;

function resize(): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  canvas.width = Math.max(1, Math.round(w * dpr));
  canvas.height = Math.max(1, Math.round(h * dpr));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  layout = layoutFor(w, h, lanes);
  requestDraw();
}

function requestDraw(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(frame);
}

function frame(): void {
  scheduled = false;
  const t0 = performance.now();
  const at = now();
  view = tick(view, at);
  const drawn = draw(ctx, theme, layout, view, index, at);
  const ms = performance.now() - t0;
  stats.frames.push(ms);
  if (stats.frames.length > 600) stats.frames.splice(0, stats.frames.length - 600);
  if (resetAt !== undefined && index.size > 0) {
    stats.firstPaintMs = performance.now() - resetAt;
    resetAt = undefined;
  }
  canvas.dataset.lanes = lanes.join(',');
  canvas.dataset.bars = String(index.size);
  canvas.dataset.drawn = String(drawn.drawn);
  canvas.dataset.live = JSON.stringify(drawn.live);
  canvas.dataset.follow = String(view.follow);
  if (hovered) showTip(hovered.bar, hovered.x, hovered.y);
}

/** While something moves (following now, or a bar running), redraw ~10 times a second. */
setInterval(() => {
  if (document.visibilityState === 'visible' && (running > 0 || (view.follow && index.size > 0))) requestDraw();
}, 100);

function countRunning(): void {
  running = 0;
  for (const b of index.all()) if (b.end === undefined) running++;
  summary.textContent = connected || index.size ? `${index.size} tasks · ${lanes.length} lanes · ${running} active` : 'Not connected: connect to a cluster to see its tasks.';
}

function onHost(m: HostMessage): void {
  const t0 = performance.now();
  skew = m.now - Date.now();
  if (m.type === 'reset') {
    resetAt = performance.now();
    index.clear();
    for (const b of m.bars) index.upsert(b);
    lanes = m.lanes;
    connected = m.connected;
  } else {
    for (const id of m.removed) index.remove(id);
    for (const b of m.upserts) index.upsert(b);
    if (m.lanes) lanes = m.lanes;
    if (m.connected !== undefined) connected = m.connected;
  }
  layout = layoutFor(layout.width, layout.height, lanes);
  countRunning();
  stats.applyMs = performance.now() - t0;
  requestDraw();
}

window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  const m = e.data;
  if (m && (m.type === 'reset' || m.type === 'update')) onHost(m);
});

// ---- interaction ---------------------------------------------------------------------------------

const plotWidth = () => Math.max(1, layout.width - GUTTER);
const timeAtX = (x: number) => xToTime(view, plotWidth(), x - GUTTER);

function setFollow(): void {
  followButton.setAttribute('aria-pressed', String(view.follow));
}

canvas.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    const factor = Math.exp(Math.max(-200, Math.min(200, e.deltaY)) * 0.002);
    view = zoomAt(view, timeAtX(e.offsetX), factor, now());
    setFollow();
    requestDraw();
  },
  { passive: false },
);

let drag: { x: number; moved: boolean } | undefined;
canvas.addEventListener('mousedown', (e) => {
  drag = { x: e.clientX, moved: false };
  canvas.classList.add('dragging');
});
window.addEventListener('mouseup', (e) => {
  const d = drag;
  drag = undefined;
  canvas.classList.remove('dragging');
  if (d && !d.moved && e.target === canvas) {
    const bar = barAt(e.offsetX, e.offsetY);
    if (bar) vscode.postMessage({ type: 'reveal', id: bar.id, ...(bar.runId !== undefined && { runId: bar.runId }) });
  }
});
window.addEventListener('mousemove', (e) => {
  if (drag) {
    const dx = e.clientX - drag.x;
    if (Math.abs(dx) > 2) drag.moved = true;
    if (drag.moved) {
      drag.x = e.clientX;
      view = panBy(view, (-dx / plotWidth()) * (view.to - view.from), now());
      setFollow();
      hideTip();
      requestDraw();
      return;
    }
  }
  if (e.target !== canvas) return hideTip();
  const bar = barAt(e.offsetX, e.offsetY);
  if (bar) showTip(bar, e.offsetX, e.offsetY);
  else hideTip();
});
canvas.addEventListener('mouseleave', hideTip);
followButton.addEventListener('click', () => {
  view = { ...view, follow: true };
  setFollow();
  requestDraw();
});

function barAt(x: number, y: number): Bar | undefined {
  if (x < GUTTER || y < AXIS) return undefined;
  const lane = laneAt(layout, y);
  if (lane === undefined) return undefined;
  const slack = (3 / plotWidth()) * (view.to - view.from);
  return index.hit(lane, timeAtX(x), slack, now());
}

function showTip(bar: Bar, x: number, y: number): void {
  hovered = { bar: index.get(bar.id) ?? bar, x, y };
  const b = hovered.bar;
  const at = now();
  const lines = [b.title || '(empty)', `${laneName(b.lane)} · ${b.state}${b.foreign ? ' · another client' : ''}`];
  if (b.started !== undefined) lines.push(`ran ${seconds(endOf(b, at) - b.started)}${b.end === undefined ? ' so far' : ''}`);
  lines.push(`waited ${seconds((b.started ?? endOf(b, at)) - b.submitted)}`);
  if (b.progress !== undefined) lines.push(`progress ${Math.round(b.progress * 100)}%`);
  if (!b.foreign) lines.push('click: show in the Tasks view and its output');
  tip.textContent = lines.join('\n');
  tip.style.display = 'block';
  const wrap = canvas.getBoundingClientRect();
  tip.style.left = `${Math.min(x + 12, wrap.width - tip.offsetWidth - 4)}px`;
  tip.style.top = `${Math.min(y + 12, wrap.height - tip.offsetHeight - 4)}px`;
}

function hideTip(): void {
  hovered = undefined;
  tip.style.display = 'none';
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms / 1000)} s`;
}

new ResizeObserver(resize).observe(canvas);
// VS Code sets the theme's variables on <html style> and the theme kind on <body class>.
const themeWatch = new MutationObserver(() => {
  theme = readTheme(document.body);
  requestDraw();
});
themeWatch.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
themeWatch.observe(document.body, { attributes: true, attributeFilter: ['class'] });
resize();
countRunning();
vscode.postMessage({ type: 'ready' });
