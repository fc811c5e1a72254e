// Two real clusters at once through one language server process: the default session and a session
// named by `sessionId`, a run on each (each engine prints its pid), outputs kept apart (every output
// notification names its session, and each session's pids are its own cluster's engines), the active
// session switched with ipp/activateSession, and one session closed while the other keeps running.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ActivateSessionRequest,
  ConnectRequest,
  DisconnectRequest,
  ExecuteRequest,
  SessionsRequest,
  StatusRequest,
  WaitRequest,
  type OutputItem,
  type StatusResult,
} from '../../src/shared/protocol';
import { TestCluster } from './harness';
import { ServerUnderTest } from './serverSupport';

const TASK_MS = 60_000;

function stdout(outputs: OutputItem[]): string {
  return outputs.map((o) => (o.kind === 'stream' && o.name === 'stdout' ? o.text : '')).join('');
}

describe('language server: two clusters at once, one session each', { timeout: 600_000 }, () => {
  let one: TestCluster;
  let two: TestCluster;
  let server: ServerUnderTest;

  before(async () => {
    one = await TestCluster.start({ engines: 2 });
    two = await TestCluster.start({ engines: 1 });
    ({ server } = await ServerUnderTest.start({ connectTimeoutMs: 30_000, notificationBatchMs: 50 }));
  });

  after(async () => {
    await server?.close();
    await Promise.all([one?.stop(), two?.stop()]);
  });

  /** Runs `print(os.getpid())` on all engines of a session; the pids printed, from ipp/wait. */
  async function pidsOn(sessionId: string | undefined): Promise<{ runId: string; pids: number[] }> {
    const { runId } = await server.connection.sendRequest(ExecuteRequest, { code: 'import os; print(os.getpid())', targets: 'all', ...(sessionId && { sessionId }) });
    const waited = await server.connection.sendRequest(WaitRequest, { runId, timeoutMs: TASK_MS, ...(sessionId && { sessionId }) });
    assert.equal(waited.state, 'done');
    return { runId, pids: waited.engines.map((e) => Number(stdout(e.outputs).trim())).sort((a, b) => a - b) };
  }

  it('connects the default session to one cluster and session "two" to another', async () => {
    const a = await server.connection.sendRequest(ConnectRequest, { connectionFile: one.connectionFile });
    const b = await server.connection.sendRequest(ConnectRequest, { connectionFile: two.connectionFile, sessionId: 'two' });
    assert.equal(a.connectionFile, one.connectionFile);
    assert.equal(b.connectionFile, two.connectionFile);
    const sessions = await server.connection.sendRequest(SessionsRequest);
    assert.deepEqual(sessions.map((s) => [s.sessionId, s.active, s.state, s.connectionFile]), [
      ['default', false, 'connected', one.connectionFile],
      ['two', true, 'connected', two.connectionFile],
    ]);
  });

  it('a run on each: each prints its own engines\' pids, and the output notifications name their session', async () => {
    const onTwo = await pidsOn('two');
    const onOne = await pidsOn('default');
    const enginePids = (c: TestCluster) => c.enginePids().sort((x, y) => x - y);
    assert.deepEqual(onOne.pids, enginePids(one));
    assert.deepEqual(onTwo.pids, enginePids(two));
    // Both runs are r1 (run ids are per session): the notification's sessionId tells their outputs apart.
    assert.equal(onOne.runId, onTwo.runId);
    const printedIn = (sessionId: string | undefined) =>
      server.outputs
        .flatMap((items, i) => (server.outputSessions[i] === sessionId ? items : []))
        .map((i) => Number(stdout([i.output]).trim()))
        .filter((pid) => pid > 0)
        .sort((x, y) => x - y);
    await server.until(() => printedIn('two').length === 1 && printedIn(undefined).length === 2, 10_000, 'the outputs of both runs');
    assert.deepEqual(printedIn('two'), onTwo.pids);
    assert.deepEqual(printedIn(undefined), onOne.pids);
  });

  it('ipp/activateSession switches where requests without sessionId go', async () => {
    const status = () => server.connection.sendRequest(StatusRequest.method) as Promise<StatusResult>;
    assert.equal((await status()).connectionFile, two.connectionFile);
    await server.connection.sendRequest(ActivateSessionRequest, { sessionId: 'default' });
    assert.equal((await status()).connectionFile, one.connectionFile);
    assert.deepEqual((await pidsOn(undefined)).pids, one.enginePids().sort((x, y) => x - y));
  });

  it('closing session "two" leaves the default session connected', async () => {
    await server.connection.sendRequest(DisconnectRequest.method, { sessionId: 'two' });
    const sessions = await server.connection.sendRequest(SessionsRequest);
    assert.deepEqual(sessions.map((s) => [s.sessionId, s.state]), [['default', 'connected']]);
    assert.equal((await pidsOn('default')).pids.length, 2);
  });
});
