// The cluster records module over records captured from real clusters (ipyparallel 7.1 and 9.2: local,
// MPI, Slurm), with a fake pid table so that each state can be set up.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ClusterNotStaleError,
  isPidAlive,
  launcherKind,
  lostEngines,
  listClusterRecords,
  readRecord,
  removeStaleClusterFiles,
} from '../../src/core/protocol';
import { readFixture } from './support/fixtures';
import { tempDir, writeFile } from './support/tempDir';

const fixture = (name: string): string => readFixture(`cluster-records/${name}.json`);
const json = (name: string): unknown => JSON.parse(fixture(name));

/** Pids in the captured records. */
const LOCAL = { controller: 23262, engines: [23276, 23279] };
const MPI = { controller: pidOf('mpi-7.1'), mpiexec: 24141 };
const SLURM = { controller: pidOf('slurm-7.1') };
const NINE = { controller: 1594, engines: [1623, 1627] };

function pidOf(name: string): number {
  return (json(name) as { controller: { state: { pid: number } } }).controller.state.pid;
}

const aliveOnly = (...pids: number[]) => (pid: number) => pids.includes(pid);

/** A fake IPython dir: profile_default (local 7.1, id ''), profile_mpi, profile_slurm (id 'hpc'), and odd files. */
function ipythonDir(): string {
  const root = tempDir('records');
  const sec = (profile: string) => join(root, `profile_${profile}`, 'security');
  writeFile(join(sec('default'), 'cluster-.json'), fixture('local-7.1'));
  writeFile(join(sec('default'), 'ipcontroller-client.json'), '{}');
  writeFile(join(sec('default'), 'ipcontroller-engine.json'), '{}');
  writeFile(join(sec('mpi'), 'cluster-.json'), fixture('mpi-7.1'));
  writeFile(join(sec('mpi'), 'ipcontroller-client.json'), '{}');
  writeFile(join(sec('slurm'), 'cluster-hpc.json'), fixture('slurm-7.1'));
  writeFile(join(sec('slurm'), 'ipcontroller-hpc-client.json'), '{}');
  // a controller started by hand (no record), and a record cut off mid-write
  writeFile(join(sec('slurm'), 'ipcontroller-manual-client.json'), '{}');
  writeFile(join(sec('slurm'), 'cluster-broken.json'), '{"cluster": {');
  writeFile(join(root, 'profile_empty', 'startup', 'README'), '');
  return root;
}

