/// <reference lib="dom" />
/**
 * The timeline's canvas renderer: a time axis, one lane per engine with its label and utilisation over
 * the visible window, and per task a faint wait (submitted → started) and a bar (started → end, or now
 * while it runs) coloured by state; other clients' tasks muted; published progress as a strip. Only
 * the bars in the window are visited (LaneIndex), so 10,000 tasks cost what is on screen.
 */
import type { TaskState } from '../../../shared/protocol';
import { UNASSIGNED_LANE, type Bar } from '../bars';
import { endOf, timeToX, type LaneIndex, type Viewport } from '../view';

export const GUTTER = 120;
export const AXIS = 22;

export interface Theme {
  fg: string;
  muted: string;
  bg: string;
  grid: string;
  font: string;
  state: Record<TaskState, string>;
}

/** Colours from VS Code's theme variables (re-read when the theme changes). */
export function readTheme(el: HTMLElement): Theme {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    fg: v('--vscode-foreground', '#cccccc'),
    muted: v('--vscode-descriptionForeground', '#999999'),
    bg: v('--vscode-editor-background', '#1e1e1e'),
    grid: v('--vscode-editorWidget-border', v('--vscode-panel-border', '#444444')),
    font: `${v('--vscode-font-size', '12px')} ${v('--vscode-font-family', 'sans-serif')}`,
    state: {
      pending: v('--vscode-charts-yellow', '#cca700'),
      running: v('--vscode-charts-blue', '#3794ff'),
      done: v('--vscode-charts-green', '#89d185'),
      error: v('--vscode-charts-red', '#f14c4c'),
      aborted: v('--vscode-charts-orange', '#d18616'),
      lost: v('--vscode-charts-purple', '#b180d7'),
    },
  };
}

export interface Layout {
  width: number;
  height: number;
  laneHeight: number;
  lanes: readonly number[];
}

export function layoutFor(width: number, height: number, lanes: readonly number[]): Layout {
  const laneHeight = lanes.length ? Math.max(6, Math.min(28, Math.floor((height - AXIS) / lanes.length))) : 28;
  return { width, height, laneHeight, lanes };
}

/** The lane index at canvas y, if any. */
export function laneAt(layout: Layout, y: number): number | undefined {
  const i = Math.floor((y - AXIS) / layout.laneHeight);
  return i >= 0 && i < layout.lanes.length ? layout.lanes[i] : undefined;
}

export function laneName(lane: number): string {
  return lane === UNASSIGNED_LANE ? 'unassigned' : `engine ${lane}`;
}

export interface FrameStats {
  drawn: number;
  /** Drawn width (px) of each running bar, for the first few (tests read it). */
  live: Record<string, number>;
}

const LIVE_REPORTED = 50;

/** Draws one frame; returns what it drew. */
export function draw(ctx: CanvasRenderingContext2D, theme: Theme, layout: Layout, v: Viewport, index: LaneIndex, now: number): FrameStats {
  const { width, height, laneHeight, lanes } = layout;
  const plot = width - GUTTER;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  ctx.font = theme.font;
  ctx.textBaseline = 'middle';
  drawAxis(ctx, theme, v, plot, height);
  const stats: FrameStats = { drawn: 0, live: {} };
  const x = (t: number) => GUTTER + Math.max(-1, Math.min(plot + 1, timeToX(v, plot, t)));
  lanes.forEach((lane, i) => {
    const y = AXIS + i * laneHeight;
    if (y > height) return;
    const barH = Math.max(3, laneHeight - 4);
    const by = y + (laneHeight - barH) / 2;
    let busy = 0;
    let busyTo = -Infinity;
    index.visible(lane, v.from, v.to, now, (b) => {
      stats.drawn++;
      busy += busyIn(b, v, now, busyTo);
      if (b.started !== undefined) busyTo = Math.max(busyTo, Math.min(v.to, endOf(b, now)));
      drawBar(ctx, theme, b, x, by, barH, now, stats);
    });
    ctx.strokeStyle = theme.grid;
    ctx.globalAlpha = 0.4;
    ctx.beginPath();
    ctx.moveTo(0, y + laneHeight - 0.5);
    ctx.lineTo(width, y + laneHeight - 0.5);
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.fillStyle = theme.bg;
    ctx.fillRect(0, y, GUTTER - 2, laneHeight);
    if (laneHeight >= 9) {
      ctx.fillStyle = theme.fg;
      ctx.fillText(laneName(lane), 6, y + laneHeight / 2);
      ctx.fillStyle = theme.muted;
      ctx.fillText(`${Math.round((busy / (v.to - v.from)) * 100)}%`, GUTTER - 42, y + laneHeight / 2);
    }
  });
  return stats;
}

