// GUI test of several clusters at once in code-server (the packaged .vsix, Playwright), against two real
// 2-engine clusters in two IPython dirs (the second found through ipyparallel.extraIpythonDirs): connect
// the first from the palette, connect the second beside it from its row in the Clusters view, see the
// Engines view group by cluster, run a selection with the keybinding on each (the second, then the first
// after Switch Active Cluster from the palette), each run's output under a header naming its cluster and
// printing that cluster's own IPYTHONDIR, and each run kept under its cluster in the Tasks view. README
// screenshot: the multi-cluster Engines view. The tests run in order and share one workbench.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Channels, Commands } from '../../src/extension/ids';
import { TestCluster } from '../integration/harness';
import { SCREENSHOT_SETTINGS, Workbench, waitFor } from './harness';
import { clearNotifications, clickMenuItem, escapeRegExp, openContainer, paletteTitle, parkMouse, statusItem, stepRunner, treeLabels, treeRow, viewPane } from './harness/views';

const RUN_FILE = 'which_cluster.py';
let alpha: TestCluster | undefined;
let beta: TestCluster | undefined;
let wb: Workbench | undefined;

before(async () => {
  [alpha, beta] = await Promise.all([TestCluster.start({ engines: 2, clusterId: 'alpha' }), TestCluster.start({ engines: 2, clusterId: 'beta' })]);
  wb = await Workbench.start({
    workspaceSettings: { 'ipyparallel.ipythonDir': alpha.ipythonDir, 'ipyparallel.extraIpythonDirs': [beta.ipythonDir] },
    settings: SCREENSHOT_SETTINGS,
  });
  // Each cluster's engines run with that cluster's own IPYTHONDIR: the output says which cluster ran it.
  fs.writeFileSync(path.join(wb.workspace, RUN_FILE), 'import os\nprint("dir", os.environ["IPYTHONDIR"])\n');
}, { timeout: 300_000 });

after(async () => {
  try {
    await wb?.close();
  } finally {
    await Promise.all([alpha?.stop(), beta?.stop()]);
  }
}, { timeout: 90_000 });

const step = stepRunner('multi-cluster', () => wb);
const engines = (w: Workbench) => viewPane(w, 'Engines');

/** Runs the whole file with the keybinding and waits for its block: a header naming `cluster`, and that cluster's dir. */
async function runOn(w: Workbench, cluster: string, c: TestCluster): Promise<void> {
  await w.page.keyboard.press('Control+P');
  const input = w.page.locator('.quick-input-widget .quick-input-box input.input');
  await input.fill(RUN_FILE);
  await w.page.locator(`.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="${RUN_FILE}"]`).first().click({ timeout: 30_000 });
  await w.page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
  await w.page.keyboard.press('Control+A');
  await w.page.keyboard.press('Control+Alt+Enter');
  const block = new RegExp(`── import os {2}· {2}all engines {2}· {2}${escapeRegExp(cluster)} {2}· {2}[\\d:]+ ──\\n\\[stdout:0,1\\] dir ${escapeRegExp(c.ipythonDir)}\\n── done 2/2`);
  await w.waitForOutput(Channels.output, block, 60_000);
}

test('connects the first cluster from the palette: the Engines view lists its two engines, not grouped', { timeout: 120_000 }, step('connect-first', async (w) => {
  await openContainer(w);
  await w.runCommand(paletteTitle(Commands.connect));
  await w.pickQuickItem('alpha', 30_000);
  await waitFor(async () => {
    const labels = await treeLabels(engines(w));
    return labels.length === 2 && labels.every((l) => /^engine \d$/.test(l));
  }, 60_000, 'two engines, without a cluster node, in the Engines view');
}));

test('connects the second beside it from its row in the Clusters view: the Engines view groups by cluster', { timeout: 120_000 }, step('connect-second', async (w) => {
  const clusters = viewPane(w, 'Clusters');
  const header = clusters.locator('.pane-header');
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
  const row = treeRow(clusters, 'default / beta');
  await row.waitFor({ state: 'visible', timeout: 60_000 });
  await row.click({ button: 'right' });
  await clickMenuItem(w, /^Connect to This Cluster$/);
  await waitFor(async () => {
    const labels = await treeLabels(engines(w));
    return labels.join('|') === 'default/alpha|engine 0|engine 1|default/beta (active)|engine 0|engine 1';
  }, 60_000, 'both clusters with their engines in the Engines view, the second active');
  await waitFor(async () => /beta/.test(await statusItem(w).innerText()), 20_000, 'the status bar to name the second cluster');
}));

test('the keybinding runs on the active (second) cluster; its output is headed with its name', { timeout: 120_000 }, step('run-second', async (w) => {
  await runOn(w, 'default/beta', beta!);
  assert.doesNotMatch(w.readOutputChannel(Channels.output), new RegExp(`dir ${escapeRegExp(alpha!.ipythonDir)}`), 'nothing ran on the first cluster');
}));

test('Switch Active Cluster from the palette; the keybinding then runs on the first', { timeout: 120_000 }, step('switch', async (w) => {
  await w.runCommand(paletteTitle(Commands.switchCluster));
  await w.pickQuickItem('alpha', 20_000);
  await waitFor(async () => /alpha/.test(await statusItem(w).innerText()), 20_000, 'the status bar to name the first cluster');
  await waitFor(async () => (await treeLabels(engines(w))).join('|') === 'default/alpha (active)|engine 0|engine 1|default/beta|engine 0|engine 1',
    30_000, 'the Engines view to mark the first cluster active');
  await runOn(w, 'default/alpha', alpha!);
  // Both blocks are kept apart: each under its cluster's header, with its own cluster's dir.
  const text = w.readOutputChannel(Channels.output);
  assert.equal(text.match(/── import os {2}· {2}all engines {2}· {2}default\/beta /g)?.length, 1, text);
  assert.equal(text.match(/── import os {2}· {2}all engines {2}· {2}default\/alpha /g)?.length, 1, text);
}));

test('the Tasks view keeps each run under its cluster; README screenshot of the multi-cluster Engines view', { timeout: 120_000 }, step('views', async (w) => {
  const tasks = viewPane(w, 'Tasks');
  const header = tasks.locator('.pane-header');
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
  await waitFor(async () => {
    const labels = await treeLabels(tasks);
    const a = labels.indexOf('default/alpha (active)');
    const b = labels.indexOf('default/beta');
    // Each cluster node has its one run under it (the active one also its History node).
    return a >= 0 && b > a && labels[a + 1] === 'import os' && labels[b + 1] === 'import os' && labels.length === b + 2;
  }, 30_000, 'one run under each cluster in the Tasks view');
  // The Clusters view folded, so that the picture shows the grouped Engines and Tasks views.
  const clusters = viewPane(w, 'Clusters').locator('.pane-header');
  if ((await clusters.getAttribute('aria-expanded')) === 'true') await clusters.click();
  await parkMouse(w);
  await clearNotifications(w).catch(() => undefined); // a toast left in the picture is no failure
  await w.screenshot('multi-cluster-engines', { readme: true });
}));
