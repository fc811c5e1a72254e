/**
 * Loaded in a real extension host (code-server's VS Code server) as extensionTestsPath: times
 * `activate()` of our extension, which loads dist/extension.js and runs its activate() to completion,
 * then writes the time as a one-test report to $IPP_E2E_REPORT (the shape runExtensionHostTests reads).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';

const REPO = join(__dirname, '..', '..', '..');

export async function run(): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { publisher: string; name: string };
  const id = `${pkg.publisher}.${pkg.name}`;
  const ext = vscode.extensions.getExtension(id);
  if (!ext) throw new Error(`${id} is not loaded in the extension host`);
  const wasActive = ext.isActive;
  const t0 = performance.now();
  await ext.activate();
  const ms = performance.now() - t0;
  const report = {
    passes: 1,
    failures: 0,
    pending: 0,
    tests: [{ title: wasActive ? 'already active' : 'activate', state: 'passed', durationMs: ms }],
  };
  const file = process.env.IPP_E2E_REPORT;
  if (file) writeFileSync(file, JSON.stringify(report));
}
