// GUI test of the packaged .vsix in code-server, driven with Playwright, against a real 2-engine cluster:
// connect from the palette, the Engines view, Ctrl+Alt+Enter with %px output, a remote error as a
// diagnostic, interrupting a long run from the Tasks view, and disconnect. The tests run in order and
// share one workbench and one cluster. Screenshots go to test-results/screenshots (and the README ones
// to media/screenshots).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Channels, Commands } from '../../src/extension/ids';
import { TestCluster } from '../integration/harness';
import { SCREENSHOT_SETTINGS, Workbench, waitFor } from './harness';
import { clearNotifications, clickMenuItem, openContainer, paletteTitle, parkMouse, settled, statusItem, stepRunner, treeLabels, treeRow, viewPane } from './harness/views';

const DEMO = 'parallel_demo.py';
// 1-based line numbers below refer to this text.
const DEMO_TEXT = [
  '# Select code and press Ctrl+Alt+Enter to run it on every engine of the cluster.', // 1
  '', // 2
  '# %% Where does each engine run?', // 3
  'import os', // 4
  'import socket', // 5
  '', // 6
  'print("hello from", os.getpid(), "on", socket.gethostname())', // 7
  '', // 8
  '# %% A failing cell: the third line raises on every engine', // 9
  'values = [3, 2, 1, 0]', // 10
  'total = sum(values)', // 11
  'ratio = total / values[-1]', // 12
  'print(ratio)', // 13
  '', // 14
  '# %% A long run: interrupt it from the Tasks view', // 15
  'import time; time.sleep(60)', // 16
  '',
].join('\n');
const HELLO = { first: 4, last: 7 };
const FAILING = { first: 10, last: 13, raises: 12 };
const LONG_LINE = 16;
const LONG_TITLE = 'import time; time.sleep(60)';

let cluster: TestCluster | undefined;
let wb: Workbench | undefined;

