// Data published from the engines (ipyparallel.datapub.publish_data) through the language server as a
// process, against a real 2-engine cluster: each publish reaches the client as ipp/taskData, progress
// in order, other keys as the task's data, and the final TaskSummary carries both.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConnectRequest, ExecuteRequest, TaskDataNotification, TasksRequest, WaitRequest, type TaskDataItem } from '../../src/shared/protocol';
import { TestCluster } from './harness';
import { ServerUnderTest } from './serverSupport';

const TASK_MS = 60_000;

// Publishes half a second apart, so that each lands in its own notification window (20 ms here).
const PUBLISHING = [
  'import time',
  'from ipyparallel.datapub import publish_data',
  'for p in (0.25, 0.5, 1.0):',
  "    publish_data({'progress': p, 'stage': 'step %d' % int(p * 4)})",
  '    time.sleep(0.5)',
].join('\n');

describe('language server: data published from the engines', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let server: ServerUnderTest;
  const items: TaskDataItem[] = [];

  before(async () => {
    cluster = await TestCluster.start({ engines: 2 });
    ({ server } = await ServerUnderTest.start({ notificationBatchMs: 20 }));
    server.connection.onNotification(TaskDataNotification, (p: { items: TaskDataItem[] }) => {
      items.push(...p.items);
    });
    await server.connection.sendRequest(ConnectRequest, { connectionFile: cluster.connectionFile });
  });

  after(async () => {
    await server?.close();
    await cluster?.stop();
  });

  it('a task publishing progress 0.25, 0.5, 1.0 is seen at those values, with its other keys as data', async () => {
    const { runId, msgIds } = await server.connection.sendRequest(ExecuteRequest, { code: PUBLISHING, targets: 'balanced' });
    const result = await server.connection.sendRequest(WaitRequest, { runId, timeoutMs: TASK_MS });
    assert.equal(result.state, 'done', JSON.stringify(result.engines.map((e) => e.outputs)));
    const mine = items.filter((i) => i.msgId === msgIds[0]);
    assert.deepEqual(
      mine.map((i) => i.progress),
      [0.25, 0.5, 1],
    );
    assert.deepEqual(mine.at(-1)?.data, { progress: 1, stage: 'step 4' });
    assert.equal(mine[0].runId, runId);
    assert.equal(typeof mine[0].engineId, 'number');
    const [summary] = await server.connection.sendRequest(TasksRequest, { runId });
    assert.equal(summary.tasks[0].progress, 1);
    assert.deepEqual(summary.tasks[0].data, { progress: 1, stage: 'step 4' });
  });

  it('a dict holding a Python object keeps its keys, undecoded, and never runs it', async () => {
    const code = "from ipyparallel.datapub import publish_data\npublish_data({'blob': b'ab', 'progress': 0.5})";
    const { runId, msgIds } = await server.connection.sendRequest(ExecuteRequest, { code, targets: 'balanced' });
    await server.connection.sendRequest(WaitRequest, { runId, timeoutMs: TASK_MS });
    const mine = items.filter((i) => i.msgId === msgIds[0]);
    assert.equal(mine.length, 1);
    assert.deepEqual(mine[0].data, { blob: '[a Python object: not decoded]', progress: '[a Python object: not decoded]' });
    assert.equal(mine[0].progress, undefined);
  });
});
