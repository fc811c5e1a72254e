// GUI test of what closing a window leaves running, in code-server: a local cluster started from the
// window (Start Local Cluster…, one engine) stops when the window closes (ipyparallel.keepLocalClusterRunning
// off, the default), checked by pid; with the setting on, a cluster started from the next window outlives its
// window, and the test then stops it itself. The window is closed as a user closes a tab (the page's unload
// runs, and VS Code shuts the remote extension host down, which deactivates the extension).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { readClusterRecord } from '../../src/core/protocol';
import { Workbench, waitFor } from './harness';
import { newPage } from './harness/browser';
import { stepRunner } from './harness/views';

let wb: Workbench | undefined;
const ipythonDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-close-'));
const profileDir = path.join(ipythonDir, 'profile_default');
/** Every pid of a cluster this test started, to kill in after() whatever a failed step left. */
const seen = new Set<number>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** The ids of the clusters recorded in the test's IPython dir. */
function clusterIds(): string[] {
  const security = path.join(profileDir, 'security');
  if (!fs.existsSync(security)) return [];
  return fs.readdirSync(security).flatMap((f) => /^cluster-(.+)\.json$/.exec(f)?.[1] ?? []);
}

function setKeep(w: Workbench, keep: boolean): void {
  const file = path.join(w.workspace, '.vscode', 'settings.json');
  const settings = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(file, JSON.stringify({ ...settings, 'ipyparallel.keepLocalClusterRunning': keep }, null, 2));
}

before(async () => {
  wb = await Workbench.start({
    workspaceSettings: { 'ipyparallel.ipythonDir': ipythonDir },
    settings: { 'workbench.colorTheme': 'Default Dark Modern', 'remote.autoForwardPorts': false },
  });
}, { timeout: 180_000 });

after(async () => {
  try {
    await wb?.close();
  } finally {
    for (const p of [...seen].filter(alive)) process.kill(p, 'SIGKILL');
    fs.rmSync(ipythonDir, { recursive: true, force: true });
  }
}, { timeout: 60_000 });

const step = stepRunner('window-close', () => wb);

/**
 * Starts a 1-engine local cluster from the palette of `page` and waits until the window is connected to it;
 * returns its controller and engine pids, read from its record.
 */
async function startFromPalette(page: Page, known: string[]): Promise<number[]> {
  const input = page.locator('.quick-input-widget .quick-input-box input.input');
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="IPython Parallel: Start Local Cluster"]').first();
  // The palette lists the extension's commands only once the extension host has registered them: retry.
  await waitFor(async () => {
    if (!(await input.isVisible())) await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('>IPython Parallel: Start Local Cluster');
    if (await row.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false)) return true;
    await page.keyboard.press('Escape');
    return undefined;
  }, 90_000, 'Start Local Cluster in the palette');
  await row.click();
  // The engine count's input box.
  await input.waitFor({ state: 'visible', timeout: 20_000 });
  await input.fill('1');
  await page.keyboard.press('Enter');
  await page.locator('.part.statusbar', { hasText: '1 engine' }).first().waitFor({ state: 'visible', timeout: 150_000 });
  const id = await waitFor(() => clusterIds().find((c) => !known.includes(c)), 20_000, 'the new cluster record');
  const r = readClusterRecord(profileDir, id, 'default');
  assert.equal(r.state, 'running');
  assert.ok(r.pids.length >= 2, `controller and engine pids in the record: ${r.pids.join(', ')}`);
  for (const p of r.pids) seen.add(p);
  return r.pids;
}

test('closing the window stops the local cluster started from it (keepLocalClusterRunning off)', { timeout: 300_000 }, step('close', async (w) => {
  const pids = await startFromPalette(w.page, []);
  assert.ok(pids.every(alive));
  await w.page.close({ runBeforeUnload: true });
  const left = await waitFor(() => (pids.every((p) => !alive(p)) ? [] : undefined), 30_000, 'every process of the cluster to end')
    .catch(() => pids.filter(alive));
  assert.deepEqual(left, [], `still running 30 s after the window closed: ${left.join(', ')} of ${pids.join(', ')}`);
}));

test('with keepLocalClusterRunning on, the cluster outlives its window', { timeout: 300_000 }, step('keep', async (w) => {
  setKeep(w, true);
  const page = await newPage(w.browser);
  await page.goto(w.server.folderUrl, { timeout: 60_000 });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  const pids = await startFromPalette(page, clusterIds());
  await page.close({ runBeforeUnload: true });
  // The first window's cluster ended within seconds of its close: give this one the same and more.
  await new Promise((r) => setTimeout(r, 15_000));
  assert.deepEqual(pids.filter((p) => !alive(p)), [], 'the kept cluster still runs after its window closed');
  for (const p of pids) process.kill(p, 'SIGTERM');
  await waitFor(() => pids.every((p) => !alive(p)) || undefined, 30_000, 'the kept cluster to stop on SIGTERM');
}));
