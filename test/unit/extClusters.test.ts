// The Clusters view's pure parts: rows (state icon, description, contextValue by state), and what it
// runs (the engine launcher and Slurm options for ipcluster start, stop, add engines, the snippet).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TreeItemContexts } from '../../src/extension/ids';
import {
  addEnginesArgs,
  checkPartition,
  checkSbatchLines,
  checkTimeLimit,
  connectionSnippet,
  engineLauncherArgs,
  pyString,
  sbatchArgs,
  splitSbatchLines,
  stopArgs,
} from '../../src/extension/ipcluster';
import { clusterContext, clusterItem, clusterKey, formatStartTime, withVanished } from '../../src/extension/views/clusterItems';
import type { ClusterInfo } from '../../src/shared/protocol';

const START = new Date(2025, 2, 1, 10, 42, 7).getTime(); // local time
const LATER = new Date(2025, 2, 1, 18, 0, 0).getTime();

const info = (over: Partial<ClusterInfo> = {}): ClusterInfo => ({
  profile: 'default',
  profileDir: '/home/me/.ipython/profile_default',
  clusterId: 'vscode-abc',
  state: 'running',
  engineCount: 4,
  launcher: 'mpi',
  startTime: START,
  connectionFile: '/home/me/.ipython/profile_default/security/ipcontroller-vscode-abc-client.json',
  controllerPid: 4242,
  pids: [4242, 4250],
  livePids: [4242, 4250],
  jobIds: [],
  logFiles: [],
  connected: false,
  ...over,
});

describe('Clusters view rows', () => {
  it('a running cluster: profile / id, engines, launcher, start time, a green running icon', () => {
    const d = clusterItem(info(), LATER);
    assert.equal(d.label, 'default / vscode-abc');
    assert.equal(d.description, '4 engines · mpi · started 10:42');
    assert.deepEqual(d.icon, { id: 'vm-running', color: 'charts.green' });
    assert.equal(d.contextValue, TreeItemContexts.clusterRunning);
    assert.equal(d.id, `cluster:${clusterKey(info())}`);
    assert.match(d.tooltip!, /processes 4242, 4250 \(running: 4242, 4250\)/);
  });

  it('connected: the marker first, its own icon and context (Disconnect instead of Connect)', () => {
    const d = clusterItem(info({ connected: true, engineCount: 1, launcher: 'local' }), LATER);
    assert.equal(d.description, 'connected · 1 engine · local · started 10:42');
    assert.deepEqual(d.icon, { id: 'vm-connect', color: 'charts.green' });
    assert.equal(d.contextValue, TreeItemContexts.clusterConnected);
  });

  it('stale and stopped rows say so; stale is yellow; unknown launcher and time are left out', () => {
    const stale = clusterItem(info({ state: 'stale', livePids: [], launcher: 'slurm', jobIds: ['17'] }), LATER);
    assert.equal(stale.description, 'stale · 4 engines · slurm · started 10:42');
    assert.deepEqual(stale.icon, { id: 'warning', color: 'charts.yellow' });
    assert.equal(stale.contextValue, TreeItemContexts.clusterStale);
    assert.match(stale.tooltip!, /none running/);
    assert.match(stale.tooltip!, /batch jobs 17/);
    const stopped = clusterItem(info({ state: 'stopped', clusterId: '', engineCount: 0, launcher: 'other', startTime: undefined, pids: [], livePids: [] }), LATER);
    assert.equal(stopped.label, 'default / (default)');
    assert.equal(stopped.description, 'stopped');
    assert.equal(stopped.contextValue, TreeItemContexts.clusterStopped);
    assert.deepEqual(stopped.icon, { id: 'vm-outline' });
  });

  it('engines that died: "2 of 4 engines lost", an orange icon, Restart Engines in the menu (connected or not)', () => {
    const d = clusterItem(info({ lostEngines: 2, launcher: 'local' }), LATER);
    assert.equal(d.description, '2 of 4 engines lost · local · started 10:42');
    assert.deepEqual(d.icon, { id: 'vm-active', color: 'charts.orange' });
    assert.equal(d.contextValue, 'cluster.running.lost');
    assert.match(d.tooltip!, /2 engines died: Restart Engines starts new ones/);
    assert.equal(clusterContext({ state: 'running', connected: true, lostEngines: 1 }), 'cluster.running.connected.lost');
    // Only a running cluster can lose engines (a stale one lost everything).
    assert.equal(clusterItem(info({ state: 'stale', lostEngines: 2 }), LATER).description, 'stale · 4 engines · mpi · started 10:42');
  });

  it('a cluster that is not running is never "connected" in its menu', () => {
    assert.equal(clusterContext({ state: 'stale', connected: true }), TreeItemContexts.clusterStale);
  });

  it('start time: HH:MM today, the date on another day', () => {
    assert.equal(formatStartTime(START, LATER), '10:42');
    assert.equal(formatStartTime(START, new Date(2025, 2, 2, 9, 0).getTime()), '2025-03-01 10:42');
  });
});

describe('clusters that vanish (a clean stop removes every file) stay as stopped rows', () => {
  it('keeps what was listed before as stopped, without files, live pids or connection, in order', () => {
    const a = info({ profileDir: '/a/profile_default', clusterId: 'x', connected: true, python: '/usr/bin/python3', recordFile: '/a/r.json' });
    const b = info({ profileDir: '/b/profile_default', clusterId: 'y' });
    const now = withVanished([b], [a, b]);
    assert.deepEqual(now.map((c) => [c.clusterId, c.state]), [['x', 'stopped'], ['y', 'running']]);
    const gone = now[0];
    assert.equal(gone.connected, false);
    assert.deepEqual(gone.livePids, []);
    assert.equal(gone.python, undefined);
    assert.equal(gone.connectionFile, undefined);
    assert.equal(gone.recordFile, undefined);
    assert.deepEqual(gone.pids, a.pids, 'the pids it had stay, for the tooltip');
    assert.equal(clusterItem(gone, LATER).description, 'stopped · 4 engines · mpi · started 10:42');
    assert.deepEqual(withVanished([b], []), [b]);
  });
});

