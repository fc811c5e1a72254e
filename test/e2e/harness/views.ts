// Locators and steps on the workbench shared by the GUI tests: the palette title of a command, our views'
// panes and tree rows, the status bar item, the side bar, context menus, and waits for a clean screenshot.
import * as assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Locator } from 'playwright-core';
import { CATEGORY, EXTENSION_ID } from '../../../src/extension/ids';
import { readManifest } from '../../unit/support/manifest';
import { REPO } from './scripts';
import type { Workbench } from './workbench';

interface Manifest {
  contributes: { commands: { command: string; title: string; category?: string }[] };
}
// In English: package.json's titles are %key%s into package.nls.json.
const pkg = readManifest<Manifest>(REPO);

/** "Category: Title" of a contributed command, as the palette shows it. */
export function paletteTitle(id: string): string {
  const c = pkg.contributes.commands.find((x) => x.command === id);
  assert.ok(c, `package.json does not contribute ${id}`);
  return c.category ? `${c.category}: ${c.title}` : c.title;
}

/** The sidebar pane (view) whose header title is `title`. */
export function viewPane(w: Workbench, title: string): Locator {
  return w.page.locator('.part.sidebar .pane').filter({ has: w.page.locator('.pane-header h3.title', { hasText: new RegExp(`^${title}$`, 'i') }) });
}

/** Labels of the tree rows shown in a view. */
export async function treeLabels(pane: Locator): Promise<string[]> {
  return (await pane.locator('.monaco-list-row .label-name').allInnerTexts()).map((s) => s.trim());
}

/** The tree row of a view whose label is exactly `label`. */
export function treeRow(pane: Locator, label: string): Locator {
  return pane.locator('.monaco-list-row').filter({ has: pane.page().locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Our status bar item (its id is `<extension id>.<item id>`). */
export function statusItem(w: Workbench): Locator {
  return w.page.locator(`.part.statusbar [id="${EXTENSION_ID}.ipyparallel.status"]`);
}

export async function clearNotifications(w: Workbench): Promise<void> {
  await w.runCommand('Notifications: Clear All Notifications');
  await w.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Open the IPython Parallel container in the side bar (a click on an open container would close it). */
export async function openContainer(w: Workbench): Promise<void> {
  const item = w.activityBarItem(CATEGORY);
  await item.waitFor({ state: 'visible', timeout: 60_000 });
  const li = item.locator('xpath=..');
  if ((await li.getAttribute('aria-expanded')) !== 'true') await item.click();
  await viewPane(w, 'Engines').waitFor({ state: 'visible', timeout: 20_000 });
  await widenSidebar(w, 470);
}

/** Drag the side bar's edge so that tree rows are not cut short in the screenshots. */
export async function widenSidebar(w: Workbench, width: number): Promise<void> {
  const box = await w.page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const x = box.x + box.width;
  const y = box.y + box.height / 2;
  await w.page.mouse.move(x, y);
  await w.page.mouse.down();
  await w.page.mouse.move(x + (width - box.width) / 2, y);
  await w.page.mouse.move(box.x + width, y);
  await w.page.mouse.up();
}

/** Wait until `el` is visible and its (fade-in) animations have finished, for a clean screenshot. */
export async function settled(el: Locator, timeoutMs = 10_000): Promise<void> {
  await el.waitFor({ state: 'visible', timeout: timeoutMs });
  // The tests compile without the DOM lib: describe the little of Element that is used.
  type Animated = { getAnimations(o: { subtree: boolean }): { finished: Promise<unknown> }[] };
  await el.evaluate((node, ms) => Promise.race([
    Promise.all((node as unknown as Animated).getAnimations({ subtree: true }).map((a) => a.finished)),
    new Promise((resolve) => setTimeout(resolve, ms)),
  ]), 2_000);
}

/** Park the mouse where it shows no hover (empty editor space below the text). */
export async function parkMouse(w: Workbench): Promise<void> {
  await w.page.mouse.move(1000, 500);
}

/**
 * Clicks an item of the open context menu and waits for the menu to close. A menu that is still opening
 * can swallow a click (seen once in CI: the item stayed highlighted and the menu open), so the click is
 * retried while the menu stays open; a repeated command here (interrupt) is harmless.
 */
export async function clickMenuItem(w: Workbench, label: RegExp): Promise<void> {
  const menu = w.page.locator('.monaco-menu').first();
  const item = w.page.locator('.monaco-menu .action-item', { hasText: label }).first();
  await item.waitFor({ state: 'visible', timeout: 10_000 });
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await item.click({ timeout: 5_000 });
      await menu.waitFor({ state: 'hidden', timeout: 3_000 });
      return;
    } catch (e) {
      if (await menu.isHidden()) return;
      if (attempt === 3) throw e;
    }
  }
}

/**
 * Steps of a GUI test that build on each other: `step(name, fn)` runs `fn` on the workbench; on failure it
 * saves a screenshot `<prefix>-failed-<name>` and rethrows, and every later step is skipped rather than
 * failing on the same cause.
 */
export function stepRunner(prefix: string, workbench: () => Workbench | undefined): (name: string, fn: (w: Workbench) => Promise<void>) => (t: TestContext) => Promise<void> {
  let failed: string | undefined;
  return (name, fn) => async (t) => {
    if (failed) {
      t.skip(`the "${failed}" step failed`);
      return;
    }
    const w = workbench();
    assert.ok(w, 'the workbench did not start');
    try {
      await fn(w);
    } catch (err) {
      failed = name;
      await w.screenshot(`${prefix}-failed-${name}`).catch(() => undefined);
      throw err;
    }
  };
}