/** Busy ms of a bar inside the window, not counting what an earlier bar in the lane already covered. */
function busyIn(b: Bar, v: Viewport, now: number, coveredTo: number): number {
  if (b.started === undefined) return 0;
  const s = Math.max(v.from, b.started, coveredTo);
  const e = Math.min(v.to, endOf(b, now));
  return e > s ? e - s : 0;
}

function drawBar(ctx: CanvasRenderingContext2D, theme: Theme, b: Bar, x: (t: number) => number, y: number, h: number, now: number, stats: FrameStats): void {
  const colour = b.foreign ? theme.muted : theme.state[b.state];
  const alpha = b.foreign ? 0.45 : 1;
  const waitEnd = b.started ?? endOf(b, now);
  const x0 = x(b.submitted);
  const xw = x(waitEnd);
  if (xw - x0 >= 1) {
    ctx.globalAlpha = 0.22 * alpha;
    ctx.fillStyle = colour;
    ctx.fillRect(x0, y + h * 0.3, xw - x0, h * 0.4);
  }
  if (b.started !== undefined) {
    const x1 = x(b.started);
    const x2 = Math.max(x1 + 1, x(endOf(b, now)));
    ctx.globalAlpha = alpha;
    ctx.fillStyle = colour;
    ctx.fillRect(x1, y, x2 - x1, h);
    if (b.end === undefined && Object.keys(stats.live).length < LIVE_REPORTED) stats.live[b.id] = x2 - x1;
    if (b.progress !== undefined && !b.foreign) drawProgress(ctx, theme, b.progress, x1, x2, y, h);
  }
  ctx.globalAlpha = 1;
}

function drawProgress(ctx: CanvasRenderingContext2D, theme: Theme, p: number, x1: number, x2: number, y: number, h: number): void {
  const strip = Math.max(2, Math.floor(h / 4));
  ctx.fillStyle = theme.bg;
  ctx.fillRect(x1, y + h - strip, x2 - x1, strip);
  ctx.fillStyle = theme.fg;
  ctx.fillRect(x1, y + h - strip, (x2 - x1) * p, strip);
  const label = `${Math.round(p * 100)}%`;
  if (x2 - x1 > ctx.measureText(label).width + 8 && h >= 12) {
    ctx.fillStyle = theme.bg;
    ctx.fillText(label, x1 + 4, y + (h - strip) / 2);
  }
}

const STEPS = [100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000];

function drawAxis(ctx: CanvasRenderingContext2D, theme: Theme, v: Viewport, plot: number, height: number): void {
  const span = v.to - v.from;
  const step = STEPS.find((s) => (s / span) * plot >= 90) ?? STEPS[STEPS.length - 1];
  ctx.fillStyle = theme.muted;
  ctx.strokeStyle = theme.grid;
  for (let t = Math.ceil(v.from / step) * step; t <= v.to; t += step) {
    const x = GUTTER + timeToX(v, plot, t);
    ctx.globalAlpha = 0.25;
    ctx.beginPath();
    ctx.moveTo(x + 0.5, AXIS);
    ctx.lineTo(x + 0.5, height);
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.fillText(clock(t, step), x + 3, AXIS / 2);
  }
}

function clock(t: number, step: number): string {
  const d = new Date(t);
  const hms = d.toLocaleTimeString([], { hour12: false });
  return step < 1000 ? `${hms}.${String(d.getMilliseconds()).padStart(3, '0')}` : hms;
}