describe('readRecord: what a captured cluster-<id>.json says', () => {
  it('a local 7.1 cluster: controller and engine pids, 2 engines, the engine set time', () => {
    const r = readRecord(json('local-7.1'));
    assert.equal(r.clusterId, '');
    assert.equal(r.engineLauncherClass, 'local');
    assert.equal(r.engineCount, 2);
    assert.equal(r.controllerPid, LOCAL.controller);
    assert.deepEqual(r.pids, [LOCAL.controller, ...LOCAL.engines]);
    assert.deepEqual(r.jobIds, []);
    const log = '/tmp/h14-ipd-local/profile_default/log';
    assert.deepEqual(r.outputFiles, [`${log}/ipcontroller-23231.log`, `${log}/ipengine--1795968637-0.log`, `${log}/ipengine--1795968637-1.log`]);
    assert.equal(r.firstEngineSetTime, 1795968637_000);
  });

  it('an MPI 7.1 cluster: the engine set records mpiexec, one pid for both engines', () => {
    const r = readRecord(json('mpi-7.1'));
    assert.equal(r.engineLauncherClass, 'mpi');
    assert.equal(r.engineCount, 2);
    assert.deepEqual(r.pids, [MPI.controller, MPI.mpiexec]);
  });

  it('a Slurm 7.1 cluster: no engine pid, the job id', () => {
    const r = readRecord(json('slurm-7.1'));
    assert.equal(r.engineLauncherClass, 'slurm');
    assert.equal(r.engineCount, 2);
    assert.deepEqual(r.pids, [SLURM.controller]);
    assert.deepEqual(r.jobIds, ['1']);
  });

  it('a local 9.2 cluster: the same shape', () => {
    const r = readRecord(json('local-9.2'));
    assert.equal(r.clusterId, 'nine');
    assert.equal(r.engineLauncherClass, 'local');
    assert.equal(r.engineCount, 2);
    assert.deepEqual(r.pids, [NINE.controller, ...NINE.engines]);
  });

  it('lost engines: each dead local engine counts one, a dead mpiexec its whole set, a batch job none', () => {
    const local = readRecord(json('local-7.1'));
    assert.deepEqual(local.engineProcesses, LOCAL.engines.map((pid) => ({ pid, engines: 1 })));
    assert.equal(lostEngines(local, () => true), 0);
    assert.equal(lostEngines(local, (p) => p !== LOCAL.engines[0]), 1);
    const mpi = readRecord(json('mpi-7.1'));
    assert.deepEqual(mpi.engineProcesses, [{ pid: MPI.mpiexec, engines: 2 }]);
    assert.equal(lostEngines(mpi, (p) => p !== MPI.mpiexec), 2);
    assert.equal(lostEngines(readRecord(json('slurm-7.1')), () => false), 0);
    assert.equal(lostEngines(readRecord(json('local-9.2')), (p) => !NINE.engines.includes(p)), 2);
  });

  it('MPI and Slurm 9.2 clusters: the same fields as 7.1', () => {
    const mpi = readRecord(json('mpi-9.2'));
    assert.equal(mpi.engineLauncherClass, 'mpi');
    assert.equal(mpi.engineCount, 2);
    assert.deepEqual(mpi.pids, [pidOf('mpi-9.2'), 15009]);
    const slurm = readRecord(json('slurm-9.2'));
    assert.equal(slurm.engineLauncherClass, 'slurm');
    assert.equal(slurm.engineCount, 2);
    assert.deepEqual(slurm.pids, [pidOf('slurm-9.2')]);
    assert.deepEqual(slurm.jobIds, ['1']);
    assert.equal(slurm.firstEngineSetTime, 1795970399_000);
  });

  it('anything else gives empty fields, never a throw', () => {
    for (const v of [null, 42, 'x', [], {}, { controller: { state: { pid: -1 } }, engines: { sets: { a: null, b: { n: 'x', engines: 7 } } } }]) {
      const r = readRecord(v);
      assert.equal(r.controllerPid, undefined);
      assert.deepEqual(r.pids, []);
      assert.equal(r.engineCount, 0);
    }
  });
});

describe('launcherKind', () => {
  it('maps entry point names and class names to a kind', () => {
    const cases: [string | undefined, string][] = [
      ['local', 'local'],
      ['mpi', 'mpi'],
      ['slurm', 'slurm'],
      ['ssh', 'ssh'],
      ['sshproxy', 'ssh'],
      ['pbs', 'pbs'],
      ['sge', 'sge'],
      ['lsf', 'lsf'],
      ['htcondor', 'htcondor'],
      ['windowshpc', 'windows'],
      ['ipyparallel.cluster.launcher.LocalEngineSetLauncher', 'local'],
      ['ipyparallel.cluster.launcher.MPIEngineSetLauncher', 'mpi'],
      ['ipyparallel.cluster.launcher.SlurmEngineSetLauncher', 'slurm'],
      ['mysite.launchers.KubernetesEngineSetLauncher', 'other'],
      ['mysite.mpi_tools.KubernetesEngineSetLauncher', 'other'],
      [undefined, 'other'],
    ];
    for (const [cls, kind] of cases) assert.equal(launcherKind(cls), kind, String(cls));
  });
});

