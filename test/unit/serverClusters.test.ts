// ipp/clusters over the in-memory JSON-RPC pair: records captured from real clusters, placed in a temp
// IPython dir and an extra dir, with their pids rewritten to a live process (this test) or a dead one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as P from '../../src/shared/protocol';
import { readFixture } from './support/fixtures';
import { rejectsWith, startInMemoryServer, type Harness } from './support/inMemoryServer';
import { tempDir, writeFile } from './support/tempDir';

const CONNECTION_FILE = readFixture('protocol-examples.json');
const connectionFile = JSON.stringify(JSON.parse(CONNECTION_FILE).connection_file);

/** A pid that is certainly not running: a child that has exited and been reaped. */
const DEAD_PID = spawnSync(process.execPath, ['-e', '0']).pid as number;

type Json = { controller: { state: { pid: number } }; engines: { sets: Record<string, { pid?: number; engines?: Record<string, { pid: number }> }> } };

/** A captured record with every pid replaced by `pid`. */
function record(name: string, pid: number): string {
  const r = JSON.parse(readFixture(`cluster-records/${name}.json`)) as Json;
  r.controller.state.pid = pid;
  for (const set of Object.values(r.engines.sets)) {
    if (set.pid !== undefined && set.pid > 0) set.pid = pid;
    for (const e of Object.values(set.engines ?? {})) e.pid = pid;
  }
  return JSON.stringify(r);
}

describe('ipp/clusters: every cluster of every profile, with its state and whether the session uses it', () => {
  const ipd = tempDir('clusters-ipd');
  const extra = tempDir('clusters-extra');
  const sec = (root: string, profile: string) => join(root, `profile_${profile}`, 'security');
  writeFile(join(sec(ipd, 'default'), 'cluster-run.json'), record('local-7.1', process.pid));
  const runFile = writeFile(join(sec(ipd, 'default'), 'ipcontroller-run-client.json'), connectionFile);
  writeFile(join(sec(ipd, 'slurm'), 'cluster-hpc.json'), record('slurm-7.1', DEAD_PID));
  writeFile(join(sec(ipd, 'slurm'), 'ipcontroller-hpc-client.json'), connectionFile);
  writeFile(join(sec(extra, 'mpi'), 'cluster-.json'), record('mpi-7.1', DEAD_PID));
  writeFile(join(sec(extra, 'mpi'), 'ipcontroller-manual-client.json'), connectionFile);

  let h: Harness;
  beforeEach(async () => {
    h = await startInMemoryServer(runFile);
  });
  afterEach(() => h.close());

  const list = (params: P.ClustersParams) => h.rpc.sendRequest(P.ClustersRequest, params);
  const key = (c: P.ClusterInfo) => `${c.profile}/${c.clusterId}:${c.state}:${c.launcher}`;

  it('lists the IPython dir, then the extra dirs, with state, launcher, engines, time, files', async () => {
    const mine = await list({ ipythonDir: ipd });
    assert.deepEqual(mine.map(key), ['default/run:running:local', 'slurm/hpc:stale:slurm']);
    const all = await list({ ipythonDir: ipd, extraDirs: [extra] });
    assert.deepEqual(all.map(key), ['default/run:running:local', 'slurm/hpc:stale:slurm', 'mpi/:stale:mpi', 'mpi/manual:stopped:other']);
    const [run, hpc, mpi, manual] = all;
    assert.equal(run.engineCount, 2);
    assert.equal(run.controllerPid, process.pid);
    assert.deepEqual(run.livePids, [process.pid]);
    assert.equal(run.connectionFile, runFile);
    assert.equal(run.recordFile, join(sec(ipd, 'default'), 'cluster-run.json'));
    assert.equal(typeof run.startTime, 'number');
    assert.equal(run.logFiles[0], '/tmp/h14-ipd-local/profile_default/log/ipcontroller-23231.log');
    assert.equal(run.logFiles.length, 3);
    if (process.platform === 'linux') assert.ok(run.python, 'the running controller has a python (from /proc)');
    assert.equal(hpc.python, undefined, 'no python for a cluster that is not running');
    assert.deepEqual(hpc.jobIds, ['1']);
    assert.deepEqual(hpc.livePids, []);
    assert.equal(mpi.profileDir, join(extra, 'profile_mpi'));
    assert.equal(manual.recordFile, undefined);
    assert.equal(manual.engineCount, 0);
    assert.ok(all.every((c) => c.connected === false), 'not connected yet');
  });

  it('marks the cluster whose connection file the session uses, until it disconnects', async () => {
    await h.rpc.sendRequest(P.ConnectRequest, { connectionFile: runFile });
    const connected = (await list({ ipythonDir: ipd })).filter((c) => c.connected).map(key);
    assert.deepEqual(connected, ['default/run:running:local']);
    await h.rpc.sendRequest(P.DisconnectRequest);
    assert.deepEqual((await list({ ipythonDir: ipd })).filter((c) => c.connected), []);
  });

  it('rejects extra dirs that are not a list of absolute paths, and survives missing folders', async () => {
    await rejectsWith(list({ ipythonDir: ipd, extraDirs: ['relative/dir'] }), P.ErrorCodes.InvalidParams, 'extraDirs');
    await rejectsWith(list({ ipythonDir: ipd, extraDirs: 'x' } as never), P.ErrorCodes.InvalidParams, 'extraDirs');
    await rejectsWith(list({ ipythonDir: 3 } as never), P.ErrorCodes.InvalidParams, 'ipythonDir');
    assert.deepEqual(await list({ ipythonDir: join(ipd, 'nope'), extraDirs: [join(extra, 'nope')] }), []);
  });
});
