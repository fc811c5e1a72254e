// Mocha suites inside a real extension host, with the `vscode` API (E2E-RECIPE.md §7): the VS Code server
// bundled in code-server runs with --enable-smoke-test-driver, and a headless page opens the workbench with
// a `payload` naming extensionDevelopmentPath (the repo: package.json main -> dist/extension.js) and
// extensionTestsPath (a compiled suite index exporting run()). The workbench reports run()'s outcome
// through window.codeAutomationExit(code); the suite also writes a JSON report to $IPP_E2E_REPORT.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { closeBrowser, launchBrowser, newPage } from './browser';
import { trackGroup, untrackGroup } from './cleanup';
import { REPO, startVscodeLib, type ServerInstance } from './scripts';

export interface SuiteReport {
  passes: number;
  failures: number;
  pending: number;
  tests: { title: string; state: 'passed' | 'failed' | 'pending'; durationMs?: number; error?: string }[];
}

export interface ExtensionHostRun {
  /** 0 when run() resolved, 1 when it rejected. */
  exitCode: number;
  /** The suite's JSON report, or null when it wrote none (e.g. the extension host died). */
  report: SuiteReport | null;
  /** The page console, which carries the extension host's console (mocha's spec output). */
  console: string[];
}

export interface ExtensionHostOptions {
  /** Extra environment for the server and so the extension host. */
  env?: Record<string, string>;
  /** Deadline for the whole run, server start included. */
  timeoutMs?: number;
  /** Echo the page console to stderr as it arrives. */
  echo?: boolean;
  /** The extension under test; default the repository root. */
  extensionDevelopmentPath?: string;
}

/** Run `suiteIndexJs` in an extension host with `workspace` open; always stops what it started. */
export async function runExtensionHostTests(suiteIndexJs: string, workspace: string,
  opts: ExtensionHostOptions = {}): Promise<ExtensionHostRun> {
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-exthost-'));
  const reportFile = path.join(root, 'report.json');
  const lines: string[] = [];
  let server: (ServerInstance & { serverDataDir: string }) | undefined;
  let browser: Browser | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const { startRawServer } = await startVscodeLib();
    server = await startRawServer({ root: path.join(root, 'server'), env: { ...opts.env, IPP_E2E_REPORT: reportFile } });
    trackGroup(server.pid);
    browser = await launchBrowser(root);
    const page = await newPage(browser);
    page.on('console', (msg) => {
      lines.push(msg.text());
      if (opts.echo) process.stderr.write(`${msg.text()}\n`);
    });
    const exited = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server!.port}${path.resolve(p)}`;
    const payload = [
      ['extensionDevelopmentPath', remote(opts.extensionDevelopmentPath ?? REPO)],
      ['extensionTestsPath', remote(suiteIndexJs)],
    ];
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`extension-host tests did not finish within ${timeoutMs} ms\n`
        + lines.slice(-20).join('\n'))), timeoutMs);
    });
    await Promise.race([
      page.goto(`${server.url}/?folder=${encodeURIComponent(path.resolve(workspace))}`
        + `&payload=${encodeURIComponent(JSON.stringify(payload))}`, { timeout: 60_000 }),
      deadline,
    ]);
    const exitCode = await Promise.race([exited, deadline]);
    const report = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) as SuiteReport : null;
    return { exitCode, report, console: lines };
  } finally {
    clearTimeout(timer);
    await closeBrowser(browser);
    if (server) { await server.stop(); untrackGroup(server.pid); }
    if (process.env.IPP_E2E_KEEP) process.stderr.write(`# IPP_E2E_KEEP: left ${root}\n`);
    else fs.rmSync(root, { recursive: true, force: true });
  }
}
