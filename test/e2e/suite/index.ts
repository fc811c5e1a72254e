// Mocha entry point for tests inside the extension host (loaded through extensionTestsPath; see
// test/e2e/harness/extensionHost.ts). Runs every *.test.js next to this file and writes a JSON report to
// $IPP_E2E_REPORT (default test-results/extension-host-report.json); $IPP_E2E_GREP picks tests by title. run() rejects when a test fails,
// which the workbench turns into exit code 1.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

interface TestResult { title: string; state: 'passed' | 'failed' | 'pending'; durationMs?: number; error?: string }

export function run(): Promise<void> {
  // IPP_E2E_GREP runs only the tests whose full title matches (for working on one test).
  const grep = process.env.IPP_E2E_GREP;
  const mocha = new Mocha({ ui: 'bdd', timeout: 30_000, color: false, reporter: 'spec', ...(grep ? { grep } : {}) });
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  const reportFile = process.env.IPP_E2E_REPORT
    ?? path.resolve(__dirname, '..', '..', '..', '..', 'test-results', 'extension-host-report.json');
  const tests: TestResult[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const count = (state: TestResult['state']) => tests.filter((t) => t.state === state).length;
      try {
        fs.mkdirSync(path.dirname(reportFile), { recursive: true });
        fs.writeFileSync(reportFile, `${JSON.stringify({
          passes: count('passed'), failures: count('failed'), pending: count('pending'), tests,
        }, null, 2)}\n`);
      } catch (err) {
        console.error(`could not write ${reportFile}: ${String(err)}`);
      }
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
    runner.on('fail', (t, err: Error) => tests.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration,
      error: String(err?.stack ?? err).split('\n').slice(0, 8).join('\n') }));
    runner.on('pending', (t) => tests.push({ title: t.fullTitle(), state: 'pending' }));
  });
}
