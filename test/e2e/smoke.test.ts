// GUI smoke test: the packaged .vsix installs into code-server and comes alive in a real workbench.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO, Workbench, waitFor } from './harness';

interface Manifest {
  publisher: string;
  name: string;
  version: string;
}
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Manifest;
const EXTENSION_ID = `${pkg.publisher}.${pkg.name}`;
const ID_PATTERN = EXTENSION_ID.replace(/[.]/g, '\\.');
const CONTAINER_TITLE = 'IPython Parallel';

let wb: Workbench;

before(async () => {
  wb = await Workbench.start();
}, { timeout: 120_000 });

after(async () => {
  await wb?.close();
});

test('the .vsix is installed in code-server', async () => {
  const installed = await wb.listExtensions();
  assert.ok(installed.includes(`${EXTENSION_ID}@${pkg.version}`), `installed: ${installed.join(', ') || 'nothing'}`);
});

test('the packaged zeromq addon loads with the extension host\'s Node', async () => {
  const dir = fs.readdirSync(wb.server.extensionsDir).find((d) => d.startsWith(`${EXTENSION_ID}-`));
  assert.ok(dir, 'extension folder not found');
  const zeromq = path.join(wb.server.extensionsDir, dir, 'node_modules', 'zeromq');
  // code-server (#!/usr/bin/env node) runs its extension host on the same Node 20 as this test.
  const res = spawnSync(process.execPath, ['-e', `const z = require(${JSON.stringify(zeromq)}); new z.Dealer().close(); console.log(z.version)`],
    { encoding: 'utf8', timeout: 30_000 });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout.trim(), /^4\.\d+\.\d+$/);
  assert.equal(res.stderr, '', 'the zeromq loader warned (a missing addon variant?)');
});

test('the "IPython Parallel" view container is in the activity bar', async () => {
  await wb.activityBarItem(CONTAINER_TITLE).waitFor({ state: 'visible', timeout: 30_000 });
  await wb.screenshot('smoke-workbench');
});

test('opening a Python file activates the extension without errors', async () => {
  await wb.page.keyboard.press('Control+P');
  const input = wb.page.locator('.quick-input-widget .quick-input-box input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill('sample.py');
  await wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="sample.py"]').first().click();
  await wb.page.locator('.editor-group-container .tab[aria-label^="sample.py"]').waitFor({ state: 'visible', timeout: 20_000 });
  const log = await waitFor(() => {
    const text = wb.extensionHostLog();
    return new RegExp(`_doActivateExtension ${ID_PATTERN}\\b`).test(text) ? text : '';
  }, 30_000, `activation of ${EXTENSION_ID}`);
  assert.doesNotMatch(log, new RegExp(`Activating extension '?${ID_PATTERN}'? failed`, 'i'));
});
