// LocalCluster.stop() on a real ipcluster (ipyparallel from IPP_PYTHON), through both of its ways of
// asking: SIGINT (macOS, Linux) and `ipcluster stop` (what Windows runs, as it cannot send SIGINT; run
// here on Linux by injecting platform 'win32' for the graceful step). Either way the cluster must stop
// within the deadline without the forced kill, and leave no controller or engine behind.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Logger } from '../../src/core/log';
import { parseConnectionInfo } from '../../src/core/protocol';
import { LocalCluster } from '../../src/extension/localCluster';
import { descendants, findIpyparallelPython, pollUntil, queryEngines, readStat } from './harness';
import { readCmdline } from './harness/procs';

/** Resolves once the hub lists `n` engines (the cluster is up, as after Start Local Cluster's connect). */
async function enginesRegistered(connectionFile: string, n: number, ms: number): Promise<void> {
  const info = parseConnectionInfo(readFileSync(connectionFile, 'utf8'), connectionFile);
  const deadline = Date.now() + ms;
  for (;;) {
    const engines = await queryEngines(info, 5000).catch(() => ({}));
    if (Object.keys(engines).length >= n) return;
    if (Date.now() > deadline) throw new Error(`${n} engine(s) did not register within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function memoryLog(lines: string[]): Logger {
  const put = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { trace: put('trace'), debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error') };
}

const alive = (pid: number) => {
  const st = readStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
};

describe('LocalCluster.stop on a real cluster', { timeout: 240_000 }, () => {
  for (const platform of ['linux', 'win32'] as const) {
    const how = platform === 'win32' ? '`ipcluster stop` (the Windows way)' : 'SIGINT';
    it(`stops cleanly with ${how}: no forced kill, no process left`, async () => {
      const ipythonDir = mkdtempSync(join(tmpdir(), 'ipp-stop-'));
      const lines: string[] = [];
      try {
        const cluster = await LocalCluster.start({
          python: findIpyparallelPython(),
          engines: 1,
          ipythonDir,
          log: memoryLog(lines),
          startTimeoutMs: 120_000,
          platform,
        });
        const pid = cluster.pid!;
        await enginesRegistered(cluster.connectionFile, 1, 90_000);
        const pids = [pid, ...descendants([pid]).map((p) => p.pid)];
        await cluster.stop(60_000);
        assert.equal(cluster.running, false);
        const log = lines.join('\n');
        assert.doesNotMatch(log, /did not stop within/, 'the forced kill ran');
        if (platform === 'win32') assert.match(log, /stopping local cluster: .* -m ipyparallel\.cluster stop --cluster-id=/);
        await pollUntil(() => pids.every((p) => !alive(p)), 15_000);
        assert.deepEqual(pids.filter(alive), [], `left running after stop: ${pids.filter(alive).join(', ')}`);
      } finally {
        rmSync(ipythonDir, { recursive: true, force: true });
      }
    });
  }

  // ipcluster ends the cluster by itself once its engines are gone, and removes their log files: what it
  // printed last must reach our log as a warning, or engines that died leave no trace.
  it('an exit of its own (its engine killed) is a warning with ipcluster\'s last lines', async () => {
    const ipythonDir = mkdtempSync(join(tmpdir(), 'ipp-own-exit-'));
    const lines: string[] = [];
    let pids: number[] = [];
    try {
      const cluster = await LocalCluster.start({ python: findIpyparallelPython(), engines: 1, ipythonDir, log: memoryLog(lines), startTimeoutMs: 120_000 });
      await enginesRegistered(cluster.connectionFile, 1, 90_000);
      pids = [cluster.pid!, ...descendants([cluster.pid!]).map((p) => p.pid)];
      const engine = pids.find((p) => readCmdline(p).includes('ipyparallel.engine'));
      assert.ok(engine, `an engine among ${pids.join(', ')}`);
      process.kill(engine, 'SIGKILL');
      assert.ok(await pollUntil(() => !cluster.running, 60_000), 'ipcluster did not exit after its only engine died');
      const warning = lines.find((l) => l.startsWith('warn ipcluster'));
      assert.ok(warning, `no warning in:\n${lines.join('\n')}`);
      assert.match(warning, /exited on its own with code \d+; its last lines:\n\s*\S/);
      assert.ok(!lines.some((l) => /^info ipcluster \(pid \d+\) exited/.test(l)), 'also logged as a plain exit');
    } finally {
      for (const p of pids.filter(alive)) process.kill(p, 'SIGKILL');
      rmSync(ipythonDir, { recursive: true, force: true });
    }
  });
});