describe('listClusterRecords', () => {
  it('lists every cluster of every profile with its state from the recorded pids', () => {
    const root = ipythonDir();
    const records = listClusterRecords({ ipythonDir: root, alive: aliveOnly(LOCAL.controller, ...LOCAL.engines, MPI.mpiexec) });
    const byKey = new Map(records.map((r) => [`${r.profile}:${r.clusterId}`, r]));
    assert.deepEqual([...byKey.keys()], ['default:', 'mpi:', 'slurm:broken', 'slurm:hpc', 'slurm:manual']);

    const local = byKey.get('default:')!;
    assert.equal(local.state, 'running');
    assert.equal(local.launcher, 'local');
    assert.equal(local.engineCount, 2);
    assert.equal(local.profileDir, join(root, 'profile_default'));
    assert.equal(local.connectionFile, join(root, 'profile_default', 'security', 'ipcontroller-client.json'));
    assert.equal(local.recordFile, join(root, 'profile_default', 'security', 'cluster-.json'));
    assert.equal(local.startTime, 1795968637_000, 'the engine set time (older than the copied file)');

    // mpiexec alive but the controller gone: stale, with the survivor named
    const mpi = byKey.get('mpi:')!;
    assert.equal(mpi.state, 'stale');
    assert.equal(mpi.launcher, 'mpi');
    assert.deepEqual(mpi.livePids, [MPI.mpiexec]);

    const slurm = byKey.get('slurm:hpc')!;
    assert.equal(slurm.state, 'stale');
    assert.equal(slurm.launcher, 'slurm');
    assert.deepEqual(slurm.jobIds, ['1']);
    assert.deepEqual(slurm.livePids, []);

    for (const key of ['slurm:manual', 'slurm:broken']) {
      const r = byKey.get(key)!;
      assert.equal(r.state, 'stopped', key);
      assert.equal(r.launcher, 'other');
      assert.equal(r.engineCount, 0);
    }
    assert.equal(byKey.get('slurm:manual')!.recordFile, undefined);
  });

  it('adds extra dirs, whether an IPython dir or a profile dir, once each', () => {
    const root = ipythonDir();
    const other = tempDir('records-extra');
    writeFile(join(other, 'profile_nine', 'security', 'cluster-nine.json'), fixture('local-9.2'));
    const lone = join(tempDir('records-lone'), 'work-profile');
    writeFile(join(lone, 'security', 'cluster-.json'), fixture('local-7.1'));
    const records = listClusterRecords({ ipythonDir: root, extraDirs: [other, lone, root], alive: aliveOnly(NINE.controller) });
    const extra = records.filter((r) => !r.profileDir.startsWith(root));
    assert.deepEqual(extra.map((r) => [r.profile, r.clusterId, r.state]), [['nine', 'nine', 'running'], ['work-profile', '', 'stale']]);
    assert.equal(records.length, 7, 'the IPython dir listed twice is read once');
  });

  it('does not read a huge file as a record', () => {
    const root = tempDir('records-big');
    const record = JSON.parse(fixture('local-7.1'));
    record.padding = 'x'.repeat(1024 * 1024);
    writeFile(join(root, 'profile_default', 'security', 'cluster-big.json'), JSON.stringify(record));
    const [r] = listClusterRecords({ ipythonDir: root, alive: aliveOnly(LOCAL.controller) });
    assert.equal(r.clusterId, 'big');
    assert.equal(r.state, 'stopped');
    assert.equal(r.recordFile, undefined);
  });

  it('gives an empty list for a missing IPython dir', () => {
    assert.deepEqual(listClusterRecords({ ipythonDir: join(tempDir('records-none'), 'nope') }), []);
  });

  it('reads the time from a Cluster API id, and the running controller\'s command from /proc', () => {
    const root = tempDir('records-id');
    const record = JSON.parse(fixture('local-9.2'));
    record.controller.state.pid = process.pid;
    writeFile(join(root, 'profile_default', 'security', 'cluster-1700000000-ab12.json'), JSON.stringify(record));
    const [r] = listClusterRecords({ ipythonDir: root });
    assert.equal(r.startTime, 1700000000_000);
    assert.equal(r.state, 'running');
    if (process.platform === 'linux') {
      assert.equal(r.python, process.execPath);
      assert.ok(r.command?.some((a) => a.endsWith('clusterRecords.test.js')), `this test process's command: ${r.command?.join(' ')}`);
    }
  });
});

