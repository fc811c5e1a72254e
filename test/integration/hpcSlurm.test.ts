// Engines submitted as a Slurm job by ipyparallel's Slurm launcher (`ipcluster start --engines=slurm`),
// against a real single-node slurmctld + slurmd on 127.0.0.1 that the harness configures, starts and
// stops. Our ClusterClient sees each engine inside the job (SLURM_JOB_ID); the job is in squeue while the
// cluster runs and gone after `ipcluster stop`; a cluster killed by pid is reported stale and its files
// can then be removed. Skip locally with IPP_SKIP_SLURM=1 (CI runs it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ClusterClient } from '../../src/core/client';
import { ClusterNotStaleError, isPidAlive, listClusterRecords, readClusterRecord, removeStaleClusterFiles } from '../../src/core/protocol';
import { engineLauncherArgs } from '../../src/extension/ipcluster';
import { RecordingLogger, streamText, until } from './clientSupport';
import { findIpyparallelPython, pollUntil } from './harness';
import { LauncherCluster } from './harness/launcherCluster';
import { slurmUnavailable, TestSlurm } from './harness/slurm';

const skip = slurmUnavailable();
if (skip) console.log(`# skipping the Slurm tests: ${skip}`);

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

describe('engines as a Slurm job (ipcluster --engines=slurm)', { timeout: 400_000, skip }, () => {
  const python = skip ? '' : findIpyparallelPython();
  let slurm: TestSlurm;
  const clusters: LauncherCluster[] = [];
  const started = Date.now();

  async function startCluster(clusterId: string, waitForEngines = true, args: string[] = []): Promise<LauncherCluster> {
    const t0 = Date.now();
    const c = await LauncherCluster.start({ launcher: 'slurm', engines: 2, clusterId, env: slurm.env(), python, waitForEngines, args });
    clusters.push(c);
    console.log(`# Slurm cluster '${clusterId}': ${waitForEngines ? 'engines ready' : 'connection file written'} ${seconds(t0)} after the start`);
    return c;
  }

  before(async () => {
    slurm = await TestSlurm.start();
    console.log(`# slurmctld + slurmd idle ${seconds(started)} after the start (ports ${JSON.stringify(slurm.ports)}, munged ${slurm.startedMunge ? 'started by the harness' : 'already running'})`);
  });

  after(async () => {
    for (const c of clusters) await c.dispose();
    const daemons = slurm?.pids() ?? [];
    await slurm?.stop();
    assert.deepEqual(daemons.filter(isPidAlive), [], 'every daemon the harness started is gone');
    console.log(`# Slurm tests took ${seconds(started)}`);
  });

  it('runs the engines inside one Slurm job, listed by squeue and the cluster records, and ipcluster stop ends it', async () => {
    const cluster = await startCluster('');
    const log = new RecordingLogger();
    const client = new ClusterClient({ connectionFile: cluster.connectionFile, logger: log });
    try {
      await client.connect();
      await until(client, () => client.engines().length >= 2, 30_000, '2 engines in the model');
      const run = client.execute("import os\nprint(os.environ.get('SLURM_JOB_ID'))");
      const tasks = await client.wait(run.id, { timeoutMs: 30_000 });
      const jobIds = tasks.map((t) => {
        assert.equal(t.state, 'done', JSON.stringify(t.error));
        return streamText(t.outputs).trim();
      });
      assert.equal(jobIds.length, 2);
      assert.match(jobIds[0], /^\d+$/, 'the engine runs inside a Slurm job');
      assert.equal(jobIds[1], jobIds[0], 'both engines are in the same job');
      const jobId = jobIds[0];

      const job = slurm.jobs().find((j) => j.id === jobId);
      assert.ok(job, `squeue lists job ${jobId}: ${JSON.stringify(slurm.jobs())}`);
      assert.equal(job.state, 'RUNNING');
      assert.match(job.name, /^ip(?:y-)?engine-/, "ipyparallel's job name: ipy-engine-<id> in 7.x, ipengine-<id> in 9.x");

      const [r, ...more] = listClusterRecords({ ipythonDir: cluster.ipythonDir });
      assert.deepEqual(more, []);
      assert.equal(r.state, 'running');
      assert.equal(r.launcher, 'slurm');
      assert.equal(r.engineCount, 2);
      assert.deepEqual(r.jobIds, [jobId]);
      assert.ok(r.controllerPid !== undefined && cluster.discover().includes(r.controllerPid));
      assert.equal(r.connectionFile, cluster.connectionFile);

      await client.disconnect();
      const pids = await cluster.stopWithIpcluster();
      assert.deepEqual(pids.filter(isPidAlive), [], 'ipcluster and the controller are gone');
      assert.ok(await slurm.waitForJobGone(jobId), `job ${jobId} left squeue after ipcluster stop: ${JSON.stringify(slurm.jobs())}`);
      assert.equal(readClusterRecord(cluster.profileDir, '').state, 'stopped');
      assert.equal(existsSync(cluster.recordFile), false);
    } finally {
      client.dispose();
      log.assertNoSecrets([cluster.key()]);
    }
  });

  it('reports a cluster killed by pid as stale, keeps its files while it runs, and removes them after', async () => {
    // The crash comes once the job is submitted (its id in the record), before the engines are up.
    const cluster = await startCluster('crashed', false);
    assert.ok(await pollUntil(() => readClusterRecord(cluster.profileDir, 'crashed').jobIds.length > 0, 60_000, 200), 'the record names the submitted job');
    const running = readClusterRecord(cluster.profileDir, 'crashed');
    assert.equal(running.state, 'running');
    assert.equal(running.launcher, 'slurm');
    assert.throws(() => removeStaleClusterFiles(running), ClusterNotStaleError);
    assert.ok(existsSync(cluster.recordFile) && existsSync(cluster.connectionFile), 'a running cluster keeps its files');

    // No `ipcluster stop`: ipcluster and the controller die by SIGKILL, as in a crash; the files stay.
    await cluster.killAll();
    const stale = listClusterRecords({ ipythonDir: cluster.ipythonDir }).find((r) => r.clusterId === 'crashed');
    assert.ok(stale, 'the killed cluster is still listed');
    assert.equal(stale.state, 'stale');
    assert.equal(stale.launcher, 'slurm');
    assert.equal(stale.engineCount, 2);
    assert.deepEqual(stale.livePids, []);
    // The engines' job outlives its controller (nobody cancelled it): the record names it.
    assert.equal(stale.jobIds.length, 1);
    assert.ok(slurm.jobs().some((j) => j.id === stale.jobIds[0]), 'the orphaned job is still in squeue');

    const removed = removeStaleClusterFiles(stale);
    assert.deepEqual(removed.sort(), [cluster.recordFile, cluster.connectionFile, cluster.connectionFile.replace(/-client\.json$/, '-engine.json')].sort());
    assert.equal(readClusterRecord(cluster.profileDir, 'crashed').state, 'stopped');
    assert.deepEqual(listClusterRecords({ ipythonDir: cluster.ipythonDir }).filter((r) => r.clusterId === 'crashed'), []);
  });

  it("submits with the Clusters view's Start options: partition, time limit and extra #SBATCH lines reach the job", async () => {
    // What Start… in the Clusters view passes to ipcluster start (its first argument, --engines=slurm, the harness adds).
    const options = engineLauncherArgs({ launcher: 'slurm', slurm: { partition: 'debug', timeLimit: '30', extraLines: ['#SBATCH --comment=from-vscode --nice=7'] } });
    const cluster = await startCluster('options', false, options.slice(1));
    assert.ok(await pollUntil(() => readClusterRecord(cluster.profileDir, 'options').jobIds.length > 0, 60_000, 200), 'the record names the submitted job');
    const [jobId] = readClusterRecord(cluster.profileDir, 'options').jobIds;
    const q = spawnSync('/usr/bin/squeue', ['-h', '-j', jobId, '-o', '%P|%l|%k|%y'], { env: slurm.env(), encoding: 'utf8' });
    assert.equal(q.status, 0, q.stderr);
    assert.equal(q.stdout.trim(), 'debug|30:00|from-vscode|7', 'partition | time limit | comment | nice');
    await cluster.stopWithIpcluster();
    assert.ok(await slurm.waitForJobGone(jobId), `job ${jobId} left squeue after ipcluster stop`);
  });
});
