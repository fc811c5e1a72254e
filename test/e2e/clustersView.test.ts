// GUI test of the Clusters view in code-server (the packaged .vsix, Playwright): beside a stale and a
// stopped cluster, Start Cluster… from the view's title starts a 2-engine local cluster; it shows as
// running; Connect (offered once it is up) fills the Engines view; a selection runs on its engines; an engine killed
// by pid shows as lost and Restart Lost Engines replaces it; Stop from its menu leaves it stopped, with
// none of its processes alive (checked by pid). README screenshots: the view with clusters in several
// states, and with a lost engine.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { readClusterRecord } from '../../src/core/protocol';
import { Channels, Commands } from '../../src/extension/ids';
import { findIpyparallelPython, readStat } from '../integration/harness';
import { listProcs, readCmdline } from '../integration/harness/procs';
import { SCREENSHOT_SETTINGS, Workbench, waitFor } from './harness';
import { clearNotifications, clickMenuItem, openContainer, paletteTitle, parkMouse, treeLabels, treeRow, viewPane } from './harness/views';

const ipythonDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-gui-clusters-'));
const security = path.join(ipythonDir, 'profile_default', 'security');
const profileDir = path.join(ipythonDir, 'profile_default');
const RUN_FILE = 'where.py';
const GUI = 'default / gui';
/** Every pid the cluster's record named at some point (controller, engines, restarted engines). */
const seen = new Set<number>();
let ipclusterPid: number | undefined;
let wb: Workbench | undefined;

const alive = (pid: number) => {
  const st = readStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
};

function record() {
  const r = readClusterRecord(profileDir, 'gui', 'default');
  for (const p of r.pids) seen.add(p);
  return r;
}

/** A stale cluster (a record whose processes are gone) and a stopped one (a connection file alone). */
function writeOtherClusters(): void {
  fs.mkdirSync(security, { recursive: true });
  const dead = spawnSync('true').pid;
  const stale = {
    cluster: { cluster_id: 'old', profile_dir: profileDir, n: 4 },
    controller: { class: 'local', state: { pid: dead, state: 'running' } },
    engines: { class: 'mpi', sets: { '1795968637': { n: 4, pid: dead, state: 'running' } } },
  };
  fs.writeFileSync(path.join(security, 'cluster-old.json'), JSON.stringify(stale));
  fs.writeFileSync(path.join(security, 'ipcontroller-old-client.json'), '{}');
  fs.writeFileSync(path.join(security, 'ipcontroller-legacy-client.json'), '{}');
}

before(async () => {
  writeOtherClusters();
  wb = await Workbench.start({
    workspaceSettings: { 'ipyparallel.ipythonDir': ipythonDir },
    env: { IPP_PYTHON: findIpyparallelPython() },
    settings: SCREENSHOT_SETTINGS,
  });
  fs.writeFileSync(path.join(wb.workspace, RUN_FILE), 'import os\nprint("pid", os.getpid())\n');
}, { timeout: 240_000 });

after(async () => {
  try {
    await wb?.close();
  } finally {
    // Whatever a failed step left: the cluster's processes by pid, with their process groups (the
    // controller's schedulers are its children, in its group).
    for (const p of [...seen, ...(ipclusterPid ? [ipclusterPid] : [])]) {
      for (const target of [-p, p]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    if (process.env.IPP_E2E_KEEP) process.stderr.write(`# IPP_E2E_KEEP: left ${ipythonDir}\n`);
    else fs.rmSync(ipythonDir, { recursive: true, force: true });
  }
}, { timeout: 60_000 });

let failedStep: string | undefined;

/** Run `fn`; on failure save a screenshot and skip the later steps (they build on this one). */
function step(name: string, fn: (w: Workbench) => Promise<void>): (t: TestContext) => Promise<void> {
  return async (t) => {
    if (failedStep) return void t.skip(`the "${failedStep}" step failed`);
    assert.ok(wb, 'the workbench did not start');
    try {
      await fn(wb);
    } catch (err) {
      failedStep = name;
      await wb.screenshot(`clusters-failed-${name}`).catch(() => undefined);
      throw err;
    }
  };
}

const clustersPane = (w: Workbench) => viewPane(w, 'Clusters');

/** The description of a cluster's row, once it matches `pattern`. */
function rowDescription(w: Workbench, label: string, pattern: RegExp, timeoutMs: number): Promise<string> {
  const row = treeRow(clustersPane(w), label);
  return waitFor(async () => {
    const d = (await row.locator('.label-description').allInnerTexts())[0] ?? '';
    return pattern.test(d) ? d : undefined;
  }, timeoutMs, `the row ${label} to match ${pattern}`);
}

async function rowMenu(w: Workbench, label: string, item: RegExp): Promise<void> {
  await treeRow(clustersPane(w), label).click({ button: 'right' });
  await clickMenuItem(w, item);
}

test('the Clusters view lists a stale and a stopped cluster', { timeout: 120_000 }, step('list', async (w) => {
  await openContainer(w);
  const header = clustersPane(w).locator('.pane-header');
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
  await rowDescription(w, 'default / old', /^stale · 4 engines · mpi/, 60_000);
  await rowDescription(w, 'default / legacy', /^stopped/, 10_000);
}));

test('Start Cluster… in the view\'s title starts a 2-engine local cluster that shows as running', { timeout: 240_000 }, step('start', async (w) => {
  const header = clustersPane(w).locator('.pane-header');
  await header.hover();
  await header.locator('a.action-label[aria-label="Start Cluster…"]').click();
  await w.pickQuickItem('default', 20_000);
  const input = w.page.locator('.quick-input-widget .quick-input-box input.input');
  for (const [title, answer] of [['(2/4): cluster id', 'gui'], ['(3/4): engines', '2']]) {
    await w.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: 20_000 });
    await input.fill(answer);
    await input.press('Enter');
  }
  await w.pickQuickItem('local', 20_000);
  await rowDescription(w, GUI, /^2 engines · local · started \d\d:\d\d$/, 180_000);
  const r = record();
  assert.equal(r.state, 'running');
  // The ipcluster process the window started (it is not in the record).
  ipclusterPid = listProcs().find((p) => {
    const argv = readCmdline(p.pid);
    return argv.includes('ipyparallel.cluster') && argv.includes('start') && argv.includes('--cluster-id=gui');
  })?.pid;
  assert.ok(ipclusterPid, 'the ipcluster process of the started cluster');
}));