before(async () => {
  cluster = await TestCluster.start({ engines: 2 });
  try {
    wb = await Workbench.start({
      // Where the extension finds the cluster; no autoConnect: connecting from the palette is a test.
      workspaceSettings: { 'ipyparallel.ipythonDir': cluster.ipythonDir, 'ipyparallel.profile': cluster.profile },
      // Clean screenshots.
      settings: {
        ...SCREENSHOT_SETTINGS,
        'editor.renderWhitespace': 'none',
      },
    });
    fs.writeFileSync(path.join(wb.workspace, DEMO), DEMO_TEXT);
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

const step = stepRunner('gui', () => wb);


async function openDemo(w: Workbench): Promise<void> {
  const tab = w.page.locator(`.editor-group-container .tab[aria-label^="${DEMO}"]`);
  if (await tab.isVisible()) {
    await tab.click();
  } else {
    await w.page.keyboard.press('Control+P');
    const input = w.page.locator('.quick-input-widget .quick-input-box input.input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(DEMO);
    await w.page.locator(`.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="${DEMO}"]`).first().click({ timeout: 30_000 });
    await tab.waitFor({ state: 'visible', timeout: 20_000 });
  }
  await w.page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
}

/** Put the cursor on `line` (1-based) with Go to Line; with `last`, select whole lines first..last. */
async function selectLines(w: Workbench, first: number, last = first): Promise<void> {
  await w.page.keyboard.press('Control+G');
  const input = w.page.locator('.quick-input-widget .quick-input-box input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${first}:1`);
  await input.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
  for (let l = first; l < last; l++) await w.page.keyboard.press('Shift+ArrowDown');
  if (last > first) await w.page.keyboard.press('Shift+End');
}

/**
 * Wait until both engine rows show an idle engine with an empty queue and at least `done` completed
 * requests (the counts come from the 3 s queue probe; hovers also run requests on idle engines).
 */
async function enginesIdle(w: Workbench, done: number, timeoutMs = 20_000): Promise<void> {
  const engines = viewPane(w, 'Engines');
  await waitFor(async () => {
    const d = await engines.locator('.monaco-list-row .label-description').allInnerTexts();
    return d.length === 2 && d.every((x) => Number(/^idle · queue 0 · (\d+) done · /.exec(x)?.[1] ?? -1) >= done);
  }, timeoutMs, `both engines idle with ${done}+ done`);
}

const runKey = 'Control+Alt+Enter';

test('connect from the command palette, picking the cluster in the quick pick', { timeout: 120_000 }, step('connect', async (w) => {
  await openContainer(w);
  const engines = viewPane(w, 'Engines');
  await engines.locator('.welcome-view-content', { hasText: 'Not connected' }).waitFor({ state: 'visible', timeout: 60_000 });
  await w.runCommand(paletteTitle(Commands.connect));
  await w.pickQuickItem('default cluster', 60_000);
  await w.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 20_000 });
  await engines.locator('.welcome-view-content', { hasText: 'Not connected' }).waitFor({ state: 'hidden', timeout: 60_000 });
}));

test('the Engines view lists the two engines', { timeout: 60_000 }, step('engines', async (w) => {
  const engines = viewPane(w, 'Engines');
  const labels = await waitFor(async () => {
    const l = await treeLabels(engines);
    return l.length === 2 ? l : undefined;
  }, 60_000, 'two rows in the Engines view');
  assert.deepEqual(labels, ['engine 0', 'engine 1']);
  // An engine's state comes from the hub's queue counts until it sends a status of its own; on a loaded
  // machine the counts may reach the view a moment after the rows (the engine is `unknown` until then).
  const state = /^(idle|busy) · queue \d+ · \d+ done · [0-9a-f]{8}$/;
  const descriptions = await waitFor(async () => {
    const d = await engines.locator('.monaco-list-row .label-description').allInnerTexts();
    return d.length === 2 && d.every((x) => state.test(x)) ? d : undefined;
  }, 20_000, 'both engine rows showing idle or busy').catch(async () => engines.locator('.monaco-list-row .label-description').allInnerTexts());
  for (const d of descriptions) assert.match(d, state);
  await statusItem(w).filter({ hasText: /2 engines/ }).waitFor({ state: 'visible', timeout: 20_000 });
}));

test('Ctrl+Alt+Enter runs the selection; the output channel shows each engine in %px style', { timeout: 90_000 }, step('run', async (w) => {
  await openDemo(w);
  await selectLines(w, HELLO.first, HELLO.last);
  await w.page.keyboard.press(runKey);
  const text = await w.waitForOutput(Channels.output, /\[stdout:0\] hello from \d+[^\n]*\n[^]*\[stdout:1\] hello from \d+/, 60_000);
  const pids = [...text.matchAll(/\[stdout:(\d)\] hello from (\d+) on /g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.deepEqual(pids.map(([e]) => e), [0, 1], text);
  assert.notEqual(pids[0][1], pids[1][1], 'the two engines are different processes');
  const tasks = viewPane(w, 'Tasks');
  await treeRow(tasks, 'import os').locator('.label-description', { hasText: '2/2 done' }).waitFor({ state: 'visible', timeout: 30_000 });

  await w.runCommand(paletteTitle(Commands.showOutput));
  const view = w.page.locator('[id="workbench.panel.output"] .monaco-editor .view-lines');
  await waitFor(async () => /\[stdout:1\] hello from/.test((await view.innerText()).replace(/\u00a0/g, ' ')), 20_000, 'the Output panel to show the run');
  await enginesIdle(w, 1);
  await clearNotifications(w);
  await w.screenshot('engines-and-output', { readme: true });
}));

test('a failing run shows a diagnostic at the line that raised', { timeout: 90_000 }, step('diagnostic', async (w) => {
  await openDemo(w);
  await selectLines(w, FAILING.first, FAILING.last);
  await w.page.keyboard.press(runKey);
  await w.waitForOutput(Channels.output, /\[0-1:execute\]:|\[0,1:execute\]:/, 60_000);

  // The squiggle sits on the line that raised: same height as that line's number in the gutter.
  const squiggle = w.page.locator('.editor-group-container .monaco-editor .squiggly-error').first();
  await squiggle.waitFor({ state: 'visible', timeout: 30_000 });
  const lineNo = w.page.locator('.editor-group-container .monaco-editor .margin-view-overlays .line-numbers', { hasText: new RegExp(`^${FAILING.raises}$`) });
  const [sq, ln] = await Promise.all([squiggle.boundingBox(), lineNo.boundingBox()]);
  assert.ok(sq && ln, 'squiggle or line number not rendered');
  assert.ok(Math.abs(sq.y + sq.height / 2 - (ln.y + ln.height / 2)) < ln.height / 2, `squiggle at y=${sq.y}, line ${FAILING.raises} at y=${ln.y}`);

  await w.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
  const problems = w.page.locator('.markers-panel');
  await problems.waitFor({ state: 'visible', timeout: 20_000 });
  const row = problems.locator('.monaco-list-row', { hasText: 'ZeroDivisionError' }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  const rowText = (await row.innerText()).replace(/\s+/g, ' ');
  assert.match(rowText, new RegExp(`\\[Ln ${FAILING.raises}, Col \\d+\\]`), rowText);
  assert.match(rowText, /engines 0, 1/, rowText);
  await clearNotifications(w);
  // Hovering the squiggle shows the diagnostic's message.
  await w.page.mouse.move(sq.x + sq.width / 2, sq.y + sq.height / 2 - 4, { steps: 5 });
  await settled(w.page.locator('.monaco-editor .monaco-hover', { hasText: 'ZeroDivisionError' }).first());
  await w.screenshot('diagnostic', { readme: true });
  await parkMouse(w);
}));


test('a long run is interrupted from the Tasks view and ends well before 60 s', { timeout: 120_000 }, step('interrupt', async (w) => {
  await openDemo(w);
  await selectLines(w, LONG_LINE);
  const started = Date.now();
  await w.page.keyboard.press(runKey);
  const tasks = viewPane(w, 'Tasks');
  const run = treeRow(tasks, LONG_TITLE);
  await run.locator('.label-description', { hasText: '0/2 done' }).waitFor({ state: 'visible', timeout: 30_000 });
  await run.locator('.codicon-sync, .codicon-sync\\~spin, .codicon-clock').first().waitFor({ state: 'visible', timeout: 20_000 });

  // The status bar counts the running tasks; its tooltip says more.
  await statusItem(w).hover();
  await settled(w.page.locator('.workbench-hover', { hasText: 'running tasks' }).first());
  await w.screenshot('status-bar', { readme: true });

  await run.click({ button: 'right' });
  await clickMenuItem(w, /^Interrupt$/);
  await run.locator('.label-description', { hasText: '2/2 done' }).waitFor({ state: 'visible', timeout: 45_000 });
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 45_000, `the run ended after ${elapsed} ms`);
  await run.locator('.codicon-error, .codicon-circle-slash').first().waitFor({ state: 'visible', timeout: 10_000 });
  await w.waitForOutput(Channels.output, /KeyboardInterrupt/, 20_000);

  // Expand it: one task per engine, each ended by the interrupt.
  await run.locator('.monaco-tl-twistie').click();
  const taskRows = tasks.locator('.monaco-list-row', { has: w.page.locator('.label-description', { hasText: 'KeyboardInterrupt' }) });
  await waitFor(async () => (await taskRows.count()) === 2, 20_000, 'two interrupted task rows');
  assert.deepEqual((await taskRows.locator('.label-name').allInnerTexts()).map((s) => s.trim()).sort(), ['engine 0', 'engine 1']);
  await parkMouse(w);
  await enginesIdle(w, 3);
  await clearNotifications(w);
  await w.screenshot('tasks', { readme: true });
}));

test('disconnect from the palette; the Engines view shows its welcome content again', { timeout: 60_000 }, step('disconnect', async (w) => {
  await w.runCommand(paletteTitle(Commands.disconnect));
  const engines = viewPane(w, 'Engines');
  await engines.locator('.welcome-view-content', { hasText: 'Not connected' }).waitFor({ state: 'visible', timeout: 30_000 });
  await engines.locator('.welcome-view-content .monaco-button', { hasText: 'Connect' }).first().waitFor({ state: 'visible', timeout: 10_000 });
  assert.deepEqual(await treeLabels(engines), []);
  await w.screenshot('disconnected');
}));
