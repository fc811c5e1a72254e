/**
 * The extension's cost to the editor: bundle sizes, and activation time measured in a real extension
 * host (code-server's VS Code server, driven by the e2e harness), one fresh host per repetition.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { prepareWorkspace, runExtensionHostTests } from '../../test/e2e/harness';
import { REPO_ROOT } from '../clients/lspClient';
import type { Row } from '../results';
import { fmt } from '../results';
import type { Failure } from './repeat';

export async function measureExtension(opts: { reps: number; failures: Failure[]; log: (line: string) => void }): Promise<Row[]> {
  const rows: Row[] = [];
  // dist/client.js (the language client) is loaded on first use, not at activation.
  for (const file of ['dist/extension.js', 'dist/client.js', 'dist/server.js']) {
    const path = join(REPO_ROOT, file);
    if (!existsSync(path)) {
      opts.failures.push({ metric: 'bundle size', client: 'extension', message: `${file} is missing (npm run build)` });
      continue;
    }
    rows.push({ metric: `bundle size, ${file}`, client: 'extension', unit: 'KiB', values: [statSync(path).size / 1024] });
  }
  const values: number[] = [];
  let note: string | undefined;
  try {
    const workspace = await prepareWorkspace();
    try {
      for (let rep = 0; rep < opts.reps; rep++) {
        // One retry: the extension host occasionally fails to load the extension while dist/ is rewritten.
        let t: { title: string; durationMs?: number } | undefined;
        let lastConsole: string[] = [];
        for (let attempt = 0; attempt < 2 && t?.durationMs === undefined; attempt++) {
          const res = await runExtensionHostTests(join(__dirname, '..', 'e2e', 'activationSuite.js'), workspace, { timeoutMs: 180_000 });
          t = res.exitCode === 0 ? res.report?.tests[0] : undefined;
          lastConsole = res.console;
        }
        if (!t || t.durationMs === undefined) {
          const errors = lastConsole.filter((l) => /error/i.test(l)).slice(-2);
          throw new Error(`the activation suite failed twice: ${errors.join(' | ') || lastConsole.slice(-2).join(' | ')}`);
        }
        if (t.title === 'already active') note = 'the extension was already active when the suite ran: the time is not an activation';
        values.push(t.durationMs);
        opts.log(`  activation · rep ${rep + 1}/${opts.reps}: ${fmt(t.durationMs)} ms`);
      }
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    opts.failures.push({ metric: 'activation', client: 'extension', message });
    opts.log(`  activation · FAILED: ${message}`);
  }
  rows.push({
    metric: 'activation time',
    client: 'extension',
    unit: 'ms',
    values,
    note: note ?? 'activation: extensions.getExtension(id).activate() in a fresh code-server extension host (loads dist/extension.js and awaits activate(); the language server is not started)',
  });
  return rows;
}
