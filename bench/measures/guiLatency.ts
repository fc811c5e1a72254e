/**
 * What a user feels (issue 18): in real VS Code (code-server with the packaged .vsix, headless Chromium,
 * the e2e harness) on a real 2-engine cluster, a one-line print selected in a .py file, Ctrl+Alt+Enter
 * pressed `presses` times per output surface; from the key press to the first output painted, and its legs.
 *
 * Page side: before each press a MutationObserver is set on the surface's document (the workbench for
 * the output channel, the Results view's webview frame for the results view); it notes when the run's
 * text first appears, then a requestAnimationFrame callback notes the frame that paints it. A capturing
 * keydown listener notes the key press. Extension side: $IPP_LATENCY_TRACE makes the extension append
 * timestamps (ipp/execute sent, first ipp/output received, handed to the surface; latencyTrace.ts).
 * All clocks are wall-clock epoch milliseconds (performance.timeOrigin + now()) on the same machine.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { TestCluster } from '../../test/integration/harness';
import { Workbench, waitFor } from '../../test/e2e/harness';
import type { ClientName, Row } from '../results';
import { fmt } from '../results';
import { max, median } from '../stats';
import type { Failure } from './repeat';

export type Surface = 'resultsView' | 'outputChannel';

/** The default surface: the one with the ≤ 50 ms target. */
const DEFAULT_SURFACE: Surface = 'resultsView';
const TARGET_MS = 50;
const WARMUP = 2;
const FILE = 'latency.py';
const SETUP_LINE = 1;
const PRINT_LINE = 2;
const TEXT = ['import itertools; tick = itertools.count(); print("ready")', 'print("tick-%d." % next(tick))', ''].join('\n');

interface Sample {
  key: number;
  executeSent?: number;
  firstOutput?: number;
  surfaceAppend?: number;
  inDom: number;
  painted: number;
}

interface TraceLine { ev: string; surface?: string; t: number }

const LEGS: { name: string; from: (s: Sample) => number | undefined; to: (s: Sample) => number | undefined }[] = [
  { name: 'key press → ipp/execute sent', from: (s) => s.key, to: (s) => s.executeSent },
  { name: 'ipp/execute sent → first ipp/output received', from: (s) => s.executeSent, to: (s) => s.firstOutput },
  { name: 'first ipp/output → handed to the surface', from: (s) => s.firstOutput, to: (s) => s.surfaceAppend },
  { name: 'handed to the surface → text in the DOM', from: (s) => s.surfaceAppend, to: (s) => s.inDom },
  { name: 'text in the DOM → painted', from: (s) => s.inDom, to: (s) => s.painted },
];

export interface GuiLatencyOptions {
  presses: number;
  surfaces: Surface[];
  python: string;
  failures: Failure[];
  log: (line: string) => void;
}

