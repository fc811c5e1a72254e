// GUI smoke test: the packaged .vsix installs into code-server and comes alive in a real workbench.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { readManifest } from '../unit/support/manifest';
import { REPO, Workbench, waitFor } from './harness';

interface Manifest {
  publisher: string;
  displayName: string;
  name: string;
  version: string;
}
// In English: displayName is a %key% into package.nls.json.
const pkg = readManifest<Manifest>(REPO);
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

test('the extension\'s details page shows the README with its screenshots loaded', async () => {
  // The Extensions view, filtered to installed extensions, then our row: its details page opens.
  await wb.page.keyboard.press('Control+Shift+X');
  const search = wb.page.locator('.extensions-viewlet .suggest-input-container textarea, .extensions-viewlet .suggest-input-container .inputarea').first();
  await search.waitFor({ state: 'visible', timeout: 30_000 });
  await search.focus();
  await wb.page.keyboard.type(`@installed ${pkg.displayName}`);
  const row = wb.page.locator(`.extensions-viewlet .monaco-list-row[aria-label^="${pkg.displayName}"]`).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
  // The README renders in a webview (an iframe holding the active frame with the markdown). The page
  // script is a string so that this Node-side file needs no DOM types.
  const probe = `(() => {
    const h = document.querySelector('h1, h2');
    if (!h || !h.textContent.includes('IPython Parallel')) return null;
    return [...document.images].map((i) => ({ src: (i.getAttribute('src') || '').slice(0, 40), loaded: i.complete && i.naturalWidth > 0 }));
  })()`;
  let seen = 'no frame with the README';
  const images = await waitFor(async () => {
    for (const frame of wb.page.frames()) {
      const found = (await frame.evaluate(probe).catch(() => null)) as { src: string; loaded: boolean }[] | null;
      if (!found) continue;
      seen = `README frame, images: ${JSON.stringify(found)}`;
      if (found.length > 0 && found.every((i) => i.loaded)) return found;
    }
    return undefined;
  }, 60_000, 'the README in the details page with every screenshot loaded').catch(async (e: Error) => {
    await wb.screenshot('extension-details-failed');
    throw new Error(`${e.message} (last seen: ${seen})`);
  });
  assert.ok(images.length >= 3, `screenshots shown: ${images.map((i) => i.src).join(', ')}`);
  await wb.screenshot('extension-details');
});
