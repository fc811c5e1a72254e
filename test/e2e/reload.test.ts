// GUI test of runs that survive a window reload, with the packaged .vsix in code-server against a real
// 2-engine cluster: a failing run and a ~10 s run on both engines are started, the window is reloaded
// halfway through the long one, and after the reload the long run reappears in the Tasks view, is followed
// to its end and shows its output, while the failed run reappears with its error output and its diagnostic.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { CATEGORY, Channels } from '../../src/extension/ids';
import { TestCluster } from '../integration/harness';
import { Workbench, waitFor } from './harness';
import { treeRow, viewPane } from './harness/views';

const DOC = 'reload_demo.py';
// 1-based line numbers below refer to this text.
const DOC_TEXT = [
  '# %% A run of about 10 s on both engines', // 1
  'import time', // 2
  'time.sleep(10)', // 3
  'print("slept-and-done")', // 4
  '', // 5
  '# %% A failing cell', // 6
  'x = 1', // 7
  'raise ValueError("boom-before-reload")', // 8
  '',
].join('\n');
const LONG = { first: 2, last: 4, title: 'import time' };
const FAILING = { first: 7, last: 8, raises: 8, title: 'x = 1' };

let cluster: TestCluster | undefined;
let wb: Workbench | undefined;

before(async () => {
  cluster = await TestCluster.start({ engines: 2 });
  try {
    wb = await Workbench.start({
      // autoConnect: after the reload the window connects again by itself, and re-attaches its runs.
      workspaceSettings: { 'ipyparallel.ipythonDir': cluster.ipythonDir, 'ipyparallel.profile': cluster.profile, 'ipyparallel.autoConnect': true },
      settings: { 'workbench.editor.enablePreview': false, 'remote.autoForwardPorts': false },
    });
    fs.writeFileSync(path.join(wb.workspace, DOC), DOC_TEXT);
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

async function openContainer(w: Workbench): Promise<void> {
  const item = w.activityBarItem(CATEGORY);
  await item.waitFor({ state: 'visible', timeout: 60_000 });
  if ((await item.locator('xpath=..').getAttribute('aria-expanded')) !== 'true') await item.click();
  await viewPane(w, 'Tasks').waitFor({ state: 'visible', timeout: 20_000 });
}

async function openDoc(w: Workbench): Promise<void> {
  const tab = w.page.locator(`.editor-group-container .tab[aria-label^="${DOC}"]`);
  // Quick Open finds a new file only once the workspace is searched, which takes long on a loaded machine:
  // ask again (a fresh query) until it lists the file.
  for (let attempt = 1; !(await tab.isVisible()); attempt++) {
    await w.page.keyboard.press('Escape');
    await w.page.keyboard.press('Control+P');
    const input = w.page.locator('.quick-input-widget .quick-input-box input.input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(DOC);
    try {
      await w.page.locator(`.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="${DOC}"]`).first().click({ timeout: 20_000 });
      await tab.waitFor({ state: 'visible', timeout: 20_000 });
    } catch (e) {
      if (attempt === 4) throw e;
    }
  }
  await tab.click({ timeout: 30_000 });
  // The editor may still be laying out while the machine is loaded: wait longer for it to be stable.
  await w.page.locator('.editor-group-container .monaco-editor .view-lines').first().click({ timeout: 30_000 });
}

async function runLines(w: Workbench, first: number, last: number): Promise<void> {
  await w.page.keyboard.press('Control+G');
  const input = w.page.locator('.quick-input-widget .quick-input-box input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${first}:1`);
  await input.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
  for (let l = first; l < last; l++) await w.page.keyboard.press('Shift+ArrowDown');
  await w.page.keyboard.press('Shift+End');
  await w.page.keyboard.press('Control+Alt+Enter');
}

/** The Problems panel's row for the error, as text. */
async function problemRow(w: Workbench, text: string): Promise<string> {
  await w.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
  const row = w.page.locator('.markers-panel .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  return (await row.innerText()).replace(/\s+/g, ' ');
}

test('runs come back after a window reload: a running one is followed to its end, a failed one with its error and diagnostic', { timeout: 420_000 }, async () => {
  const w = wb!;
  try {
    await openDoc(w); // a Python document activates the extension, which connects by itself
    await openContainer(w);
    const tasks = viewPane(w, 'Tasks');
    const engines = viewPane(w, 'Engines');
    await waitFor(async () => (await engines.locator('.monaco-list-row .label-name').count()) === 2, 90_000, 'two engines after auto-connect');

    await openDoc(w);
    await runLines(w, FAILING.first, FAILING.last);
    await treeRow(tasks, FAILING.title).locator('.codicon-error').first().waitFor({ state: 'visible', timeout: 60_000 });
    await w.waitForOutput(Channels.output, /boom-before-reload/, 30_000);
    await problemRow(w, 'boom-before-reload');

    await openDoc(w);
    const started = Date.now();
    await runLines(w, LONG.first, LONG.last);
    await treeRow(tasks, LONG.title).locator('.label-description', { hasText: '0/2 done' }).waitFor({ state: 'visible', timeout: 30_000 });
    // Halfway through the 10 s: reload the window (a new extension host and a new language server).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 4_000 - (Date.now() - started))));
    assert.doesNotMatch(w.readOutputChannel(Channels.output), /slept-and-done/, 'the run ended before the reload');
    await w.runCommand('Developer: Reload Window');
    await w.page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    await openContainer(w);

    // The long run reappears, is followed to its end, and its output comes.
    const long = treeRow(viewPane(w, 'Tasks'), LONG.title);
    await long.waitFor({ state: 'visible', timeout: 90_000 });
    await long.locator('.label-description', { hasText: '2/2 done' }).waitFor({ state: 'visible', timeout: 60_000 });
    await long.locator('.codicon-pass').first().waitFor({ state: 'visible', timeout: 10_000 });
    // Both engines printed the same line: %px style groups them ([stdout:0,1]).
    const text = await w.waitForOutput(Channels.output, /\[stdout:0[,-]1\] slept-and-done|\[stdout:0\] slept-and-done[^]*\[stdout:1\] slept-and-done/, 60_000);
    assert.ok(Date.now() - started >= 10_000, 'the run took its 10 s');
    assert.match(text, /boom-before-reload/, 'the failed run came back with its error output');

    // The failed run reappears as failed, and its diagnostic at the line that raised.
    await treeRow(viewPane(w, 'Tasks'), FAILING.title).locator('.codicon-error').first().waitFor({ state: 'visible', timeout: 30_000 });
    const row = await problemRow(w, 'boom-before-reload');
    assert.match(row, new RegExp(`ValueError[^]*\\[Ln ${FAILING.raises}, Col \\d+\\]`), row);
    assert.match(row, /engines 0, 1/, row);
    await w.screenshot('reload-after');
  } catch (err) {
    await w.screenshot('reload-failed').catch(() => undefined);
    throw err;
  }
});
