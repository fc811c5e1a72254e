// GUI test of the task timeline in code-server (the packaged .vsix) against a real 2-engine cluster:
// the timeline opens from the palette with one lane per engine, a run on both engines becomes a bar in
// each lane, and a live bar grows while a 3 s task runs. Takes the README's timeline screenshot.
// The webview is read through the data-* attributes its canvas carries (lanes, bars, running bars' widths).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { CATEGORY, Commands } from '../../src/extension/ids';
import { TestCluster } from '../integration/harness';
import { Workbench, waitFor } from './harness';
import { paletteTitle, stepRunner } from './harness/views';

const title = paletteTitle;

const FILE = 'timeline_demo.py';
const LINES = ['import time; time.sleep(0.5); print("warm-up")', 'import time; time.sleep(3); print("three seconds")', ''];

let cluster: TestCluster | undefined;
let wb: Workbench | undefined;

before(async () => {
  cluster = await TestCluster.start({ engines: 2 });
  try {
    wb = await Workbench.start({
      workspaceSettings: { 'ipyparallel.ipythonDir': cluster.ipythonDir, 'ipyparallel.profile': cluster.profile },
      settings: { 'editor.minimap.enabled': false, 'workbench.colorTheme': 'Default Dark Modern', 'workbench.editor.enablePreview': false, 'remote.autoForwardPorts': false },
    });
    fs.writeFileSync(path.join(wb.workspace, FILE), LINES.join('\n'));
  } catch (err) {
    await cluster.stop();
    cluster = undefined;
    throw err;
  }
}, { timeout: 240_000 });

after(async () => {
  try {
    await wb?.close();
  } finally {
    await cluster?.stop();
  }
}, { timeout: 60_000 });

const step = stepRunner('timeline', () => wb);

interface CanvasState {
  lanes: string;
  bars: number;
  live: Record<string, number>;
}
// A string, so this Node-side file needs no DOM types.
const PROBE = `(() => {
  const c = document.getElementById('canvas');
  if (!c || c.dataset.lanes === undefined || c.dataset.bars === undefined) return null;
  return { lanes: c.dataset.lanes, bars: Number(c.dataset.bars), live: JSON.parse(c.dataset.live || '{}') };
})()`;

let timelineFrame: Frame | undefined;

/** The timeline canvas's state, from whichever frame holds it. */
async function canvasState(w: Workbench): Promise<CanvasState | undefined> {
  const frames = timelineFrame && !timelineFrame.isDetached() ? [timelineFrame] : w.page.frames();
  for (const frame of frames) {
    const s = (await frame.evaluate(PROBE).catch(() => null)) as CanvasState | null;
    if (s) {
      timelineFrame = frame;
      return s;
    }
  }
  timelineFrame = undefined;
  return undefined;
}

async function runLine(w: Workbench, line: number): Promise<void> {
  await w.page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
  await w.page.keyboard.press('Control+G');
  const input = w.page.locator('.quick-input-widget .quick-input-box input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${line}:1`);
  await input.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
  await w.page.keyboard.press('Control+Alt+Enter');
}

test('connect, and open the timeline from the palette: one lane per engine', { timeout: 180_000 }, step('open', async (w) => {
  await w.activityBarItem(CATEGORY).waitFor({ state: 'visible', timeout: 60_000 });
  await w.runCommand(title(Commands.connect));
  await w.pickQuickItem('default cluster', 60_000);
  await w.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 20_000 });
  await w.page.keyboard.press('Control+P');
  const input = w.page.locator('.quick-input-widget .quick-input-box input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(FILE);
  await w.page.locator(`.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="${FILE}"]`).first().click({ timeout: 30_000 });
  await w.runCommand(title(Commands.showTimeline));
  const state = await waitFor(async () => {
    const s = await canvasState(w);
    return s?.lanes === '0,1' ? s : undefined;
  }, 90_000, 'the timeline canvas with lanes for engines 0 and 1');
  assert.equal(state.lanes, '0,1');
}));

test('a run on both engines draws a bar in each lane', { timeout: 120_000 }, step('bars', async (w) => {
  await w.page.locator(`.editor-group-container .tab[aria-label^="${FILE}"]`).click();
  await runLine(w, 1);
  const state = await waitFor(async () => {
    const s = await canvasState(w);
    return s && s.bars >= 2 && Object.keys(s.live).length === 0 ? s : undefined;
  }, 60_000, 'two finished bars on the timeline');
  assert.equal(state.bars, 2);
  assert.equal(state.lanes, '0,1');
}));

test('a live bar grows while a 3 s task runs', { timeout: 120_000 }, step('live', async (w) => {
  await w.page.locator(`.editor-group-container .tab[aria-label^="${FILE}"]`).click();
  await runLine(w, 2);
  const first = await waitFor(async () => {
    const s = await canvasState(w);
    return s && Object.keys(s.live).length === 2 ? s.live : undefined;
  }, 30_000, 'two running bars');
  const later = await waitFor(async () => {
    const s = await canvasState(w);
    if (!s) return undefined;
    const grown = Object.keys(first).filter((id) => s.live[id] !== undefined && s.live[id] > first[id] + 2);
    return grown.length === 2 ? s.live : undefined;
  }, 10_000, 'both running bars wider than when first seen');
  for (const id of Object.keys(first)) assert.ok(later[id] > first[id], `bar ${id} grew: ${first[id]} -> ${later[id]}`);
  await waitFor(async () => {
    const s = await canvasState(w);
    return s && s.bars === 4 && Object.keys(s.live).length === 0 ? true : undefined;
  }, 60_000, 'the 3 s tasks to finish');
  await w.page.mouse.move(5, 5);
  await w.screenshot('timeline', { readme: true });
}));