export async function measureGuiLatency(opts: GuiLatencyOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const traceFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-latency-')), 'trace.jsonl');
  let cluster: TestCluster | undefined;
  let wb: Workbench | undefined;
  try {
    cluster = await TestCluster.start({ engines: 2, mode: 'separate', python: opts.python });
    wb = await Workbench.start({
      workspaceSettings: { 'ipyparallel.ipythonDir': cluster.ipythonDir, 'ipyparallel.profile': cluster.profile, 'ipyparallel.autoConnect': true, 'ipyparallel.outputSurface': opts.surfaces[0] },
      settings: { 'editor.minimap.enabled': false, 'workbench.editor.enablePreview': false, 'remote.autoForwardPorts': false },
      env: { IPP_LATENCY_TRACE: traceFile, IPP_PYTHON: opts.python },
    });
    fs.writeFileSync(path.join(wb.workspace, FILE), TEXT);
    await prepare(wb, traceFile);
    // The engines' counter: each press prints the next tick, whatever the surface.
    const ticks = { next: 0 };
    for (const surface of opts.surfaces) {
      try {
        setSurface(wb, surface);
        const samples = await pressRepeatedly(wb, surface, traceFile, ticks, opts);
        rows.push(...rowsFor(surface, samples, opts.presses));
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        opts.failures.push({ metric: `GUI latency, ${surface}`, client: 'extension', message });
        opts.log(`  gui latency · ${surface} FAILED: ${message}`);
        await wb.screenshot(`bench-gui-latency-${surface}-failed`).catch(() => undefined);
      }
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    opts.failures.push({ metric: 'GUI latency', client: 'extension', message });
    opts.log(`  gui latency · FAILED: ${message}`);
    await wb?.screenshot('bench-gui-latency-failed').catch(() => undefined);
  } finally {
    await wb?.close();
    await cluster?.stop();
    fs.rmSync(path.dirname(traceFile), { recursive: true, force: true });
  }
  return rows;
}

/** Opens the file, waits for the auto-connect, opens our side bar and runs the setup line. */
async function prepare(wb: Workbench, traceFile: string): Promise<void> {
  const page = wb.page;
  // Opening a Python file activates the extension, which then auto-connects. From the Explorer: Quick
  // Open's file search is slow on a loaded machine.
  await page.locator(`.explorer-folders-view .monaco-list-row[aria-label^="${FILE}"]`).first().click({ timeout: 60_000 });
  await page.locator(`.editor-group-container .tab[aria-label^="${FILE}"]`).waitFor({ state: 'visible', timeout: 20_000 });
  await page.locator(`.part.statusbar [id$="ipyparallel.status"]`).filter({ hasText: /2 engines/ }).waitFor({ state: 'visible', timeout: 120_000 });
  const item = wb.activityBarItem('IPython Parallel');
  await item.waitFor({ state: 'visible', timeout: 60_000 });
  if ((await item.locator('xpath=..').getAttribute('aria-expanded')) !== 'true') await item.click();
  // The setup line prints: its first output in the trace says it ran (a press right after connecting
  // can meet a client that is not ready yet: then press again).
  for (let attempt = 1; ; attempt++) {
    fs.writeFileSync(traceFile, '');
    await page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
    await goToLine(page, SETUP_LINE);
    await page.keyboard.press('Control+Alt+Enter');
    const ran = await waitFor(() => readTrace(traceFile).some((e) => e.ev === 'first-output'), 15_000, 'the setup line to print').catch(() => false);
    if (ran) return;
    if (attempt === 3) throw new Error('the setup line did not run after 3 presses of Ctrl+Alt+Enter');
  }
}

async function goToLine(page: Page, line: number): Promise<void> {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget .quick-input-box input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${line}:1`);
  await input.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Switches the setting in the workspace's settings.json (the extension reads it on the change event). */
function setSurface(wb: Workbench, surface: Surface): void {
  const file = path.join(wb.workspace, '.vscode', 'settings.json');
  const settings = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (settings['ipyparallel.outputSurface'] === surface) return;
  settings['ipyparallel.outputSurface'] = surface;
  // The extension reads it on the configuration change event; the warm-up presses absorb the switch.
  fs.writeFileSync(file, JSON.stringify(settings, null, 2));
}

/** The document the surface renders into: the workbench page, or the Results view's webview frame. */
async function surfaceFrame(page: Page, surface: Surface): Promise<Frame> {
  if (surface === 'outputChannel') return page.mainFrame();
  return waitFor(async () => {
    for (const f of page.frames()) {
      if (await f.evaluate(() => !!(globalThis as unknown as { document: { getElementById(id: string): unknown } }).document.getElementById('runs')).catch(() => false)) return f;
    }
    return undefined;
  }, 30_000, 'the Results view webview to load');
}

/** Installs the observer for `token` in `frame` (page-side code; the tests compile without the DOM lib). */
function arm(frame: Frame, token: string): Promise<void> {
  return frame.evaluate((tok) => {
    const g = globalThis as unknown as Record<string, unknown> & {
      document: { body: unknown }; performance: { timeOrigin: number; now(): number };
      requestAnimationFrame(cb: () => void): void; MutationObserver: new (cb: (ms: { target: { textContent: string | null }; addedNodes: { textContent: string | null }[] }[]) => void) => { observe(n: unknown, o: object): void; disconnect(): void };
    };
    const now = () => g.performance.timeOrigin + g.performance.now();
    const state: { inDom?: number; painted?: number } = {};
    g.__ippLatency = state;
    const norm = (s: string | null) => (s ?? '').replace(/\u00a0/g, ' ');
    const obs = new g.MutationObserver((ms) => {
      if (state.inDom !== undefined) return;
      for (const m of ms) {
        if (norm(m.target.textContent).includes(tok) || m.addedNodes.some((n) => norm(n.textContent).includes(tok))) {
          state.inDom = now();
          obs.disconnect();
          g.requestAnimationFrame(() => (state.painted = now()));
          return;
        }
      }
    });
    obs.observe(g.document.body, { subtree: true, childList: true, characterData: true });
  }, token);
}

async function armKey(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as unknown as Record<string, unknown> & { performance: { timeOrigin: number; now(): number }; addEventListener(t: string, cb: (e: { key: string; ctrlKey: boolean }) => void, o: object): void };
    g.__ippKey = undefined;
    if (g.__ippKeyHooked) return;
    g.__ippKeyHooked = true;
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && e.ctrlKey) g.__ippKey = g.performance.timeOrigin + g.performance.now();
    }, { capture: true });
  });
}

function readTrace(file: string): TraceLine[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as TraceLine);
}

async function pressRepeatedly(wb: Workbench, surface: Surface, traceFile: string, ticks: { next: number }, opts: GuiLatencyOptions): Promise<Sample[]> {
  const page = wb.page;
  const samples: Sample[] = [];
  for (let i = 0; i < opts.presses + WARMUP; i++) {
    // Each press prints the next tick on both engines: a text the page has not shown before.
    const token = `tick-${ticks.next++}.`;
    await page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
    await goToLine(page, PRINT_LINE);
    await page.keyboard.press('Shift+End');
    const frame = await surfaceFrame(page, surface).catch(() => page.mainFrame());
    await arm(frame, token);
    await armKey(page);
    fs.writeFileSync(traceFile, '');
    await page.keyboard.press('Control+Alt+Enter');
    // The first press on a surface reveals it (the results webview may load only now): find it again.
    const target = i === 0 ? await surfaceFrame(page, surface) : frame;
    if (i === 0 && target !== frame) await arm(target, token);
    const got = await waitFor(() => target.evaluate(() => (globalThis as unknown as { __ippLatency?: { inDom?: number; painted?: number } }).__ippLatency)
      .then((s) => (s?.painted !== undefined ? s : undefined)), 20_000, `"${token}" painted in the ${surface}`).catch(() => undefined);
    if (!got) {
      if (i < WARMUP) continue; // the first press may reveal a surface after its text arrived
      throw new Error(`"${token}" was not painted in the ${surface} within 20 s`);
    }
    const key = await page.evaluate(() => (globalThis as unknown as { __ippKey?: number }).__ippKey);
    const events = readTrace(traceFile);
    const at = (ev: string, s?: Surface) => events.find((e) => e.ev === ev && (s === undefined || e.surface === s))?.t;
    if (key === undefined) throw new Error('the key press was not seen by the page');
    const sample: Sample = { key, executeSent: at('execute-sent'), firstOutput: at('first-output'), surfaceAppend: at('surface-append', surface), inDom: got.inDom!, painted: got.painted! };
    if (i >= WARMUP) {
      samples.push(sample);
      opts.log(`  gui latency · ${surface} · press ${samples.length}/${opts.presses}: ${fmt(sample.painted - sample.key)} ms`);
    }
    // A pause between presses, as a person's (and the run's end reaches the views before the next one).
    await page.waitForTimeout(300);
  }
  return samples;
}

function rowsFor(surface: Surface, samples: Sample[], presses: number): Row[] {
  const client: ClientName = 'extension';
  const total = samples.map((s) => s.painted - s.key);
  const sorted = [...total].sort((a, b) => a - b);
  const p90 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))];
  const isDefault = surface === DEFAULT_SURFACE;
  const rows: Row[] = [{
    metric: `GUI: key press → first output painted, ${surface}${isDefault ? ' (default)' : ''}`,
    client,
    unit: `ms, ${samples.length} presses`,
    values: total,
    target: isDefault ? { kind: 'absolute', op: '<=', value: TARGET_MS } : undefined,
    note: `GUI latency, ${surface}: median ${fmt(median(total))} ms, p90 ${fmt(p90)} ms, max ${fmt(max(total))} ms over ${samples.length} of ${presses} presses (${WARMUP} warm-up presses not counted); legs below are medians of each leg, so they need not add up exactly`,
  }];
  for (const leg of LEGS) {
    const values = samples.flatMap((s) => {
      const a = leg.from(s);
      const b = leg.to(s);
      return a === undefined || b === undefined ? [] : [b - a];
    });
    rows.push({ metric: `GUI leg, ${surface}: ${leg.name}`, client, unit: 'ms', values });
  }
  return rows;
}
