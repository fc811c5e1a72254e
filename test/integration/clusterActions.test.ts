// What the Clusters view runs, against the installed ipyparallel: the Slurm launcher options parse as
// ipcluster start options and give the job script we mean (no Slurm needed), and Add engines / Stop on a
// real local cluster: the record stays whole with the new engines, and after Stop no recorded pid lives.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPidAlive, readClusterRecord } from '../../src/core/protocol';
import { addEnginesArgs, engineLauncherArgs, runPython, stopArgs } from '../../src/extension/ipcluster';
import { findIpyparallelPython } from './harness';
import { ippEnv, versionUnderTest } from './harness/ippVersion';
import { LauncherCluster } from './harness/launcherCluster';
import { pollUntil } from './harness/procs';

const python = findIpyparallelPython();
const env = { ...process.env, ...ippEnv(versionUnderTest()) };

/** Parses argv as `ipcluster start` does, then writes the Slurm engine job script for 2 engines. */
const SLURM_SCRIPT = `
import sys, json, tempfile
from ipyparallel.cluster.app import IPClusterStart
from ipyparallel.cluster.launcher import SlurmEngineSetLauncher
app = IPClusterStart()
app.parse_command_line(sys.argv[1:])
d = tempfile.mkdtemp()
l = SlurmEngineSetLauncher(config=app.config, work_dir=d, profile_dir=d, cluster_id='abc')
l.program = ['ipengine']
l.program_args = []
l.write_batch_script(2)
print(json.dumps({'launcher': app.config.Cluster.engine_launcher_class, 'script': open(l.batch_file).read(), 'submit': l.submit_command}))
`;

async function slurmScript(args: string[]): Promise<{ launcher: string; script: string; submit: string[] }> {
  const r = await runPython(python, ['-c', SLURM_SCRIPT, ...args], 60_000, env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
}

describe('Slurm options as ipyparallel reads them', { timeout: 120_000 }, () => {
  it('partition and time limit reach its default job script, with the ntasks line', async () => {
    const { launcher, script } = await slurmScript(engineLauncherArgs({ launcher: 'slurm', slurm: { partition: 'debug', timeLimit: '1:30:00' } }));
    assert.equal(launcher, 'slurm');
    const lines = script.split('\n');
    assert.equal(lines[0], '#!/bin/sh');
    for (const l of ['#SBATCH --partition=debug', '#SBATCH --time=1:30:00', '#SBATCH --ntasks=2']) assert.ok(lines.includes(l), `${l} in\n${script}`);
    assert.ok(lines.some((l) => /^#SBATCH --job-name=ip(?:y-)?engine-abc$/.test(l)), script); // 7.1: ipy-engine-, 9.x: ipengine-
    assert.match(script, /^srun ipengine/m);
  });

  it('extra #SBATCH lines reach sbatch\'s command line; the default script keeps its own lines', async () => {
    const { script, submit } = await slurmScript(
      engineLauncherArgs({ launcher: 'slurm', slurm: { partition: 'gpu', timeLimit: '30', extraLines: ['#SBATCH --mem=1G', '#SBATCH -A lab --comment={literal}'] } }),
    );
    assert.deepEqual(submit, ['sbatch', '--mem=1G', '-A', 'lab', '--comment={literal}']);
    const lines = script.split('\n');
    for (const l of ['#SBATCH --partition=gpu', '#SBATCH --time=30', '#SBATCH --ntasks=2']) assert.ok(lines.includes(l), `${l} in\n${script}`);
  });
});

describe('Add engines and Stop on a real local cluster', { timeout: 300_000 }, () => {
  let cluster: LauncherCluster;
  let recorded: number[] = [];
  before(async () => {
    cluster = await LauncherCluster.start({ launcher: 'local', engines: 1, clusterId: 'actions', python });
  });
  after(async () => {
    for (const pid of recorded.filter(isPidAlive)) process.kill(pid, 'SIGKILL');
    await cluster?.dispose();
  });
  const ref = () => ({ profile: 'default', profileDir: cluster.profileDir, clusterId: cluster.clusterId });

  it('adds an engine through the Cluster API: the record keeps its controller and names 2 engines', async () => {
    const r = await runPython(python, addEnginesArgs(ref(), 1), 120_000, env);
    assert.equal(r.code, 0, r.stderr);
    const rec = readClusterRecord(cluster.profileDir, cluster.clusterId);
    recorded = rec.pids;
    assert.equal(rec.state, 'running');
    assert.equal(rec.engineCount, 2);
    assert.ok(rec.controllerPid && isPidAlive(rec.controllerPid));
    assert.equal(rec.livePids.length, 3, `controller and 2 engines alive: ${rec.pids.join(', ')} (live ${rec.livePids.join(', ')})`);
  });

  it('ipcluster stop with the profile dir and id stops every recorded process, and the record goes', async () => {
    const r = await runPython(python, stopArgs(ref()), 60_000, env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await pollUntil(() => recorded.every((p) => !isPidAlive(p)), 30_000, 100), `left: ${recorded.filter(isPidAlive).join(', ')}`);
    const rec = readClusterRecord(cluster.profileDir, cluster.clusterId);
    assert.notEqual(rec.state, 'running');
    assert.equal(rec.recordFile, undefined, 'ipyparallel removes the record on a clean stop');
  });
});