describe('ipcluster arguments', () => {
  it('local engines need no option; MPI is --engines=mpi', () => {
    assert.deepEqual(engineLauncherArgs({ launcher: 'local' }), []);
    assert.deepEqual(engineLauncherArgs({ launcher: 'mpi' }), ['--engines=mpi']);
    assert.deepEqual(engineLauncherArgs({ launcher: 'slurm' }), ['--engines=slurm']);
  });

  it('Slurm partition and time limit go to the launcher traits ipyparallel inserts into its script', () => {
    assert.deepEqual(engineLauncherArgs({ launcher: 'slurm', slurm: { partition: 'debug', timeLimit: '1:30:00' } }), [
      '--engines=slurm',
      '--SlurmEngineSetLauncher.queue=debug',
      '--SlurmEngineSetLauncher.timelimit=1:30:00',
    ]);
  });

  it('extra #SBATCH lines become sbatch options (submit_command), one trait item each', () => {
    const args = engineLauncherArgs({ launcher: 'slurm', slurm: { partition: 'gpu', extraLines: ['#SBATCH --mem=4G', '#SBATCH -A lab  --comment={x}'] } });
    const S = '--SlurmEngineSetLauncher.submit_command=';
    assert.deepEqual(args, ['--engines=slurm', '--SlurmEngineSetLauncher.queue=gpu', `${S}sbatch`, `${S}--mem=4G`, `${S}-A`, `${S}lab`, `${S}--comment={x}`]);
    assert.deepEqual(sbatchArgs([]), []);
  });

  it('rejects a bad partition, time limit or a line that is not #SBATCH', () => {
    assert.throws(() => engineLauncherArgs({ launcher: 'slurm', slurm: { partition: 'a b' } }), /partition/);
    assert.throws(() => engineLauncherArgs({ launcher: 'slurm', slurm: { timeLimit: '1h' } }), /time limit/);
    assert.throws(() => engineLauncherArgs({ launcher: 'slurm', slurm: { extraLines: ['rm -rf ~'] } }), /#SBATCH directive/);
    assert.throws(() => engineLauncherArgs({ launcher: 'slurm', slurm: { extraLines: ['#SBATCH --comment="a b"'] } }), /without quotes/);
    for (const ok of ['30', '30:00', '1:00:00', '2-0', '2-12:30', '2-12:30:00', 'UNLIMITED', '']) assert.equal(checkTimeLimit(ok), undefined, ok);
    for (const bad of ['1h', '-1', '1:2:3:4', '1-']) assert.ok(checkTimeLimit(bad), bad);
    assert.equal(checkPartition('debug,gpu'), undefined);
    assert.equal(checkSbatchLines(['#SBATCH --mem=1G']), undefined);
    assert.ok(checkSbatchLines(['#SBATCH']));
    assert.deepEqual(splitSbatchLines(' #SBATCH --mem=1G ;\n#SBATCH -A lab;; '), ['#SBATCH --mem=1G', '#SBATCH -A lab']);
  });

  it('stop and add engines name the profile dir and cluster id', () => {
    const ref = { profile: 'hpc', profileDir: '/p/profile_hpc', clusterId: '' };
    assert.deepEqual(stopArgs(ref), ['-m', 'ipyparallel.cluster', 'stop', '--profile-dir=/p/profile_hpc', '--cluster-id=']);
    const add = addEnginesArgs(ref, 3);
    assert.equal(add[0], '-c');
    assert.match(add[1], /Cluster\.from_file\(profile_dir=sys\.argv\[1\], cluster_id=sys\.argv\[2\]\)/);
    assert.match(add[1], /start_engines_sync\(int\(sys\.argv\[3\]\)\)/);
    assert.deepEqual(add.slice(2), ['/p/profile_hpc', '', '3']);
    assert.throws(() => addEnginesArgs(ref, 0), /not a number of engines/);
  });
});

describe('connection snippet', () => {
  const ipd = '/home/me/.ipython';
  it('by profile and cluster id inside the IPython dir; by profile_dir outside it', () => {
    assert.equal(
      connectionSnippet({ profile: 'default', profileDir: join(ipd, 'profile_default'), clusterId: 'vscode-abc' }, ipd),
      "import ipyparallel as ipp; rc = ipp.Client(profile='default', cluster_id='vscode-abc')",
    );
    assert.equal(connectionSnippet({ profile: 'mpi', profileDir: join(ipd, 'profile_mpi'), clusterId: '' }, ipd), "import ipyparallel as ipp; rc = ipp.Client(profile='mpi')");
    assert.equal(
      connectionSnippet({ profile: 'x', profileDir: '/scratch/profile_x', clusterId: 'a' }, ipd),
      "import ipyparallel as ipp; rc = ipp.Client(profile_dir='/scratch/profile_x', cluster_id='a')",
    );
  });

  it('quotes what would break a Python string', () => {
    assert.equal(pyString("it's"), '"it\'s"');
    assert.equal(pyString('a\\b'), '"a\\\\b"');
    assert.equal(pyString('x\ny'), '"x\\ny"');
  });
});