describe('isPidAlive', () => {
  it('is true for this process and false for an exited one or a bad pid', () => {
    assert.equal(isPidAlive(process.pid), true);
    const child = spawnSync(process.execPath, ['-e', '0']);
    assert.equal(isPidAlive(child.pid), false);
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.equal(isPidAlive(bad), false);
  });

  it('counts a zombie (exited, not reaped by its parent) as gone', { skip: process.platform !== 'linux' && 'zombies are read from /proc' }, async () => {
    // sh starts `sleep 0`, then becomes `sleep 10`, which never reaps it: a zombie until sleep 10 ends.
    const parent = spawn('/bin/sh', ['-c', 'sleep 0 & echo $!; exec sleep 10'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
      const deadline = Date.now() + 10_000;
      while (!/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.doesNotThrow(() => process.kill(pid, 0), 'kill(pid, 0) still finds the zombie');
      assert.equal(isPidAlive(pid), false);
      assert.equal(isPidAlive(parent.pid!), true);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('counts a process it may not signal (EPERM) as alive', { skip: process.getuid?.() === 0 ? 'root may signal every process' : false }, () => {
    assert.equal(isPidAlive(1), true);
  });
});

describe('removeStaleClusterFiles', () => {
  it('deletes the record and connection files of a stale cluster only, and keeps logs and other clusters', () => {
    const root = ipythonDir();
    writeFile(join(root, 'profile_slurm', 'security', 'ipcontroller-hpc-engine.json'), '{}');
    writeFile(join(root, 'profile_slurm', 'log', 'ipcontroller-hpc-1.log'), 'log');
    const sec = join(root, 'profile_slurm', 'security');
    const [stale] = listClusterRecords({ ipythonDir: root, alive: aliveOnly() }).filter((r) => r.clusterId === 'hpc');
    const removed = removeStaleClusterFiles(stale, aliveOnly());
    assert.deepEqual(removed, ['cluster-hpc.json', 'ipcontroller-hpc-client.json', 'ipcontroller-hpc-engine.json'].map((f) => join(sec, f)));
    assert.deepEqual(readdirSync(sec).sort(), ['cluster-broken.json', 'ipcontroller-manual-client.json']);
    assert.ok(existsSync(join(root, 'profile_slurm', 'log', 'ipcontroller-hpc-1.log')));
  });

  it('refuses a running cluster, a stale one with a live process, and a stopped one, deleting nothing', () => {
    const root = ipythonDir();
    const before = (p: string) => readdirSync(join(root, `profile_${p}`, 'security')).sort();
    const snapshot = ['default', 'mpi', 'slurm'].map(before);
    const at = (profile: string, clusterId: string) => ({ profile, clusterId, profileDir: join(root, `profile_${profile}`) });
    assert.throws(() => removeStaleClusterFiles(at('default', ''), aliveOnly(LOCAL.controller)), (e: unknown) => {
      assert.ok(e instanceof ClusterNotStaleError);
      assert.match(e.message, /^Cluster '\(default\)' of profile 'default' is running, not stale: its files are left alone\. Stop it first/);
      return true;
    });
    assert.throws(() => removeStaleClusterFiles(at('mpi', ''), aliveOnly(MPI.mpiexec)), /still has running processes \(pids 24141\)/);
    assert.throws(() => removeStaleClusterFiles(at('slurm', 'manual'), aliveOnly()), /is stopped, not stale/);
    assert.deepEqual(['default', 'mpi', 'slurm'].map(before), snapshot);
  });

  it('refuses a cluster id that is a path', () => {
    const root = ipythonDir();
    for (const clusterId of ['../../x', 'a/b', 'a\\b', '..']) {
      assert.throws(() => removeStaleClusterFiles({ profile: 'default', profileDir: join(root, 'profile_default'), clusterId }, aliveOnly()), /is not a cluster id: it names a path/);
    }
  });

  it('re-reads the record: a cluster that runs again since it was listed keeps its files', () => {
    const root = ipythonDir();
    const [listed] = listClusterRecords({ ipythonDir: root, alive: aliveOnly() });
    assert.equal(listed.state, 'stale');
    assert.throws(() => removeStaleClusterFiles(listed, aliveOnly(LOCAL.controller)), ClusterNotStaleError);
    assert.ok(existsSync(listed.recordFile!));
  });
});
