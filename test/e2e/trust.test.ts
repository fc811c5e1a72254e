// Workspace trust, end to end (issue 10, item 1): code-server with trust ENABLED opens a folder whose
// .vscode/settings.json turns on auto-connect with a profile that climbs out to a connection file planted
// in /tmp, whose `ssh` field names a host. Untrusted: opening a .py file connects nothing, starts no ssh
// and no Python under code-server (checked by pid in its process tree), the planted ssh host is never
// dialled, and hover shows nothing. Trusted (through the Manage Workspace Trust editor): the usual flow
// works against a real 2-engine cluster: auto-connect, a run, and hover with the engines' value.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { Channels } from '../../src/extension/ids';
import { descendants, TestCluster } from '../integration/harness';
import { readCmdline } from '../integration/harness/procs';
import { Workbench, waitFor } from './harness';

const PY = 'trust_demo.py';
const PY_TEXT = 'trust_value = 40 + 2\ntrust_value\n';

let cluster: TestCluster | undefined;
let wb: Workbench | undefined;
let planted: string | undefined;
let sshTrap: net.Server | undefined;
/** Connections made to the ssh host the planted file names: must stay 0. */
let dialled = 0;

/** A profile that is really a path: from any IPython directory it climbs to `dir`. */
function climbingProfile(dir: string): string {
  return `x/${'../'.repeat(16)}${dir.replace(/^\//, '')}`;
}

