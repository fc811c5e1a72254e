import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectionFilePath, defaultIpythonDir, listClusters, listProfiles, loadConnectionFile, profileDir } from '../../src/core/protocol';
import { readFixture } from './support/fixtures';
import { tempDir, writeFile } from './support/tempDir';

const CONNECTION = readFixture('protocol-examples.json');
const connectionText = JSON.stringify((JSON.parse(CONNECTION) as { connection_file: unknown }).connection_file);

/** The state file the Cluster API writes (PROTOCOL.md §1.1), reduced to what discovery reads. */
function clusterState(clusterId: string, pid: number, sets: number[]): string {
  const engineSets = Object.fromEntries(sets.map((n, i) => [`${1700000000 + i}-set${i}`, { n, state: 'running', engines: {} }]));
  return JSON.stringify({
    cluster: { cluster_id: clusterId, profile_dir: '/somewhere', class: 'ipyparallel.cluster.cluster.Cluster' },
    controller: { class: 'Local', state: { state: 'running', pid } },
    engines: { class: 'Local', sets: engineSets },
  });
}

/** An IPython dir with several profiles and clusters, each file dated so the order is known. */
function makeIpythonDir(): string {
  const root = tempDir('ipythondir');
  const security = (profile: string) => join(root, `profile_${profile}`, 'security');
  const at = (path: string, secondsAgo: number) => {
    const t = Date.now() / 1000 - secondsAgo;
    utimesSync(path, t, t);
  };
  // default profile: the CLI's cluster (id '') and a Cluster() API one with two engine sets
  at(writeFile(join(security('default'), 'ipcontroller-client.json'), connectionText), 300);
  writeFile(join(security('default'), 'ipcontroller-engine.json'), connectionText);
  writeFile(join(security('default'), 'cluster-.json'), clusterState('', 4242, [2]), 0o644);
  at(writeFile(join(security('default'), 'ipcontroller-1700000000-abcd-client.json'), connectionText), 10);
  writeFile(join(security('default'), 'cluster-1700000000-abcd.json'), clusterState('1700000000-abcd', 5151, [2, 3]), 0o644);
  // mpi profile: a connection file without cluster state; a broken state file for another id
  at(writeFile(join(security('mpi'), 'ipcontroller-client.json'), connectionText), 50);
  at(writeFile(join(security('mpi'), 'ipcontroller-x-y-client.json'), connectionText), 60);
  writeFile(join(security('mpi'), 'cluster-x-y.json'), '{not json', 0o644);
  // noise: a profile without security/, a file named like a profile, unrelated dirs and files
  mkdirSync(join(root, 'profile_empty'));
  writeFileSync(join(root, 'profile_notadir'), '');
  mkdirSync(join(root, 'extensions'));
  writeFile(join(security('mpi'), 'ipcontroller-client.json.bak'), connectionText);
  return root;
}

describe('discovery', () => {
  const root = makeIpythonDir();

  it('defaultIpythonDir follows IPYTHONDIR, expands ~, and defaults to ~/.ipython', () => {
    assert.equal(defaultIpythonDir({ IPYTHONDIR: '/opt/ipython' }), '/opt/ipython');
    assert.equal(defaultIpythonDir({ IPYTHONDIR: '~/ipy' }), join(homedir(), 'ipy'));
    assert.equal(defaultIpythonDir({}), join(homedir(), '.ipython'));
    assert.equal(defaultIpythonDir({ IPYTHONDIR: '' }), join(homedir(), '.ipython'));
  });

  it('connectionFilePath names files as ipyparallel does', () => {
    assert.equal(connectionFilePath(root), join(root, 'profile_default', 'security', 'ipcontroller-client.json'));
    assert.equal(connectionFilePath(root, 'mpi'), join(root, 'profile_mpi', 'security', 'ipcontroller-client.json'));
    assert.equal(
      connectionFilePath(root, 'default', '1700000000-abcd'),
      join(root, 'profile_default', 'security', 'ipcontroller-1700000000-abcd-client.json'),
    );
    assert.equal(profileDir(root), join(root, 'profile_default'));
    assert.equal(loadConnectionFile(connectionFilePath(root, 'default', '1700000000-abcd')).transport, 'tcp');
  });

  it('listProfiles: every profile_<name> directory, default first', () => {
    assert.deepEqual(listProfiles(root), ['default', 'empty', 'mpi']);
    assert.deepEqual(listProfiles(join(root, 'does-not-exist')), []);
  });

  it('listClusters: every client connection file, newest first within a profile, with pid and engines', () => {
    const found = listClusters(root);
    const summary = found.map((c) => [c.profile, c.clusterId, c.controllerPid, c.engineCount]);
    assert.deepEqual(summary, [
      ['default', '1700000000-abcd', 5151, 5],
      ['default', '', 4242, 2],
      ['mpi', '', undefined, undefined],
      ['mpi', 'x-y', undefined, undefined],
    ]);
    for (const c of found) {
      assert.equal(c.connectionFile, connectionFilePath(root, c.profile, c.clusterId));
      assert.equal(c.profileDir, profileDir(root, c.profile));
      assert.ok(c.modified > 0);
    }
  });

  it('listClusters on an empty or missing IPython dir finds nothing', () => {
    assert.deepEqual(listClusters(tempDir('empty-ipythondir')), []);
    assert.deepEqual(listClusters(join(root, 'nope')), []);
  });
});
