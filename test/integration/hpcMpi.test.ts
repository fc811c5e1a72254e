// Engines started through MPI (`ipcluster start --engines=mpi`, Debian's Open MPI and mpi4py): our
// ClusterClient runs code on them and each reports its MPI rank; the cluster records list the cluster as
// running under MPI, and after `ipcluster stop` nothing of it is left (checked by pid).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ClusterClient } from '../../src/core/client';
import { isPidAlive, listClusterRecords, readClusterRecord } from '../../src/core/protocol';
import { RecordingLogger, streamText, until } from './clientSupport';
import { findIpyparallelPython } from './harness';
import { LauncherCluster } from './harness/launcherCluster';
import { mpiEnv, mpiUnavailable } from './harness/mpi';

const python = findIpyparallelPython();
const skip = mpiUnavailable(python);
if (skip) console.log(`# skipping the MPI tests: ${skip}`);

describe('engines under MPI (ipcluster --engines=mpi)', { timeout: 300_000, skip }, () => {
  let cluster: LauncherCluster;
  let client: ClusterClient;
  const log = new RecordingLogger();
  const started = Date.now();

  before(async () => {
    cluster = await LauncherCluster.start({ launcher: 'mpi', engines: 2, env: mpiEnv(), python });
    client = new ClusterClient({ connectionFile: cluster.connectionFile, logger: log });
    await client.connect();
    await until(client, () => client.engines().length >= 2, 30_000, '2 engines in the model');
    console.log(`# MPI cluster: engines ready ${((Date.now() - started) / 1000).toFixed(1)} s after the start`);
  });

  after(async () => {
    client?.dispose();
    log.assertNoSecrets([cluster?.key() ?? '']);
    await cluster?.dispose();
    console.log(`# MPI tests took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('each engine reports its MPI rank, in one world of two', async () => {
    const run = client.execute('from mpi4py import MPI\nprint(MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size())');
    const tasks = await client.wait(run.id, { timeoutMs: 30_000 });
    assert.equal(tasks.length, 2);
    const lines = tasks.map((t) => {
      assert.equal(t.state, 'done', JSON.stringify(t.error));
      return streamText(t.outputs).trim();
    });
    assert.deepEqual(lines.sort(), ['0 2', '1 2']);
  });

  it('the cluster records list it as running under MPI with 2 engines', () => {
    const records = listClusterRecords({ ipythonDir: cluster.ipythonDir });
    assert.equal(records.length, 1, JSON.stringify(records));
    const [r] = records;
    assert.equal(r.profile, 'default');
    assert.equal(r.clusterId, '');
    assert.equal(r.state, 'running');
    assert.equal(r.launcher, 'mpi');
    assert.equal(r.engineLauncherClass, 'mpi');
    assert.equal(r.engineCount, 2);
    assert.equal(r.connectionFile, cluster.connectionFile);
    assert.equal(r.recordFile, cluster.recordFile);
    const live = cluster.discover();
    assert.ok(r.controllerPid !== undefined && live.includes(r.controllerPid), 'the recorded controller is one of the cluster processes');
    // The MPI engine set records mpiexec's pid: alive, and one of ours.
    assert.equal(r.livePids.length, 2);
    for (const pid of r.livePids) assert.ok(live.includes(pid));
    assert.ok(r.startTime !== undefined && Math.abs(r.startTime - started) < 60_000, `start time ${r.startTime} near ${started}`);
    assert.equal(r.python, python, 'the Python that runs the controller');
  });

  it('ipcluster stop ends every process (checked by pid) and the records show it stopped', async () => {
    await client.disconnect();
    const pids = await cluster.stopWithIpcluster();
    assert.ok(pids.length >= 5, `ipcluster, controller, mpiexec and 2 engines at least: ${pids.join(', ')}`);
    assert.deepEqual(pids.filter(isPidAlive), [], 'no process of the cluster is left');
    assert.equal(existsSync(cluster.recordFile), false, 'ipcluster removed its record');
    assert.equal(readClusterRecord(cluster.profileDir, '').state, 'stopped');
    assert.deepEqual(listClusterRecords({ ipythonDir: cluster.ipythonDir }).filter((r) => r.state !== 'stopped'), []);
  });
});
