// Runs the mocha suites in test/e2e/suite inside a real extension host (E2E-RECIPE.md §7) and reports
// each of their tests here. The extension is loaded from the repository (dist/extension.js), so
// `npm run build` must have run; e2eSetup.mjs does that through `npm run package`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { prepareWorkspace, runExtensionHostTests } from './harness';

// The deadlines only catch a hung run: the suites inside have their own per-test timeouts.
test('extension-host suite', { timeout: 600_000 }, async (t) => {
  const workspace = await prepareWorkspace();
  try {
    const run = await runExtensionHostTests(path.join(__dirname, 'suite', 'index.js'), workspace, { timeoutMs: 540_000 });
    assert.ok(run.report, `the suite wrote no report (exit code ${run.exitCode}):\n${run.console.slice(-30).join('\n')}`);
    assert.ok(run.report.tests.length > 0, 'the suite ran no tests');
    // One subtest per mocha test, so the report names each of them.
    for (const r of run.report.tests) {
      await t.test(r.title, (st) => {
        if (r.state === 'pending') st.skip();
        if (r.state === 'failed') throw new Error(r.error ?? 'failed');
      });
    }
    assert.equal(run.exitCode, 0, 'run() rejected');
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
});
