/**
 * The task timeline's webview under load, in headless Chromium (the e2e harness's browser): the real
 * dist/timeline.js on the real page (timelineHtml, with a stub for VS Code's webview API), sent 10,000
 * synthetic tasks over 64 engines in one `reset` message, as the panel sends them.
 * - first paint: from posting the message to the end of the first frame that drew them;
 * - frame time while panning: the draw time of each frame while the mouse drags the window, zoomed out
 *   so that every task is in view.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { closeBrowser, launchBrowser, newPage } from '../../test/e2e/harness/browser';
import type { Bar } from '../../src/extension/timeline/bars';
import { timelineHtml } from '../../src/extension/timeline/html';
import type { HostMessage } from '../../src/extension/timeline/messages';
import { REPO_ROOT } from '../clients/lspClient';
import { fmt, type Row } from '../results';
import type { Failure } from './repeat';

const STATES = ['done', 'done', 'done', 'done', 'error', 'aborted'] as const;

/** `tasks` finished bars over `engines` lanes within the last `spanMs`, each engine's last one running. */
export function syntheticBars(tasks: number, engines: number, now: number, spanMs = 600_000): Bar[] {
  const perLane = Math.ceil(tasks / engines);
  const slot = spanMs / perLane;
  const bars: Bar[] = [];
  for (let i = 0; i < tasks; i++) {
    const lane = i % engines;
    const k = Math.floor(i / engines);
    const submitted = now - spanMs + k * slot;
    const started = submitted + slot * 0.1;
    const last = k === perLane - 1 || i + engines >= tasks;
    const bar: Bar = { id: `t${i}`, runId: `r${Math.floor(i / 100)}`, lane, state: last ? 'running' : STATES[i % STATES.length], submitted, started, title: `work(${i})` };
    if (!last) bar.end = started + slot * 0.8;
    if (i % 7 === 0) bar.foreign = true;
    if (i % 5 === 0) bar.progress = (i % 100) / 100;
    bars.push(bar);
  }
  return bars;
}

const STUB = `window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m) });`;

function writePage(dir: string): string {
  const nonce = 'benchbenchbenchbenchbenchbench00';
  const script = pathToFileURL(join(REPO_ROOT, 'dist', 'timeline.js')).href;
  const html = timelineHtml({ cspSource: 'file:', scriptUri: script, nonce }).replace('<body>', `<body><script nonce="${nonce}">${STUB}</script>`);
  const file = join(dir, 'timeline.html');
  writeFileSync(file, html);
  return pathToFileURL(file).href;
}

/** ms from posting the reset to the end of the frame that drew it. */
async function firstPaint(page: Page, msg: HostMessage): Promise<number> {
  return page.evaluate(
    (m) =>
      new Promise<number>((resolve) => {
        const stats = (window as unknown as { __timelineStats: { firstPaintMs?: number } }).__timelineStats;
        stats.firstPaintMs = undefined;
        const t0 = performance.now();
        window.postMessage(m, '*');
        const poll = () => (stats.firstPaintMs !== undefined ? resolve(performance.now() - t0) : requestAnimationFrame(poll));
        requestAnimationFrame(poll);
      }),
    msg,
  );
}

/** Draw times (ms) of the frames drawn while dragging across the canvas, every task in view. */
async function panFrames(page: Page): Promise<{ frames: number[]; drawn: number }> {
  const box = (await page.locator('#canvas').boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width / 2, y);
  for (let i = 0; i < 8; i++) await page.mouse.wheel(0, 200); // 60 s -> ~15 min: all 10 minutes in view
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const drawn = Number(await page.locator('#canvas').getAttribute('data-drawn'));
  await page.evaluate(() => ((window as unknown as { __timelineStats: { frames: number[] } }).__timelineStats.frames.length = 0));
  await page.mouse.down();
  for (let i = 0; i < 60; i++) {
    await page.mouse.move(box.x + box.width / 2 + (i % 30 < 15 ? i % 15 : 15 - (i % 15)) * 20, y);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
  }
  await page.mouse.up();
  const frames = await page.evaluate(() => [...(window as unknown as { __timelineStats: { frames: number[] } }).__timelineStats.frames]);
  return { frames, drawn };
}

export async function measureTimeline(opts: { reps: number; tasks: number; engines: number; failures: Failure[]; log: (line: string) => void }): Promise<Row[]> {
  const root = mkdtempSync(join(tmpdir(), 'ipp-bench-timeline-'));
  mkdirSync(join(root, 'chromium'), { recursive: true });
  const browser = await launchBrowser(root);
  const label = `${opts.tasks.toLocaleString('en')} tasks over ${opts.engines} engines`;
  try {
    const url = writePage(root);
    const paints: number[] = [];
    let pan: { frames: number[]; drawn: number } | undefined;
    for (let rep = 0; rep < opts.reps; rep++) {
      const page = await newPage(browser);
      await page.goto(url);
      await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
      const now = Date.now();
      const bars = syntheticBars(opts.tasks, opts.engines, now);
      const lanes = Array.from({ length: opts.engines }, (_, i) => i);
      paints.push(await firstPaint(page, { type: 'reset', lanes, bars, now, connected: true }));
      const inPage = await page.evaluate(() => {
        const s = (window as unknown as { __timelineStats: { applyMs?: number; frames: number[] } }).__timelineStats;
        return { apply: s.applyMs, draw: s.frames.at(-1) };
      });
      opts.log(`  timeline · rep ${rep + 1}/${opts.reps}: first paint ${fmt(paints[rep])} ms (apply ${fmt(inPage.apply)} ms, draw ${fmt(inPage.draw)} ms)`);
      if (rep === 0) pan = await panFrames(page);
      await page.context().close();
    }
    const rows: Row[] = [{ metric: `timeline, first paint of ${label}`, client: 'extension', unit: 'ms', values: paints }];
    if (pan?.frames.length) {
      rows.push({
        metric: `timeline, frame time while panning ${label}`,
        client: 'extension',
        unit: 'ms',
        values: pan.frames,
        note: `timeline pan: ${pan.frames.length} frames, ${pan.drawn.toLocaleString('en')} bars drawn a frame (all in view), p95 ${fmt(percentile(pan.frames, 0.95))} ms`,
      });
    }
    return rows;
  } catch (e) {
    opts.failures.push({ metric: 'timeline', client: 'extension', message: e instanceof Error ? e.message : String(e) });
    return [];
  } finally {
    await closeBrowser(browser);
    rmSync(root, { recursive: true, force: true });
  }
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}
