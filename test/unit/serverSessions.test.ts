import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as P from '../../src/shared/protocol';
import { readFixture } from './support/fixtures';
import { rejectsWith, startInMemoryServer as start, type Harness } from './support/inMemoryServer';
import { tempDir, writeFile } from './support/tempDir';

/**
 * Several clusters at once: sessions keyed by `sessionId` over a real JSON-RPC connection with fake
 * clients. A client that names no session sees the single-cluster protocol unchanged.
 */
const CONNECTION_FILE = JSON.parse(readFixture('protocol-examples.json')).connection_file as Record<string, unknown>;

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('ipp/* sessions: several clusters in one server', () => {
  const dir = tempDir('sessions');
  const fileA = writeFile(join(dir, 'a', 'ipcontroller-client.json'), JSON.stringify(CONNECTION_FILE));
  const fileB = writeFile(join(dir, 'b', 'ipcontroller-client.json'), JSON.stringify(CONNECTION_FILE));
  let h: Harness;
  beforeEach(async () => {
    h = await start(fileA);
  });
  afterEach(() => h.close());

  const outputsOf = (sessionId: string | undefined) =>
    h.notes
      .filter((n) => n.method === 'ipp/output' && (n.params as P.OutputNotificationParams).sessionId === sessionId)
      .flatMap((n) => (n.params as P.OutputNotificationParams).items.map((i) => (i.output as { text?: string }).text));

  it('two sessions at once: runs and their outputs kept apart, notifications tagged, the active one switched', async () => {
    await h.rpc.sendRequest(P.ConnectRequest, { connectionFile: fileA });
    const b = await h.rpc.sendRequest(P.ConnectRequest, { connectionFile: fileB, sessionId: 'b' });
    assert.equal(b.connectionFile, fileB);
    assert.equal(h.clients.length, 2);
    assert.deepEqual(
      (await h.rpc.sendRequest(P.SessionsRequest)).map((s) => [s.sessionId, s.active, s.state, s.connectionFile]),
      [['default', false, 'connected', fileA], ['b', true, 'connected', fileB]],
    );

    // No sessionId: the active session (b, just connected). Named: that one.
    const onB = await h.rpc.sendRequest(P.ExecuteRequest, { code: 'print("b")', targets: 'all' });
    const onA = await h.rpc.sendRequest(P.ExecuteRequest, { code: 'print("a")', targets: 'all', sessionId: 'default' });
    assert.equal(onA.runId, onB.runId, 'run ids are per session');
    const [ca, cb] = h.clients;
    assert.deepEqual(ca.tasks().map((t) => t.code), onA.msgIds.map(() => 'print("a")'));
    assert.deepEqual(cb.tasks().map((t) => t.code), onB.msgIds.map(() => 'print("b")'));
    cb.emitOutput(onB.msgIds[0], { kind: 'stream', name: 'stdout', text: 'b\n' });
    ca.emitOutput(onA.msgIds[0], { kind: 'stream', name: 'stdout', text: 'a\n' });
    for (const id of onB.msgIds) cb.setTaskState(id, 'done');
    for (const id of onA.msgIds) ca.setTaskState(id, 'done');
    await until(() => outputsOf('b').length > 0 && outputsOf(undefined).length > 0, 'outputs of both sessions');
    assert.deepEqual(outputsOf('b'), ['b\n']);
    assert.deepEqual(outputsOf(undefined), ['a\n'], "the default session's notifications name no session");
    const waitedB = await h.rpc.sendRequest(P.WaitRequest, { runId: onB.runId, sessionId: 'b' });
    const waitedA = await h.rpc.sendRequest(P.WaitRequest, { runId: onA.runId, sessionId: 'default' });
    assert.deepEqual(waitedB.engines[0].outputs, [{ kind: 'stream', name: 'stdout', text: 'b\n' }]);
    assert.deepEqual(waitedA.engines[0].outputs, [{ kind: 'stream', name: 'stdout', text: 'a\n' }]);
    assert.ok(h.notes.some((n) => n.method === 'ipp/statusChanged' && (n.params as P.StatusResult).sessionId === 'b'));

    // The requests without params take { sessionId } too.
    assert.equal((await h.rpc.sendRequest(P.StatusRequest.method, { sessionId: 'default' }) as P.StatusResult).connectionFile, fileA);
    assert.equal((await h.rpc.sendRequest(P.StatusRequest)).connectionFile, fileB);

    // Switch the active session: requests without sessionId follow.
    assert.equal(await h.rpc.sendRequest(P.ActivateSessionRequest, { sessionId: 'default' }), null);
    assert.equal((await h.rpc.sendRequest(P.StatusRequest)).connectionFile, fileA);
    assert.deepEqual((await h.rpc.sendRequest(P.TasksRequest, {})).map((r) => r.title), ['print("a")']);
    assert.deepEqual((await h.rpc.sendRequest(P.TasksRequest, { sessionId: 'b' })).map((r) => r.title), ['print("b")']);
    await rejectsWith(h.rpc.sendRequest(P.ActivateSessionRequest, { sessionId: 'nope' }), P.ErrorCodes.InvalidParams, 'sessionId');
    await rejectsWith(h.rpc.sendRequest(P.TasksRequest, { sessionId: 'nope' }), P.ErrorCodes.InvalidParams, 'sessionId');
    await rejectsWith(h.rpc.sendRequest(P.ConnectRequest, { connectionFile: fileB, sessionId: 'a/b' }), P.ErrorCodes.InvalidParams, 'sessionId');
  });

  it('ipp/disconnect with a sessionId closes that session only; ipp/clusters marks both clusters connected', async () => {
    writeFile(join(dir, 'profile_x', 'security', 'ipcontroller-one-client.json'), JSON.stringify(CONNECTION_FILE));
    writeFile(join(dir, 'profile_x', 'security', 'ipcontroller-two-client.json'), JSON.stringify(CONNECTION_FILE));
    const one = join(dir, 'profile_x', 'security', 'ipcontroller-one-client.json');
    const two = join(dir, 'profile_x', 'security', 'ipcontroller-two-client.json');
    await h.rpc.sendRequest(P.ConnectRequest, { connectionFile: one });
    await h.rpc.sendRequest(P.ConnectRequest, { connectionFile: two, sessionId: 'two' });
    const listed = await h.rpc.sendRequest(P.ClustersRequest, { ipythonDir: dir });
    assert.deepEqual(listed.map((c) => [c.clusterId, c.connected]), [['one', true], ['two', true]]);

    assert.equal(await h.rpc.sendRequest(P.DisconnectRequest.method, { sessionId: 'two' }), null);
    assert.equal(h.clients[1].state, 'closed');
    assert.equal(h.clients[0].state, 'connected');
    assert.deepEqual((await h.rpc.sendRequest(P.SessionsRequest)).map((s) => [s.sessionId, s.active]), [['default', true]]);
    await until(() => h.notes.some((n) => n.method === 'ipp/stateChanged' && (n.params as P.StateChangedParams).sessionId === 'two' && (n.params as P.StateChangedParams).state === 'disconnected'), 'session two disconnected');
    assert.deepEqual((await h.rpc.sendRequest(P.ClustersRequest, { ipythonDir: dir })).map((c) => [c.clusterId, c.connected]), [['one', true], ['two', false]]);
  });
});
