// The language server as a process (node out/src/server/main.js --stdio), driven over stdio with
// vscode-languageserver-protocol against a real 2-engine cluster: connect, execute on all/some/balanced,
// wait and outputs, batched notifications, tasks/purge/resubmit, abort and interrupt, bad connects.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResponseError } from 'vscode-languageserver-protocol/node';
import { assertNoKeyPiece } from '../unit/support/keyPiece';
import {
  AbortRequest,
  ConnectRequest,
  DisconnectRequest,
  EnginesRequest,
  ErrorCodes,
  ExecuteRequest,
  HistoryRequest,
  InterruptRequest,
  ListClustersRequest,
  OutputRequest,
  PurgeRequest,
  QueueStatusRequest,
  ResubmitRequest,
  ShutdownRequest,
  StatusRequest,
  TasksRequest,
  WaitRequest,
  type ConnectResult,
  type OutputItem,
} from '../../src/shared/protocol';
import { TestCluster } from './harness';
import { ServerUnderTest } from './serverSupport';

const TASK_MS = 30_000;

function stdout(outputs: OutputItem[]): string {
  return outputs.map((o) => (o.kind === 'stream' && o.name === 'stdout' ? o.text : '')).join('');
}

async function rejects(p: Promise<unknown>): Promise<ResponseError<{ code: string; file?: string; field?: string }>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ResponseError, `expected a ResponseError, got ${String(e)}`);
    return e as ResponseError<{ code: string; file?: string; field?: string }>;
  }
  throw new assert.AssertionError({ message: 'the request succeeded but should have failed' });
}

