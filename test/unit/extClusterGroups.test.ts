import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TreeItemContexts } from '../../src/extension/ids';
import { Sessions } from '../../src/extension/sessions';
import { clusterGroupItem, clusterGroupLabel, clusterGroups, inOtherCluster } from '../../src/extension/views/clusterGroups';
import { engineItem, runItem } from '../../src/extension/views/treeItems';

const file = (profile: string, id?: string) => `/home/u/.ipython/profile_${profile}/security/ipcontroller${id ? `-${id}` : ''}-client.json`;

describe('Engines and Tasks views grouped by cluster', () => {
  it('labels a cluster profile/cluster-id from its connection file', () => {
    assert.equal(clusterGroupLabel(file('default', '1700000000-ab')), 'default/1700000000-ab');
    assert.equal(clusterGroupLabel(file('mpi', 'big')), 'mpi/big');
    assert.equal(clusterGroupLabel(file('mpi')), 'mpi');
    assert.equal(clusterGroupLabel('C:\\Users\\u\\.ipython\\profile_gpu\\security\\ipcontroller-x-client.json'), 'gpu/x');
    assert.equal(clusterGroupLabel('/tmp/mine.json'), 'mine');
  });

  it('groups only with two or more clusters connected, in the order opened, the active one marked', () => {
    const s = new Sessions();
    assert.deepEqual(clusterGroups(s.open(), s.active), []);
    s.opened('default', file('default', 'a'));
    assert.deepEqual(clusterGroups(s.open(), s.active), [], 'one cluster: the views look as today');
    s.opened('c:b', file('default', 'b'));
    assert.deepEqual(clusterGroups(s.open(), s.active), [
      { sessionId: 'default', label: 'default/a', active: false },
      { sessionId: 'c:b', label: 'default/b', active: true },
    ]);
    s.activated('default');
    assert.deepEqual(clusterGroups(s.open(), s.active).map((g) => g.active), [true, false]);
    s.closed('c:b');
    assert.deepEqual(clusterGroups(s.open(), s.active), [], 'back to one cluster: no groups');
  });

  it('leaves a disconnected default session out of the groups', () => {
    const s = new Sessions();
    s.opened('c:b', file('default', 'b'));
    s.opened('c:c', file('default', 'c'));
    assert.deepEqual(s.open().map((o) => o.sessionId), ['c:b', 'c:c']);
    assert.deepEqual(clusterGroups(s.open(), s.active).map((g) => g.label), ['default/b', 'default/c']);
  });

  it('shows a cluster node as "profile/cluster-id (active)", expanded, with its count', () => {
    const active = clusterGroupItem({ sessionId: 'c:b', label: 'default/b', active: true }, '2 engines');
    assert.equal(active.label, 'default/b (active)');
    assert.equal(active.description, '2 engines');
    assert.equal(active.id, 'cluster:c:b');
    assert.equal(active.collapsible, 'expanded');
    assert.equal(active.contextValue, TreeItemContexts.clusterGroup);
    assert.equal(clusterGroupItem({ sessionId: 'default', label: 'default/a', active: false }, '1 engine').label, 'default/a');
  });

  it("gives the other clusters' rows ids of their own and no row actions", () => {
    const e = engineItem({ id: 0, uuid: 'u0', status: 'idle', queue: 0, completed: 3, tasks: 0 } as never);
    const other = inOtherCluster(e, 'c:b');
    assert.equal(other.id, `c:b/${e.id}`);
    assert.notEqual(other.id, e.id, 'engine 0 of two clusters must not share a tree id');
    assert.equal(other.contextValue, TreeItemContexts.otherCluster);
    assert.equal(other.label, e.label);
    const run = runItem({ runId: 'r1', title: 'x', targets: 'all', state: 'done', tasks: [], done: 1, total: 1 } as never, Date.now());
    assert.equal(inOtherCluster(run, 'default').command, undefined);
  });
});
