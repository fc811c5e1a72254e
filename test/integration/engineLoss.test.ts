// Engines that died, on a real local cluster started as the window starts one (LocalCluster): two of its
// four engines are killed by pid; the record read as the Clusters view reads it shows "2 of 4 engines
// lost"; Restart Lost Engines (restartEnginesArgs, with the cluster's own launcher) starts two new ones,
// which a connected client (what feeds the Engines view) sees register and run code; the record names
// four live engines again; and Stop ends every process, the new engines included (ipcluster itself does
// not know them). Then Restart Engines of the whole cluster (LocalCluster.restartEngines, what a notebook's
// Restart does for a cluster this window started) replaces all four: new pids, new ids, empty namespaces.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClusterClient } from '../../src/core/client';
import { readClusterRecord, type ClusterRecord } from '../../src/core/protocol';
import { restartEnginesArgs, restartResult, runPython } from '../../src/extension/ipcluster';
import { LocalCluster } from '../../src/extension/localCluster';
import { clusterContext, clusterItem } from '../../src/extension/views/clusterItems';
import { toClusterInfo } from '../../src/server/toWire';
import { RecordingLogger, streamText, until } from './clientSupport';
import { findIpyparallelPython, ippEnv, pollUntil, readStat, versionUnderTest } from './harness';

const python = findIpyparallelPython();
const alive = (pid: number) => {
  const st = readStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
};

describe('Engines that died: shown as lost, restarted in the same cluster', { timeout: 300_000 }, () => {
  const ipythonDir = mkdtempSync(join(tmpdir(), 'ipp-lost-'));
  const env = { ...process.env, ...ippEnv(versionUnderTest()), IPYTHONDIR: ipythonDir };
  const log = new RecordingLogger();
  const profileDir = join(ipythonDir, 'profile_default');
  let cluster: LocalCluster | undefined;
  let client: ClusterClient | undefined;
  const seen = new Set<number>();
  const record = (): ClusterRecord => {
    const r = readClusterRecord(profileDir, 'lost', 'default');
    for (const p of r.pids) seen.add(p);
    return r;
  };

  /** Waits until `n` engines not in `old` have registered with the client (what feeds the Engines view), runs `code` on them, and returns each one's printed line. */
  const runOnNewEngines = async (old: ReadonlySet<number>, n: number, code: string): Promise<string[]> => {
    const fresh = await until(client!, () => {
      const ids = client!.engines().map((e) => e.id).filter((id) => !old.has(id));
      return ids.length >= n && ids;
    }, 90_000, `${n} new engines registered`);
    const run = client!.execute(code, { targets: fresh });
    const tasks = await client!.wait(run.id, { timeoutMs: 60_000 });
    return tasks.map((t) => streamText(t.outputs).trim());
  };

  before(async () => {
    cluster = await LocalCluster.start({ python, engines: 4, ipythonDir, clusterId: 'lost', log, env, startTimeoutMs: 120_000 });
    client = new ClusterClient({ connectionFile: cluster.connectionFile, logger: log });
    await client.connect();
    await until(client, () => client!.engines().length >= 4, 90_000, 'four engines registered');
  });

  after(async () => {
    client?.dispose();
    await cluster?.stop(30_000);
    for (const p of [...seen].filter(alive)) process.kill(p, 'SIGKILL');
    rmSync(ipythonDir, { recursive: true, force: true });
  });

  it('shows 2 of 4 engines lost once two engine processes are killed, and restarts them', async () => {
    const before = record();
    assert.equal(before.state, 'running');
    assert.equal(before.engineCount, 4);
    assert.equal(before.lostEngines, 0);
    const enginePids = before.pids.filter((p) => p !== before.controllerPid);
    assert.equal(enginePids.length, 4, `four engine pids in the record: ${before.pids.join(', ')}`);
    const [a, b] = enginePids;
    process.kill(a, 'SIGKILL');
    process.kill(b, 'SIGKILL');
    await pollUntil(() => !alive(a) && !alive(b), 15_000);

    const lost = record();
    assert.equal(lost.state, 'running');
    assert.equal(lost.lostEngines, 2);
    const info = toClusterInfo(lost, cluster!.connectionFile);
    const item = clusterItem(info, Date.now());
    assert.match(item.description ?? '', /^connected · 2 of 4 engines lost · local · started /);
    assert.equal(clusterContext(info), 'cluster.running.connected.lost');

    const idsBefore = new Set(client!.engines().map((e) => e.id));
    const r = await runPython(python, restartEnginesArgs({ profile: 'default', profileDir, clusterId: 'lost' }, lost.engineCount), 120_000, env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(restartResult(r.stdout), { live: 2, started: 2 });

    const restarted = record();
    assert.equal(restarted.lostEngines, 0);
    assert.equal(restarted.engineCount, 4);
    const newPids = restarted.pids.filter((p) => p !== restarted.controllerPid && !enginePids.includes(p));
    assert.equal(newPids.length, 2, `two new engine pids: ${restarted.pids.join(', ')}`);
    assert.ok(newPids.every(alive));
    assert.doesNotMatch(clusterItem(toClusterInfo(restarted, undefined), Date.now()).description ?? '', /lost/);

    // The client (what the Engines view shows) sees two new engines register, and they run code.
    const ran = await runOnNewEngines(idsBefore, 2, 'import os; print(os.getpid())');
    assert.deepEqual(ran.map((l) => Number(l)).sort((x, y) => x - y), [...newPids].sort((x, y) => x - y));
  });

  it('Restart Engines of a cluster this window started replaces every engine: new pids and ids, empty namespaces', async () => {
    const before = record();
    const oldPids = before.pids.filter((p) => p !== before.controllerPid);
    const oldIds = new Set(client!.engines().map((e) => e.id));
    const set = client!.execute('restart_marker = 42', { targets: [...oldIds] });
    await client!.wait(set.id, { timeoutMs: 60_000 });

    assert.equal(await cluster!.restartEngines(4), 4);
    await pollUntil(() => oldPids.every((p) => !alive(p)), 30_000);
    const after = record();
    assert.equal(after.state, 'running', 'the controller (and ipcluster) keep running');
    assert.ok(alive(cluster!.pid!), 'ipcluster still runs');
    const newPids = after.pids.filter((p) => p !== after.controllerPid);
    assert.equal(newPids.length, 4, `four new engine pids: ${after.pids.join(', ')}`);
    assert.deepEqual(newPids.filter((p) => oldPids.includes(p)), []);

    const lines = (await runOnNewEngines(oldIds, 4, "import os; print(os.getpid(), 'restart_marker' in globals())")).map((l) => l.split(' '));
    assert.deepEqual(lines.map(([, has]) => has), ['False', 'False', 'False', 'False'], 'the new engines start with empty namespaces');
    assert.deepEqual(lines.map(([pid]) => Number(pid)).sort((x, y) => x - y), [...newPids].sort((x, y) => x - y));
  });

  it('Stop ends every process of the cluster, the restarted engines included', async () => {
    const pids = [...seen, cluster!.pid!];
    client?.dispose();
    client = undefined;
    await cluster!.stop(30_000);
    await pollUntil(() => pids.every((p) => !alive(p)), 20_000);
    assert.deepEqual(pids.filter(alive), [], `left running after stop: ${pids.filter(alive).join(', ')}`);
    log.assertNoSecrets([]);
  });
});
