// A real VS Code workbench for GUI tests: code-server with the packaged .vsix, a workspace copied from
// test/e2e/workspace-template, and headless Chromium on it. Selectors are the ones E2E-RECIPE.md §6
// verified on Code 1.100.3. Every wait has a deadline; close() always stops everything it started.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { closeBrowser, launchBrowser, newPage } from './browser';
import { trackGroup, untrackGroup } from './cleanup';
import { readExtensionHostLog, readOutputChannel } from './logs';
import { REPO, packageLib, startVscodeLib, type CodeServerInstance } from './scripts';
import { waitFor } from './wait';
import { prepareWorkspace } from './workspace';

export const SCREENSHOTS = path.join(REPO, 'test-results', 'screenshots');
export const README_SCREENSHOTS = path.join(REPO, 'media', 'screenshots');

/**
 * User settings of the GUI tests whose screenshots go into the README: no minimap, breadcrumbs, layout
 * control or preview tabs, one theme, and no port-forwarding prompts.
 */
export const SCREENSHOT_SETTINGS: Readonly<Record<string, unknown>> = {
  'editor.minimap.enabled': false,
  'breadcrumbs.enabled': false,
  'workbench.layoutControl.enabled': false,
  'workbench.editor.enablePreview': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'remote.autoForwardPorts': false,
};

export interface WorkbenchOptions {
  /** The .vsix to install; default this machine's, dist-vsix/ipyparallel-vscode-<target>.vsix; null installs nothing. */
  vsix?: string | null;
  /** Workspace folder to open (left in place); default a fresh copy of the template with `workspaceSettings`. */
  workspace?: string;
  workspaceSettings?: Record<string, unknown>;
  /** Extra user settings (merged over the recipe's quiet defaults). */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and so the extension host (e.g. IPP_PYTHON). */
  env?: Record<string, string>;
  /** Enable workspace trust: the folder opens untrusted (Restricted Mode); default off (trust disabled). */
  trust?: boolean;
}

export class Workbench {
  private closed?: Promise<void>;

  private constructor(
    readonly root: string,
    readonly workspace: string,
    readonly server: CodeServerInstance,
    readonly browser: Browser,
    readonly page: Page,
  ) {}

  /** Start code-server (vsix installed) and the browser, and open the workspace until the status bar shows. */
  static async start(opts: WorkbenchOptions = {}): Promise<Workbench> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-e2e-'));
    const workspace = opts.workspace ?? await prepareWorkspace(opts.workspaceSettings, path.join(root, 'workspace'));
    const vsix = opts.vsix === undefined ? (await packageLib()).VSIX_PATH : opts.vsix ?? undefined;
    if (vsix && !fs.existsSync(vsix)) {
      throw new Error(`${vsix} does not exist: run \`node scripts/e2eSetup.mjs\` (or \`npm run package\`) first`);
    }
    let server: CodeServerInstance | undefined;
    let browser: Browser | undefined;
    try {
      const { startCodeServer } = await startVscodeLib();
      server = await startCodeServer({ workspace, vsix, root: path.join(root, 'server'), settings: opts.settings, env: opts.env,
        trust: opts.trust });
      trackGroup(server.pid);
      browser = await launchBrowser(root);
      const page = await newPage(browser);
      const wb = new Workbench(root, workspace, server, browser, page);
      await wb.open();
      return wb;
    } catch (err) {
      await closeBrowser(browser);
      if (server) { await server.stop(); untrackGroup(server.pid); }
      removeUnlessKept(root);
      throw err;
    }
  }

  /** Load the workbench page and wait until it has rendered (status bar visible). */
  async open(): Promise<void> {
    await this.page.goto(this.server.folderUrl, { timeout: 60_000 });
    await this.page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  }

  /** The activity-bar entry whose aria-label starts with `title` (a view container of ours). */
  activityBarItem(title: string): Locator {
    return this.page.locator(`.part.activitybar a.action-label[aria-label^="${cssString(title)}"]`);
  }

  async openPalette(): Promise<Locator> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input.input');
    if (!(await input.isVisible())) await this.page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    return input;
  }

  /** Run a palette command by its full title as the palette shows it ("Category: Title"). */
  async runCommand(title: string, timeoutMs = 20_000): Promise<void> {
    const input = await this.openPalette();
    await input.fill(`>${title}`);
    const t = cssString(title);
    const row = this.page.locator(`.quick-input-widget .quick-input-list .monaco-list-row[aria-label="${t}"], `
      + `.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="${t}, "]`).first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    await row.click();
    await this.page.locator('.quick-input-widget .quick-input-list').first().waitFor({ state: 'hidden', timeout: timeoutMs })
      .catch(() => undefined); // the command may open its own quick pick at once
  }

  /** Pick an item in an open quick pick by its label (prefix match on the row's aria-label). */
  async pickQuickItem(label: string, timeoutMs = 20_000): Promise<void> {
    const row = this.page.locator(`.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="${cssString(label)}"]`).first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    await row.click();
  }

  /** Full text of an output channel, from the extension host's on-disk mirror. */
  readOutputChannel(name: string): string {
    return readOutputChannel(this.server.userDataDir, name);
  }

  /** Wait until the output channel `name` matches `pattern`; returns the channel text. */
  waitForOutput(name: string, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    return waitFor(() => {
      const text = this.readOutputChannel(name);
      return pattern.test(text) ? text : '';
    }, timeoutMs, `output channel "${name}" to match ${pattern}`);
  }

  /** `code-server --list-extensions --show-versions` for this instance: ["publisher.name@1.2.3", ...]. */
  async listExtensions(): Promise<string[]> {
    return (await startVscodeLib()).listExtensions({ root: this.server.root });
  }

  /** Text of the extension host log (remoteexthost.log). */
  extensionHostLog(): string {
    return readExtensionHostLog(this.server.userDataDir);
  }

  /**
   * Save a PNG to test-results/screenshots/<name>.png. With `readme`, and when IPP_UPDATE_SCREENSHOTS=1,
   * also to media/screenshots/ (the README's pictures), so that a plain test run leaves the tree clean.
   */
  async screenshot(name: string, { readme = false } = {}): Promise<string> {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, `${name}.png`);
    await this.page.screenshot({ path: file, timeout: 20_000 });
    if (readme && process.env.IPP_UPDATE_SCREENSHOTS === '1') {
      fs.mkdirSync(README_SCREENSHOTS, { recursive: true });
      fs.copyFileSync(file, path.join(README_SCREENSHOTS, `${name}.png`));
    }
    return file;
  }

  /** Close the browser and stop code-server's process group; safe to call twice. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await closeBrowser(this.browser);
      await this.server.stop();
      untrackGroup(this.server.pid);
      removeUnlessKept(this.root);
    })();
    return this.closed;
  }
}

function removeUnlessKept(root: string): void {
  if (process.env.IPP_E2E_KEEP) {
    process.stderr.write(`# IPP_E2E_KEEP: left ${root}\n`);
    return;
  }
  fs.rmSync(root, { recursive: true, force: true });
}

/** Escape a string for a double-quoted CSS attribute value. */
function cssString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
