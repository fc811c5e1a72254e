/**
 * Loaded in a real extension host (code-server's VS Code server) as extensionTestsPath: times
 * `activate()` of our extension, which loads dist/extension.js and runs its activate() to completion,
 * and checks that activation started no language server. With $IPP_BENCH_CONNECTION_FILE set, it then
 * times the first use: `ipyparallel.connect` to that file, which starts the language server (loading
 * the language client from dist/server.js, then spawning dist/server.js) and connects, until the
 * command resolves connected.
 * Writes the times as a report to $IPP_E2E_REPORT (the shape runExtensionHostTests reads).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension/extension';

const REPO = join(__dirname, '..', '..', '..');

interface Timed {
  title: string;
  state: 'passed' | 'failed';
  durationMs?: number;
  error?: string;
}

async function firstUse(api: ExtensionApi, connectionFile: string): Promise<Timed> {
  const title = 'first use to connected';
  if (api.ctx.client) return { title, state: 'failed', error: 'the language server was already started before the first use' };
  const t0 = performance.now();
  await vscode.commands.executeCommand('ipyparallel.connect', { connectionFile });
  const ms = performance.now() - t0;
  if (!api.ctx.model.connected) return { title, state: 'failed', error: `not connected after ipyparallel.connect: ${api.lastError.message ?? 'no error shown'}` };
  await vscode.commands.executeCommand('ipyparallel.disconnect');
  return { title, state: 'passed', durationMs: ms };
}

export async function run(): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { publisher: string; name: string };
  const id = `${pkg.publisher}.${pkg.name}`;
  const ext = vscode.extensions.getExtension<ExtensionApi>(id);
  if (!ext) throw new Error(`${id} is not loaded in the extension host`);
  const wasActive = ext.isActive;
  const t0 = performance.now();
  const api = await ext.activate();
  const ms = performance.now() - t0;
  const tests: Timed[] = [{ title: wasActive ? 'already active' : 'activate', state: 'passed', durationMs: ms }];
  if (api.ctx.client) tests[0] = { ...tests[0], state: 'failed', error: 'activation started the language server' };
  const file = process.env.IPP_BENCH_CONNECTION_FILE;
  if (file) {
    try {
      tests.push(await firstUse(api, file));
    } catch (e) {
      tests.push({ title: 'first use to connected', state: 'failed', error: e instanceof Error ? e.message : String(e) });
    }
  }
  const failures = tests.filter((t) => t.state === 'failed').length;
  const report = { passes: tests.length - failures, failures, pending: 0, tests };
  const out = process.env.IPP_E2E_REPORT;
  if (out) writeFileSync(out, JSON.stringify(report));
}
