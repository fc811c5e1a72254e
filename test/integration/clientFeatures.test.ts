// Features that some clusters do not answer: an interrupt to engines started without the nanny
// (IPEngine.enable_nanny = False; ipyparallel < 7.0 has none) is dropped by the kernel, unanswered. The
// client must fail with a message naming the feature and the cluster's version, not a bare timeout.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TimeoutError, type ClusterClient } from '../../src/core/client';
import { RecordingLogger, connectedClient, stopClusterAndClient, until } from './clientSupport';
import { TestCluster } from './harness';

describe('ClusterClient: a feature the cluster does not answer', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let client: ClusterClient;
  let log: RecordingLogger;

  before(async () => {
    cluster = await TestCluster.start({ engines: 1, mode: 'separate', engineArgs: ['--IPEngine.enable_nanny=False'] });
    ({ client, log } = await connectedClient(cluster, 1));
  });
  after(() => stopClusterAndClient({ cluster, client, log }));

  it('interrupting an engine without a nanny fails with what it needs and the cluster\'s version', async () => {
    assert.deepEqual(cluster.nannyPids(), [], 'the engine runs without a nanny');
    const version = await until(client, () => client.version(), 30_000, 'the version an engine reports');
    assert.equal(version.ipyparallel, cluster.ippVersion);
    const [id] = client.engines().map((e) => e.id);
    const t0 = Date.now();
    await assert.rejects(client.interrupt([id], { timeoutMs: 2000 }), (e: unknown) => {
      assert.ok(e instanceof TimeoutError, String(e));
      assert.match(e.message, new RegExp(`^signal_request \\(SIGINT\\) to engine ${id} got no answer within 2 s\\. Interrupting an engine`));
      assert.match(e.message, /the engine's nanny, which ipyparallel 7\.0 and later start unless the engines run with IPEngine\.enable_nanny = False/);
      assert.ok(e.message.includes(`this cluster runs ipyparallel ${cluster.ippVersion} (as reported by engine ${version.engineId})`), e.message);
      return true;
    });
    assert.ok(Date.now() - t0 < 10_000, 'it fails at its deadline');
    // The engine still works: the unanswered request did not break the session.
    const run = client.execute('1 + 1', { targets: [id] });
    const [task] = await client.wait(run.id, { timeoutMs: 30_000 });
    assert.equal(task.state, 'done');
  });
});