describe('language server: ipp/* requests against a real cluster', { timeout: 600_000 }, () => {
  let cluster: TestCluster;
  let server: ServerUnderTest;
  let connected: ConnectResult;
  let ids: number[];

  before(async () => {
    cluster = await TestCluster.start({ engines: 2 });
    ({ server } = await ServerUnderTest.start({ connectTimeoutMs: 15_000, notificationBatchMs: 50 }));
  });

  after(async () => {
    await server?.close();
    await cluster?.stop();
  });

  it('answers ipp/status and refuses ipp/execute before connecting', async () => {
    const status = await server.connection.sendRequest(StatusRequest.method);
    assert.equal((status as { state: string }).state, 'disconnected');
    const e = await rejects(server.connection.sendRequest(ExecuteRequest, { code: '1', targets: 'all' }));
    assert.equal(e.code, ErrorCodes.NotConnected);
    assert.match(e.message, /ipp\/connect/);
    assert.deepEqual(await server.connection.sendRequest(EnginesRequest.method), []);
  });

  it('lists the harness cluster with ipp/listClusters', async () => {
    const found = await server.connection.sendRequest(ListClustersRequest, { ipythonDir: cluster.ipythonDir });
    assert.deepEqual(
      found.map((f) => f.connectionFile),
      [cluster.connectionFile],
    );
  });

  it('connects by profile and IPython dir, and reports engines, security and state', async () => {
    connected = await server.connection.sendRequest(ConnectRequest, { ipythonDir: cluster.ipythonDir, profile: 'default' });
    assert.equal(connected.state, 'connected');
    assert.equal(connected.connectionFile, cluster.connectionFile);
    assert.equal(connected.security.signed, true);
    assert.equal(connected.security.loopback, true);
    assert.ok(Array.isArray(connected.warnings));
    await server.until(() => server.states.some((s) => s.state === 'connected'), 10_000, 'ipp/stateChanged connected');
    const list =
      connected.engines.length === 2
        ? connected.engines
        : await server.until(() => server.engines.find((e) => e.engines.length === 2)?.engines, 30_000, 'ipp/enginesChanged with 2 engines');
    ids = list.map((e) => e.id).sort((a, b) => a - b);
    assert.equal(ids.length, 2);
    const status = (await server.connection.sendRequest(StatusRequest.method)) as { state: string; engines: number; dropped: { badSignature: number } };
    assert.equal(status.state, 'connected');
    assert.equal(status.engines, 2);
    assert.equal(status.dropped.badSignature, 0);
  });

  it("reports the cluster's ipyparallel version, as an engine tells it, in ipp/statusChanged and ipp/status", async () => {
    const pushed = await server.until(() => server.statuses.find((s) => s.ipyparallelVersion !== undefined), TASK_MS, 'ipp/statusChanged with a version');
    assert.equal(pushed.ipyparallelVersion, cluster.ippVersion);
    assert.match(pushed.pythonVersion ?? '', /^3\.\d+\.\d+/);
    const status = await server.connection.sendRequest(StatusRequest);
    assert.equal(status.ipyparallelVersion, cluster.ippVersion);
    assert.deepEqual(await server.connection.sendRequest(TasksRequest, {}), [], 'asking made no run');
  });

  it('connecting again to the same file returns the current session', async () => {
    const again = await server.connection.sendRequest(ConnectRequest, { connectionFile: cluster.connectionFile });
    assert.equal(again.state, 'connected');
    assert.equal(again.engines.length, 2);
  });

  it('executes on all engines, waits, and returns each engine\'s outputs', async () => {
    const { runId, msgIds } = await server.connection.sendRequest(ExecuteRequest, { code: "import os\nprint('hi from', os.getpid())\n6*7", targets: 'all' });
    assert.match(runId, /\S/);
    assert.equal(msgIds.length, 2);
    const result = await server.connection.sendRequest(WaitRequest, { runId, timeoutMs: TASK_MS });
    assert.equal(result.state, 'done');
    assert.deepEqual(result.engines.map((e) => e.engineId).sort(), ids);
    const pids = new Set<string>();
    for (const e of result.engines) {
      assert.equal(e.state, 'done');
      assert.match(stdout(e.outputs), /^hi from \d+\n$/);
      pids.add(stdout(e.outputs));
      const res = e.outputs.find((o) => o.kind === 'execute_result');
      assert.ok(res && res.kind === 'execute_result');
      assert.equal(res.data['text/plain'], '42');
      assert.equal(typeof e.durationMs, 'number');
    }
    assert.equal(pids.size, 2);
    // The run's notifications were flushed before the wait answered.
    assert.equal(server.lastRun(runId)?.state, 'done');
    assert.equal(server.lastRun(runId)?.total, 2);
    const streamed = server.outputs.flat().filter((o) => o.runId === runId && o.output.kind === 'stream');
    assert.equal(streamed.length, 2);
    // ipp/output gives the same without waiting.
    const again = await server.connection.sendRequest(OutputRequest, { runId });
    assert.deepEqual(again, result);
  });

  it('executes on chosen engines', async () => {
    const { runId, msgIds } = await server.connection.sendRequest(ExecuteRequest, { code: 'print("only me")', targets: [ids[1]] });
    assert.equal(msgIds.length, 1);
    const result = await server.connection.sendRequest(WaitRequest, { runId, timeoutMs: TASK_MS });
    assert.deepEqual(result.engines.map((e) => e.engineId), [ids[1]]);
    assert.equal(stdout(result.engines[0].outputs), 'only me\n');
  });

  it('executes load-balanced: one task, on some engine', async () => {
    const { runId, msgIds } = await server.connection.sendRequest(ExecuteRequest, { code: 'print("balanced")\n1+1', targets: 'balanced' });
    assert.equal(msgIds.length, 1);
    const result = await server.connection.sendRequest(WaitRequest, { runId, timeoutMs: TASK_MS });
    assert.equal(result.state, 'done');
    assert.ok(ids.includes(result.engines[0].engineId as number));
    assert.equal(stdout(result.engines[0].outputs), 'balanced\n');
  });

  it('reports a failed run with its error per engine', async () => {
    const { runId } = await server.connection.sendRequest(ExecuteRequest, { code: 'x = 1\n1/0', targets: 'all' });
    const result = await server.connection.sendRequest(WaitRequest, { runId, timeoutMs: TASK_MS });
    assert.equal(result.state, 'error');
    for (const e of result.engines) {
      assert.equal(e.state, 'error');
      assert.equal(e.error?.ename, 'ZeroDivisionError');
    }
  });

  it('batches: at most one tasksChanged per window, each run once in it', async () => {
    const windowMs = 1000;
    await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: { notificationBatchMs: windowMs } });
    const before = server.counts.get('ipp/tasksChanged') ?? 0;
    const started = Date.now();
    const runIds = (
      await Promise.all(Array.from({ length: 40 }, (_, i) => server.connection.sendRequest(ExecuteRequest, { code: `print(${i})`, targets: 'balanced' })))
    ).map((r) => r.runId);
    await server.until(() => runIds.every((id) => server.lastRun(id)?.state === 'done'), 60_000, '40 runs done');
    const elapsed = Date.now() - started;
    const sent = (server.counts.get('ipp/tasksChanged') ?? 0) - before;
    // Each task changes at least three times (pending, running, done): 120+ changes, in few windows.
    assert.ok(sent <= Math.ceil(elapsed / windowMs) + 1, `${sent} tasksChanged notifications in ${elapsed} ms`);
    for (const batch of server.runs.slice(-sent)) {
      assert.equal(new Set(batch.runs.map((r) => r.runId)).size, batch.runs.length, 'a run appears once per notification');
    }
    // Every output arrived (a print may come in more than one stream message).
    const text = new Map<string, string>();
    for (const o of server.outputs.flat()) if (o.output.kind === 'stream') text.set(o.runId, (text.get(o.runId) ?? '') + o.output.text);
    assert.deepEqual(
      runIds.map((id) => text.get(id)),
      runIds.map((_, i) => `${i}\n`),
    );
    await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: { notificationBatchMs: 50 } });
  });

  it('lists runs with ipp/tasks, newest last, and limits them', async () => {
    const all = await server.connection.sendRequest(TasksRequest, {});
    assert.ok(all.length >= 5);
    const two = await server.connection.sendRequest(TasksRequest, { limit: 2 });
    assert.deepEqual(
      two.map((r) => r.runId),
      all.slice(-2).map((r) => r.runId),
    );
    const one = await server.connection.sendRequest(TasksRequest, { runId: all[0].runId });
    assert.equal(one[0].title, 'import os');
    assert.equal(one[0].tasks.length, 2);
    assert.equal(typeof one[0].tasks[0].outputCount, 'number');
    assert.equal((one[0].tasks[0] as { outputs?: unknown }).outputs, undefined);
  });

  it('answers ipp/queueStatus and ipp/history', async () => {
    const q = await server.connection.sendRequest(QueueStatusRequest.method);
    assert.deepEqual(Object.keys((q as { engines: object }).engines).map(Number).sort(), ids);
    const history = await server.connection.sendRequest(HistoryRequest, { limit: 5 });
    assert.ok(history.length > 0 && history.length <= 5);
    assert.equal(typeof history[0].msgId, 'string');
  });

  it('aborts a queued run and interrupts a running one', async () => {
    const e0 = ids[0];
    const long = await server.connection.sendRequest(ExecuteRequest, { code: 'import time\nfor i in range(600): time.sleep(0.1)', targets: [e0] });
    await server.until(() => server.lastRun(long.runId)?.tasks[0].state === 'running', TASK_MS, 'the long run to start');
    const queued = await server.connection.sendRequest(ExecuteRequest, { code: 'print("never")', targets: [e0] });
    const aborted = await server.connection.sendRequest(AbortRequest, { runId: queued.runId });
    assert.deepEqual(aborted.aborted, queued.msgIds);
    const interrupted = await server.connection.sendRequest(InterruptRequest, { runId: long.runId });
    assert.deepEqual(interrupted.engineIds, [e0]);
    const longResult = await server.connection.sendRequest(WaitRequest, { runId: long.runId, timeoutMs: TASK_MS });
    assert.equal(longResult.state, 'error');
    assert.equal(longResult.engines[0].error?.ename, 'KeyboardInterrupt');
    const queuedResult = await server.connection.sendRequest(WaitRequest, { runId: queued.runId, timeoutMs: TASK_MS });
    assert.equal(queuedResult.state, 'aborted');
    assert.equal(stdout(queuedResult.engines[0].outputs), '');
  });

  it('resubmits a finished run\'s task and tracks the new task in the same run', async () => {
    const { runId, msgIds } = await server.connection.sendRequest(ExecuteRequest, { code: 'print("again")', targets: 'balanced' });
    await server.connection.sendRequest(WaitRequest, { runId, timeoutMs: TASK_MS });
    const { resubmitted } = await server.connection.sendRequest(ResubmitRequest, { runId });
    const newId = resubmitted[msgIds[0]];
    assert.equal(typeof newId, 'string');
    const result = await server.connection.sendRequest(WaitRequest, { runId, timeoutMs: TASK_MS });
    assert.equal(result.state, 'done');
    assert.ok(result.engines.some((e) => e.msgId === newId && e.state === 'done'));
  });

  it('purges a finished run and notifies its removal', async () => {
    const { runId } = await server.connection.sendRequest(ExecuteRequest, { code: 'purge_me = 1', targets: 'all' });
    await server.connection.sendRequest(WaitRequest, { runId, timeoutMs: TASK_MS });
    const { purged } = await server.connection.sendRequest(PurgeRequest, { runId });
    assert.equal(purged, 2);
    await server.until(() => server.runs.some((b) => b.removed.includes(runId)), 5_000, 'the run in removed');
    const e = await rejects(server.connection.sendRequest(OutputRequest, { runId }));
    assert.equal(e.code, ErrorCodes.UnknownRun);
  });

  it('rejects bad params with InvalidParams naming the field, and unknown runs with UnknownRun', async () => {
    const bad = await rejects(server.connection.sendRequest(ExecuteRequest, { code: '1', targets: 'some' as 'all' }));
    assert.equal(bad.code, ErrorCodes.InvalidParams);
    assert.equal(bad.data?.field, 'targets');
    const ghost = await rejects(server.connection.sendRequest(ExecuteRequest, { code: '1', targets: [99] }));
    assert.equal(ghost.code, ErrorCodes.InvalidParams);
    assert.match(ghost.message, /99/);
    const unknown = await rejects(server.connection.sendRequest(WaitRequest, { runId: 'r-none' }));
    assert.equal(unknown.code, ErrorCodes.UnknownRun);
    const timeout = await server.connection.sendRequest(ExecuteRequest, { code: 'import time; time.sleep(3)', targets: [ids[1]] });
    const late = await rejects(server.connection.sendRequest(WaitRequest, { runId: timeout.runId, timeoutMs: 200 }));
    assert.equal(late.code, ErrorCodes.Timeout);
    await server.connection.sendRequest(WaitRequest, { runId: timeout.runId, timeoutMs: TASK_MS });
  });

  describe('a bad ipp/connect', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'ipp-server-bad-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('a missing file: ConnectFailed with the file, the session stays connected', async () => {
      const missing = join(dir, 'ipcontroller-client.json');
      const e = await rejects(server.connection.sendRequest(ConnectRequest, { connectionFile: missing }));
      assert.equal(e.code, ErrorCodes.ConnectFailed);
      assert.equal(e.data?.code, 'ERR_CONNECTION_FILE');
      assert.equal(e.data?.file, missing);
      assert.match(e.message, /does not exist/);
      const status = (await server.connection.sendRequest(StatusRequest.method)) as { state: string };
      assert.equal(status.state, 'connected');
    });

    it('a file with a broken field: ConnectFailed naming the field', async () => {
      const file = join(dir, 'broken.json');
      writeFileSync(file, JSON.stringify({ ...cluster.connectionInfo(), registration: 'not a port' }), { mode: 0o600 });
      const e = await rejects(server.connection.sendRequest(ConnectRequest, { connectionFile: file }));
      assert.equal(e.code, ErrorCodes.ConnectFailed);
      assert.equal(e.data?.field, 'registration');
    });

    it('a profile or cluster id that is a path, or a hostile sshServer: InvalidParams naming the field', async () => {
      for (const [params, field] of [
        [{ ipythonDir: dir, profile: 'x/../../../../tmp/evil' }, 'profile'],
        [{ ipythonDir: dir, clusterId: '../evil' }, 'clusterId'],
        [{ connectionFile: cluster.connectionFile, sshServer: 'u@gw;evil' }, 'sshServer'],
      ] as const) {
        const e = await rejects(server.connection.sendRequest(ConnectRequest, params));
        assert.equal(e.code, ErrorCodes.InvalidParams, e.message);
        assert.equal(e.data?.field, field);
        assert.match(e.message, new RegExp(field));
      }
    });

    it('a key pasted as a Python bytes repr: ConnectFailed with a line and column, no piece of the key in the message or the log', async () => {
      const info = cluster.connectionInfo();
      const file = join(dir, 'bytes-key.json');
      const text = JSON.stringify(info, null, 1).replace(`"key": "${info.key}"`, `"key": b"${info.key}"`);
      assert.ok(text.includes('b"'));
      writeFileSync(file, text, { mode: 0o600 });
      const e = await rejects(server.connection.sendRequest(ConnectRequest, { connectionFile: file }));
      assert.equal(e.code, ErrorCodes.ConnectFailed);
      assert.equal(e.data?.code, 'ERR_CONNECTION_FILE');
      assert.match(e.message, /is not valid JSON \(error at line \d+, column \d+\)/);
      assertNoKeyPiece(e.message, info.key, 'the error');
      assertNoKeyPiece(server.logs.join('\n'), info.key, "the server's log");
      assertNoKeyPiece(server.stderr, info.key, "the server's stderr");
    });

    it('the wrong key: ConnectFailed (no answer), the key is not in the message, the server still answers', async () => {
      const info = cluster.connectionInfo();
      const file = join(dir, 'wrong-key.json');
      writeFileSync(file, JSON.stringify({ ...info, key: 'not-the-right-key-0000' }), { mode: 0o600 });
      await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: { ipyparallel: { connectTimeoutMs: 3000 } } });
      const e = await rejects(server.connection.sendRequest(ConnectRequest, { connectionFile: file }));
      assert.equal(e.code, ErrorCodes.ConnectFailed);
      assert.equal(e.data?.code, 'ERR_CONNECT');
      assertNoKeyPiece(e.message, info.key, 'the error');
      assertNoKeyPiece(e.message, 'not-the-right-key-0000', 'the error');
      assertNoKeyPiece(server.logs.join('\n'), 'not-the-right-key-0000', "the server's log");
      const status = (await server.connection.sendRequest(StatusRequest.method)) as { state: string };
      assert.equal(status.state, 'disconnected');
      await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: { ipyparallel: { connectTimeoutMs: 15_000 } } });
      const back = await server.connection.sendRequest(ConnectRequest, { connectionFile: cluster.connectionFile });
      assert.equal(back.state, 'connected');
      assert.ok(server.running);
    });
  });

  it('disconnects on ipp/disconnect', async () => {
    await server.connection.sendRequest(DisconnectRequest.method);
    const status = (await server.connection.sendRequest(StatusRequest.method)) as { state: string };
    assert.notEqual(status.state, 'connected');
    const e = await rejects(server.connection.sendRequest(ExecuteRequest, { code: '1', targets: 'all' }));
    assert.equal(e.code, ErrorCodes.NotConnected);
  });

  it('shuts the cluster down on ipp/shutdown and reports the lost connection', async () => {
    await server.connection.sendRequest(ConnectRequest, { connectionFile: cluster.connectionFile });
    const seen = server.states.length;
    assert.equal(await server.connection.sendRequest(ShutdownRequest.method), null);
    await server.until(() => server.states.slice(seen).some((s) => s.state !== 'connected'), 30_000, 'a state other than connected');
    const status = (await server.connection.sendRequest(StatusRequest.method)) as { state: string };
    assert.notEqual(status.state, 'connected');
    assert.ok(server.running);
  });
});
