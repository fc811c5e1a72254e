// Headless Debian Chromium through playwright-core (no browser download), with its config and cache kept
// under the test's temp root instead of $HOME (E2E-RECIPE.md §6).
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { codeServerLib } from './scripts';

export const VIEWPORT = { width: 1400, height: 900 };

export async function launchBrowser(root: string): Promise<Browser> {
  const { CHROMIUM } = await codeServerLib();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    env: {
      ...process.env,
      XDG_CONFIG_HOME: path.join(root, 'chromium', 'config'),
      XDG_CACHE_HOME: path.join(root, 'chromium', 'cache'),
    },
  });
}

export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

/** Close the browser, but never wait on it for more than `timeoutMs`. */
export async function closeBrowser(browser: Browser | undefined, timeoutMs = 10_000): Promise<void> {
  if (!browser) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    browser.close().catch(() => undefined),
    new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); }),
  ]);
  clearTimeout(timer);
}
