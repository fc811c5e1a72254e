import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { TimeoutError, UnsupportedError } from '../../src/core/client/errors';
import * as P from '../../src/shared/protocol';
import { rejectsWith, startInMemoryServer as start, type Harness } from './support/inMemoryServer';
import { readFixture } from './support/fixtures';
import { tempDir, writeFile } from './support/tempDir';

/**
 * The ipp/* methods driven through a real JSON-RPC connection over in-memory streams, with a fake
 * ClusterClient: every method and its error cases, in seconds, without a cluster.
 */
const CONNECTION_FILE = JSON.parse(readFixture('protocol-examples.json')).connection_file as Record<string, unknown>;

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('ClusterServer over in-memory JSON-RPC with a fake client', () => {
  const dir = tempDir('inmem');
  const file = writeFile(join(dir, 'ipcontroller-client.json'), JSON.stringify(CONNECTION_FILE));
  let h: Harness;
  beforeEach(async () => {
    h = await start(file);
  });
  afterEach(() => h.close());

  const connect = () => h.rpc.sendRequest(P.ConnectRequest, { connectionFile: h.file });

  it('ipp/connect connects, reuses an identical connection, and fails precisely on a bad file', async () => {
    const r = await connect();
    assert.equal(r.state, 'connected');
    assert.equal(r.engines.length, 2);
    assert.equal(r.security.signed, true);
    await connect();
    assert.equal(h.clients.length, 1, 'the same file and options reuse the client');
    await rejectsWith(h.rpc.sendRequest(P.ConnectRequest, { connectionFile: '/nonexistent/x.json' }), P.ErrorCodes.ConnectFailed);
    await rejectsWith(h.rpc.sendRequest(P.ConnectRequest, { connectionFile: '' }), P.ErrorCodes.InvalidParams, 'connectionFile');
    await rejectsWith(h.rpc.sendRequest(P.ConnectRequest, { connectionFile: h.file, sshArgs: 'x' } as never), P.ErrorCodes.InvalidParams, 'sshArgs');
  });

  it('ipp/connect reports a failed connect as ConnectFailed and forgets the client', async () => {
    h.failures.set('connect', Object.assign(new Error('no controller'), { code: 'ERR_CONNECT' }));
    await rejectsWith(connect(), P.ErrorCodes.ConnectFailed);
    assert.equal(h.clients[0].state, 'closed');
    assert.equal((await h.rpc.sendRequest(P.StatusRequest)).state, 'disconnected');
  });

  it('ipp/disconnect, ipp/status, ipp/engines and ipp/listClusters', async () => {
    const before = await h.rpc.sendRequest(P.StatusRequest);
    assert.deepEqual(before, { state: 'disconnected', engines: 0, runningTasks: 0, dropped: { badSignature: 0, replay: 0, malformed: 0, byChannel: {} } });
    assert.deepEqual(await h.rpc.sendRequest(P.EnginesRequest), []);
    await connect();
    const s = await h.rpc.sendRequest(P.StatusRequest);
    assert.equal(s.state, 'connected');
    assert.equal(s.connectionFile, h.file);
    assert.deepEqual((await h.rpc.sendRequest(P.EnginesRequest)).map((e) => e.id), [0, 1]);
    assert.equal(await h.rpc.sendRequest(P.DisconnectRequest), null);
    assert.equal((await h.rpc.sendRequest(P.StatusRequest)).state, 'disconnected');
    assert.deepEqual(await h.rpc.sendRequest(P.ListClustersRequest, { ipythonDir: dir }), []);
    await rejectsWith(h.rpc.sendRequest(P.ListClustersRequest, { ipythonDir: 3 } as never), P.ErrorCodes.InvalidParams, 'ipythonDir');
  });

  it('ipp/execute, ipp/tasks, ipp/wait and ipp/output, with notifications', async () => {
    await rejectsWith(h.rpc.sendRequest(P.ExecuteRequest, { code: 'x', targets: 'all' }), P.ErrorCodes.NotConnected);
    await connect();
    await rejectsWith(h.rpc.sendRequest(P.ExecuteRequest, { code: 1, targets: 'all' } as never), P.ErrorCodes.InvalidParams, 'code');
    await rejectsWith(h.rpc.sendRequest(P.ExecuteRequest, { code: 'x', targets: [] }), P.ErrorCodes.InvalidParams, 'targets');
    await rejectsWith(h.rpc.sendRequest(P.ExecuteRequest, { code: 'x', targets: [7] }), P.ErrorCodes.InvalidParams, 'targets');
    const { runId, msgIds } = await h.rpc.sendRequest(P.ExecuteRequest, { code: '\nprint(1)\n', targets: 'all' });
    assert.equal(msgIds.length, 2);
    const c = h.clients[0];
    c.emitOutput(msgIds[0], { kind: 'stream', name: 'stdout', text: '1\n' });
    for (const id of msgIds) c.setTaskState(id, 'done');
    const [summary] = await h.rpc.sendRequest(P.TasksRequest, { runId });
    assert.equal(summary.title, 'print(1)');
    assert.equal(summary.state, 'done');
    assert.equal('code' in summary.tasks[0], false, 'task summaries carry no code');
    assert.equal(summary.tasks[0].outputCount, 1);
    assert.equal((await h.rpc.sendRequest(P.TasksRequest, {})).length, 1);
    const waited = await h.rpc.sendRequest(P.WaitRequest, { runId });
    assert.equal(waited.state, 'done');
    assert.deepEqual(waited.engines[0].outputs, [{ kind: 'stream', name: 'stdout', text: '1\n' }]);
    assert.deepEqual(await h.rpc.sendRequest(P.OutputRequest, { runId }), waited);
    await until(() => h.notes.some((n) => n.method === 'ipp/output'), 'ipp/output');
    assert.ok(h.notes.some((n) => n.method === 'ipp/tasksChanged'));
    await rejectsWith(h.rpc.sendRequest(P.WaitRequest, { runId: 'nope' }), P.ErrorCodes.UnknownRun);
    await rejectsWith(h.rpc.sendRequest(P.OutputRequest, {} as never), P.ErrorCodes.InvalidParams, 'runId');
    await rejectsWith(h.rpc.sendRequest(P.TasksRequest, { limit: -1 }), P.ErrorCodes.InvalidParams, 'limit');
  });

  it('ipp/execute with wait answers with the ended run\'s outputs, and without them past waitTimeoutMs', async () => {
    await connect();
    await rejectsWith(h.rpc.sendRequest(P.ExecuteRequest, { code: 'x', targets: 'all', waitTimeoutMs: 5000 }), P.ErrorCodes.InvalidParams, 'waitTimeoutMs');
    const c = h.clients[0];
    let release = (): void => undefined;
    c.holds.set('wait', new Promise<void>((r) => (release = r)));
    const pending = h.rpc.sendRequest(P.ExecuteRequest, { code: 'print(1)', targets: [0], wait: true, waitTimeoutMs: 5000 });
    await until(() => c.calls.some((x) => x.method === 'wait'), 'the server to wait for the run');
    const [msgId] = c.calls.find((x) => x.method === 'wait')?.args[0] as string[];
    c.emitOutput(msgId, { kind: 'stream', name: 'stdout', text: '1\n' });
    c.setTaskState(msgId, 'done');
    release();
    const answer = await pending;
    assert.deepEqual(answer.msgIds, [msgId]);
    assert.equal(answer.result?.state, 'done');
    assert.deepEqual(answer.result?.engines[0].outputs, [{ kind: 'stream', name: 'stdout', text: '1\n' }]);
    assert.deepEqual(answer.result, await h.rpc.sendRequest(P.WaitRequest, { runId: answer.runId }));
    assert.deepEqual((c.calls.find((x) => x.method === 'wait')?.args[1] as { timeoutMs: number }).timeoutMs, 5000);
    assert.ok(h.notes.some((n) => n.method === 'ipp/output'), 'the run\'s output went out before the answer');
    c.holds.delete('wait');
    c.failures.set('wait', new TimeoutError('waiting for 1 task(s) timed out'));
    const late = await h.rpc.sendRequest(P.ExecuteRequest, { code: 'x', targets: [0], wait: true });
    assert.equal(late.result, undefined, 'past the wait the run goes on, and the answer names it');
    assert.equal((await h.rpc.sendRequest(P.TasksRequest, { runId: late.runId }))[0].state, 'running');
  });

  it('ipp/wait maps a client timeout to Timeout', async () => {
    await connect();
    const { runId } = await h.rpc.sendRequest(P.ExecuteRequest, { code: 'x', targets: [0] });
    h.clients[0].failures.set('wait', Object.assign(new Error('timed out'), { code: 'ERR_TIMEOUT' }));
    await rejectsWith(h.rpc.sendRequest(P.WaitRequest, { runId, timeoutMs: 10 }), P.ErrorCodes.Timeout);
  });

  it('ipp/abort, with and without interruptRunning, and ipp/interrupt', async () => {
    await connect();
    const c = h.clients[0];
    const { runId, msgIds } = await h.rpc.sendRequest(P.ExecuteRequest, { code: 'x', targets: 'all' });
    c.setTaskState(msgIds[1], 'running');
    assert.deepEqual(await h.rpc.sendRequest(P.AbortRequest, { runId }), { aborted: msgIds });
    assert.deepEqual(await h.rpc.sendRequest(P.AbortRequest, { runId, interruptRunning: true }), { aborted: msgIds, interrupted: [1] });
    assert.deepEqual(c.calls.filter((x) => x.method === 'interrupt').map((x) => x.args[0]), [[1]]);
    assert.deepEqual(await h.rpc.sendRequest(P.InterruptRequest, { engineIds: [0] }), { engineIds: [0] });
    assert.deepEqual(await h.rpc.sendRequest(P.InterruptRequest, { runId }), { engineIds: [1] });
    await rejectsWith(h.rpc.sendRequest(P.AbortRequest, { runId: 'nope' }), P.ErrorCodes.UnknownRun);
    await rejectsWith(h.rpc.sendRequest(P.AbortRequest, { interruptRunning: 'yes' } as never), P.ErrorCodes.InvalidParams, 'interruptRunning');
    await rejectsWith(h.rpc.sendRequest(P.InterruptRequest, { engineIds: ['a'] } as never), P.ErrorCodes.InvalidParams, 'engineIds');
    c.failures.set('abort', Object.assign(new Error('hub said no'), { code: 'ERR_HUB', ename: 'KeyError', evalue: 'x' }));
    await rejectsWith(h.rpc.sendRequest(P.AbortRequest, { runId }), P.ErrorCodes.RemoteFailed);
  });

  it('ipp/resubmit and ipp/purge', async () => {
    await rejectsWith(h.rpc.sendRequest(P.PurgeRequest, { all: true }), P.ErrorCodes.NotConnected);
    await connect();
    const c = h.clients[0];
    const { runId, msgIds } = await h.rpc.sendRequest(P.ExecuteRequest, { code: 'x', targets: [0] });
    assert.deepEqual(await h.rpc.sendRequest(P.ResubmitRequest, { runId }), { resubmitted: {} }, 'nothing finished yet');
    c.setTaskState(msgIds[0], 'error');
    const { resubmitted } = await h.rpc.sendRequest(P.ResubmitRequest, { runId });
    const newId = resubmitted[msgIds[0]];
    assert.ok(newId);
    const [summary] = await h.rpc.sendRequest(P.TasksRequest, { runId });
    assert.deepEqual(summary.tasks.map((t) => t.msgId), [msgIds[0], newId]);
    assert.equal(summary.state, 'running');
    c.setTaskState(newId, 'done');
    assert.deepEqual(await h.rpc.sendRequest(P.PurgeRequest, { runId }), { purged: 2 });
    await rejectsWith(h.rpc.sendRequest(P.TasksRequest, { runId }), P.ErrorCodes.UnknownRun);
    await rejectsWith(h.rpc.sendRequest(P.ResubmitRequest, { msgIds: [1] } as never), P.ErrorCodes.InvalidParams, 'msgIds');
    const second = await h.rpc.sendRequest(P.ExecuteRequest, { code: 'y', targets: 'balanced' });
    c.setTaskState(second.msgIds[0], 'done');
    assert.deepEqual(await h.rpc.sendRequest(P.PurgeRequest, { all: true }), { purged: 1 });
    assert.deepEqual(await h.rpc.sendRequest(P.TasksRequest, {}), []);
  });

  it('pushes ipp/statusChanged when the running count, the state or the dropped counters change', async () => {
    const statuses = () => h.notes.filter((n) => n.method === 'ipp/statusChanged').map((n) => n.params as P.StatusResult);
    await connect();
    await until(() => statuses().some((s) => s.state === 'connected'), 'a connected status');
    assert.equal(statuses().at(-1)?.security?.signed, true);
    const c = h.clients[0];
    const { msgIds } = await h.rpc.sendRequest(P.ExecuteRequest, { code: 'x', targets: [0] });
    c.setTaskState(msgIds[0], 'running');
    await until(() => statuses().at(-1)?.runningTasks === 1, 'runningTasks 1');
    c.dropForged();
    await until(() => statuses().at(-1)?.dropped.badSignature === 1, 'a dropped message');
    assert.deepEqual(statuses().at(-1)?.dropped.byChannel, { iopub: { badSignature: 1 } });
    const sent = statuses().length;
    c.setTaskState(msgIds[0], 'running'); // nothing ipp/status reports changed
    await h.rpc.sendRequest(P.StatusRequest);
    assert.equal(statuses().length, sent, 'an unchanged status is not sent again');
    await h.rpc.sendRequest(P.DisconnectRequest);
    await until(() => statuses().at(-1)?.state === 'disconnected', 'a disconnected status');
  });

  it('ipp/status and ipp/statusChanged carry the version an engine reported, and "unknown"', async () => {
    const statuses = () => h.notes.filter((n) => n.method === 'ipp/statusChanged').map((n) => n.params as P.StatusResult);
    await connect();
    const c = h.clients[0];
    assert.equal((await h.rpc.sendRequest(P.StatusRequest)).ipyparallelVersion, undefined, 'absent while nobody has answered');
    c.setVersion({ ipyparallel: '9.2.0.dev0', python: '3.11.2', engineId: 0 });
    await until(() => statuses().at(-1)?.ipyparallelVersion === '9.2.0.dev0', 'the version pushed');
    assert.equal(statuses().at(-1)?.pythonVersion, '3.11.2');
    const status = await h.rpc.sendRequest(P.StatusRequest);
    assert.equal(status.ipyparallelVersion, '9.2.0.dev0');
    assert.equal(status.pythonVersion, '3.11.2');
    c.setVersion({ ipyparallel: 'unknown' });
    await until(() => statuses().at(-1)?.ipyparallelVersion === 'unknown', '"unknown" pushed');
    assert.equal(statuses().at(-1)?.pythonVersion, undefined);
  });

  it('maps a feature the cluster is too old for to Unsupported, with core\'s message', async () => {
    await connect();
    const message = 'interrupting an engine (signal_request) needs ipyparallel 7.0 or later; this cluster runs ipyparallel 6.3.0';
    h.clients[0].failures.set('interrupt', new UnsupportedError('interrupting an engine', '6.3.0', message));
    await assert.rejects(h.rpc.sendRequest(P.InterruptRequest, { engineIds: [0] }), (e: { code?: number; message?: string; data?: { code?: string } }) => {
      assert.equal(e.code, P.ErrorCodes.Unsupported);
      assert.equal(e.message, message);
      assert.equal(e.data?.code, 'ERR_UNSUPPORTED');
      return true;
    });
  });

  it("a run's first ipp/output item carries its title and targets, later ones do not", async () => {
    await connect();
    const { runId, msgIds } = await h.rpc.sendRequest(P.ExecuteRequest, { code: '\n  f(1)  \n', targets: [0, 1] });
    h.clients[0].emitOutput(msgIds[0], { kind: 'stream', name: 'stdout', text: 'a' });
    h.clients[0].emitOutput(msgIds[1], { kind: 'stream', name: 'stdout', text: 'b' });
    const items = () => h.notes.filter((n) => n.method === 'ipp/output').flatMap((n) => (n.params as P.OutputNotificationParams).items);
    await until(() => items().length === 2, 'two output items');
    const [first, second] = items();
    assert.equal(first.runId, runId);
    assert.equal(first.run?.title, 'f(1)');
    assert.deepEqual(first.run?.targets, [0, 1]);
    assert.equal(second.run, undefined);
  });

  it('ipp/queueStatus, ipp/history and ipp/shutdown', async () => {
    await rejectsWith(h.rpc.sendRequest(P.QueueStatusRequest), P.ErrorCodes.NotConnected);
    await rejectsWith(h.rpc.sendRequest(P.HistoryRequest, {}), P.ErrorCodes.NotConnected);
    await rejectsWith(h.rpc.sendRequest(P.ShutdownRequest), P.ErrorCodes.NotConnected);
    await connect();
    assert.equal((await h.rpc.sendRequest(P.QueueStatusRequest)).unassigned, 0);
    await h.rpc.sendRequest(P.ExecuteRequest, { code: 'x', targets: 'all' });
    const history = await h.rpc.sendRequest(P.HistoryRequest, { limit: 1 });
    assert.equal(history.length, 1);
    assert.equal('outputs' in history[0], false);
    await rejectsWith(h.rpc.sendRequest(P.HistoryRequest, { limit: 0 }), P.ErrorCodes.InvalidParams, 'limit');
    assert.equal(await h.rpc.sendRequest(P.ShutdownRequest), null);
    assert.ok(h.clients[0].calls.some((x) => x.method === 'shutdown'));
  });
});