before(async () => {
  cluster = await TestCluster.start({ engines: 2 });
  sshTrap = net.createServer((s) => {
    dialled++;
    s.destroy();
  });
  await new Promise<void>((resolve) => sshTrap?.listen(0, '127.0.0.1', resolve));
  const trapPort = (sshTrap.address() as net.AddressInfo).port;
  // A valid-looking connection file (the real cluster's, key included) whose ssh field names a host.
  planted = fs.mkdtempSync(path.join('/tmp', 'ipp-planted-'));
  const file = path.join(planted, 'security', 'ipcontroller-client.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const info = JSON.parse(fs.readFileSync(cluster.connectionFile, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(file, JSON.stringify({ ...info, ssh: `attacker@127.0.0.1:${trapPort}` }), { mode: 0o600 });
  wb = await Workbench.start({
    trust: true,
    workspaceSettings: { 'ipyparallel.autoConnect': true, 'ipyparallel.profile': climbingProfile(planted) },
    env: process.env.IPP_PYTHON ? { IPP_PYTHON: process.env.IPP_PYTHON } : {},
    settings: { 'editor.hover.delay': 100, 'workbench.editor.enablePreview': false },
  });
  fs.writeFileSync(path.join(wb.workspace, PY), PY_TEXT);
}, { timeout: 240_000 });

after(async () => {
  try {
    await wb?.close();
  } finally {
    await cluster?.stop();
    sshTrap?.close();
    if (planted) fs.rmSync(planted, { recursive: true, force: true });
  }
}, { timeout: 60_000 });

let failed: string | undefined;
function step(name: string, fn: (w: Workbench) => Promise<void>): (t: TestContext) => Promise<void> {
  return async (t) => {
    if (failed) return t.skip(`the "${failed}" step failed`);
    assert.ok(wb, 'the workbench did not start');
    try {
      await fn(wb);
    } catch (err) {
      failed = name;
      await wb.screenshot(`trust-failed-${name}`).catch(() => undefined);
      throw err;
    }
  };
}

/** ssh and Python processes anywhere under code-server (its extension host, our language server, ...). */
function sshOrPythonUnderCodeServer(w: Workbench): string[] {
  return descendants([w.server.pid])
    .map((p) => readCmdline(p.pid))
    .filter((argv) => argv.length > 0 && /(^|\/)(ssh|python[\d.]*)$/.test(argv[0]))
    .map((argv) => argv.join(' '));
}

/** The language server: a node process under code-server running our dist/server.js. */
function languageServerRunning(w: Workbench): boolean {
  return descendants([w.server.pid]).some((p) => readCmdline(p.pid).some((a) => a.endsWith(path.join('dist', 'server.js'))));
}

async function openPy(w: Workbench): Promise<void> {
  await w.page.keyboard.press('Control+P');
  const input = w.page.locator('.quick-input-widget .quick-input-box input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(PY);
  await w.page.locator(`.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="${PY}"]`).first().click({ timeout: 30_000 });
  await w.page.locator(`.editor-group-container .tab[aria-label^="${PY}"]`).waitFor({ state: 'visible', timeout: 20_000 });
  await w.page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
}

/** Put the cursor at line:column (1-based) with Go to Line. */
async function goTo(w: Workbench, line: number, column: number): Promise<void> {
  await w.page.keyboard.press('Control+G');
  const input = w.page.locator('.quick-input-widget .quick-input-box input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${line}:${column}`);
  await input.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** The mouse on `trust_value` of line 2; returns the hover's text ('' when none shows within 5 s). */
async function hoverText(w: Workbench): Promise<string> {
  await w.page.mouse.move(1000, 500); // off the word first, so that moving onto it starts a new hover
  await w.page.keyboard.press('Escape');
  const word = w.page.locator('.editor-group-container .monaco-editor .view-line').nth(1).locator('span span', { hasText: 'trust_value' }).first();
  const box = await word.boundingBox({ timeout: 10_000 });
  assert.ok(box, 'trust_value is on screen');
  await w.page.mouse.move(box.x + 5, box.y + box.height / 2, { steps: 3 });
  const hover = w.page.locator('.monaco-hover .hover-contents').filter({ hasText: /on engine/ }).first();
  const shown = await hover.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false);
  return shown ? (await hover.innerText()).replace(/\u00a0/g, ' ') : '';
}

test('untrusted: opening a .py file connects nothing, starts no ssh or Python, and hover evaluates nothing', { timeout: 120_000 },
  step('untrusted', async (w) => {
    await openPy(w);
    // The extension is active: it saw the setting and did not act on it. Nothing used it, so its language
    // server is not even started (it starts on first use: connect, a run, auto-connect or its views).
    await w.waitForOutput(Channels.log, /auto-connect skipped: the workspace is not trusted/, 60_000);
    const watchUntil = Date.now() + 5_000;
    while (Date.now() < watchUntil) {
      assert.deepEqual(sshOrPythonUnderCodeServer(w), [], 'ssh or Python started under code-server in an untrusted workspace');
      assert.equal(languageServerRunning(w), false, 'the language server started although nothing used the extension');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(await hoverText(w).then((t) => /trust_value\s+on engine/.test(t)), false, 'hover showed an engine value');
    const log = w.readOutputChannel(Channels.log);
    assert.doesNotMatch(log, /connected to |ssh tunnel/i);
    assert.equal(dialled, 0, 'the ssh host named by the planted connection file was dialled');
  }));

test('trusted: the usual flow works (auto-connect to the real cluster, run, hover)', { timeout: 180_000 }, step('trusted', async (w) => {
  assert.ok(cluster);
  // Point the settings at the real cluster (still untrusted: still nothing may happen), then trust.
  const settingsFile = path.join(w.workspace, '.vscode', 'settings.json');
  fs.writeFileSync(settingsFile, JSON.stringify({
    'ipyparallel.autoConnect': true, 'ipyparallel.ipythonDir': cluster.ipythonDir, 'ipyparallel.profile': cluster.profile,
  }, null, 2));
  await new Promise((r) => setTimeout(r, 1_500));
  assert.doesNotMatch(w.readOutputChannel(Channels.log), /connected to /);

  await w.runCommand('Workspaces: Manage Workspace Trust');
  const trustButton = w.page.locator('.workspace-trust-editor .workspace-trust-buttons-row .monaco-button', { hasText: /^Trust/ }).first();
  await trustButton.click({ timeout: 30_000 });
  await w.waitForOutput(Channels.log, new RegExp(`connected to ${escapeRegExp(cluster.connectionFile)}: 2 engines`), 60_000);

  await w.page.locator(`.editor-group-container .tab[aria-label^="${PY}"]`).click();
  await w.page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
  await goTo(w, 1, 1);
  await w.page.keyboard.press('Control+Alt+Enter'); // Run Selection or Line: defines trust_value on both engines
  await w.waitForOutput(Channels.output, /trust_value = 40 \+ 2[^]*── done 2\/2/, 60_000);
  const text = await waitFor(async () => {
    const t = await hoverText(w);
    return /trust_value\s+on engines 0, 1/.test(t) ? t : '';
  }, 60_000, 'a hover with the engines\' value of trust_value');
  assert.match(text, /42/);
  assert.equal(dialled, 0, 'the planted ssh host was never dialled');
}));

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