test('Connect, offered once it is up: the row says connected and the Engines view lists two engines', { timeout: 120_000 }, step('connect', async (w) => {
  const toast = w.page.locator('.notifications-toasts .notification-toast', { hasText: 'cluster gui started' });
  await toast.locator('.monaco-button', { hasText: /^Connect$/ }).click({ timeout: 30_000 });
  await rowDescription(w, GUI, /^connected · 2 engines · local/, 60_000);
  const engines = viewPane(w, 'Engines');
  await waitFor(async () => (await treeLabels(engines)).length === 2, 60_000, 'two engines in the Engines view');
  await parkMouse(w);
  await clearNotifications(w).catch(() => undefined); // a toast left in the picture is no failure
  await w.screenshot('clusters-view', { readme: true });
}));

test('a selection runs on the two engines of the started cluster', { timeout: 120_000 }, step('run', async (w) => {
  await w.page.keyboard.press('Control+P');
  const input = w.page.locator('.quick-input-widget .quick-input-box input.input');
  await input.fill(RUN_FILE);
  await w.page.locator(`.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="${RUN_FILE}"]`).first().click({ timeout: 30_000 });
  await w.page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
  await w.page.keyboard.press('Control+A');
  await w.page.keyboard.press('Control+Alt+Enter');
  const text = await w.waitForOutput(Channels.output, /\[stdout:0\] pid \d+[^]*\[stdout:1\] pid \d+/, 60_000);
  const pids = [...text.matchAll(/\[stdout:\d\] pid (\d+)/g)].map((m) => Number(m[1]));
  const enginePids = record().pids;
  for (const p of pids) assert.ok(enginePids.includes(p), `engine pid ${p} is one of the cluster's (${enginePids.join(', ')})`);
}));

test('an engine killed by pid shows as lost; Restart Lost Engines starts a new one', { timeout: 180_000 }, step('lost', async (w) => {
  const r = record();
  const victim = r.pids.find((p) => p !== r.controllerPid);
  assert.ok(victim, `an engine pid in ${r.pids.join(', ')}`);
  process.kill(victim, 'SIGKILL');
  await waitFor(async () => !alive(victim), 10_000, `engine ${victim} to die`);
  await w.runCommand(paletteTitle(Commands.refreshClusters));
  await rowDescription(w, GUI, /^connected · 1 of 2 engines lost · local/, 30_000);
  await parkMouse(w);
  await w.screenshot('clusters-engine-lost', { readme: true });
  await rowMenu(w, GUI, /^Restart Lost Engines$/);
  await rowDescription(w, GUI, /^connected · 2 engines · local/, 90_000);
  const now = record();
  assert.equal(now.lostEngines, 0);
  const fresh = now.pids.filter((p) => p !== now.controllerPid && !r.pids.includes(p));
  assert.equal(fresh.length, 1, `one new engine pid: ${now.pids.join(', ')}`);
  // The Engines view picks the new engine up as it registers.
  await waitFor(async () => (await treeLabels(viewPane(w, 'Engines'))).includes('engine 2'), 60_000, 'engine 2 in the Engines view');
}));

test('Stop from its menu: the row shows stopped and none of its processes lives', { timeout: 120_000 }, step('stop', async (w) => {
  record();
  const pids = [...seen, ipclusterPid!];
  assert.ok(pids.length >= 4, `controller and engines seen: ${pids.join(', ')}`);
  await rowMenu(w, GUI, /^Stop Cluster$/);
  await rowDescription(w, GUI, /^stopped/, 60_000);
  await waitFor(async () => pids.every((p) => !alive(p)), 20_000, 'every process of the cluster to end').catch(() => undefined);
  assert.deepEqual(pids.filter(alive), [], `left running after Stop: ${pids.filter(alive).join(', ')}`);
  await w.page.locator('.part.statusbar').waitFor({ state: 'visible' });
}));
