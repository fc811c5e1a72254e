// ipp/reattach against a real 2-engine cluster: runs submitted through one server process come back in a
// second one (as after a window reload or a server restart): a finished run with its output and state, a
// failed run with its diagnostic, a still-running run followed to its end with its output, and a msg_id the
// hub never had reported as unknown to it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { codeHash } from '../../src/core/codeHash';
import {
  ConnectRequest,
  ExecuteRequest,
  OutputRequest,
  ReattachRequest,
  WaitRequest,
  type OutputItem,
  type ReattachResult,
  type ReattachRun,
} from '../../src/shared/protocol';
import { TestCluster } from './harness';
import { documentWith, ServerUnderTest } from './serverSupport';

const TASK_MS = 60_000;
const URI = 'file:///tmp/ipp-reattach-test.py';
const FAILING = "x = 1\nraise ValueError('boom-reattach')";
const FAILING_LINE = 3;

function stdout(outputs: OutputItem[]): string {
  return outputs.map((o) => (o.kind === 'stream' && o.name === 'stdout' ? o.text : '')).join('');
}

async function startServer(cluster: TestCluster): Promise<ServerUnderTest> {
  const { server } = await ServerUnderTest.start({ connectTimeoutMs: 15_000, notificationBatchMs: 50 });
  await server.connection.sendRequest(ConnectRequest, { connectionFile: cluster.connectionFile });
  return server;
}

describe('language server: ipp/reattach in a new server process', { timeout: 600_000 }, () => {
  let cluster: TestCluster;
  let first: ServerUnderTest | undefined;
  let second: ServerUnderTest | undefined;
  const kept: ReattachRun[] = [];
  let answer: ReattachResult;

  before(async () => {
    cluster = await TestCluster.start({ engines: 2 });
    first = await startServer(cluster);
    const run = async (code: string, where: { uri?: string; line?: number } = {}): Promise<string> => {
      const r = await first!.connection.sendRequest(ExecuteRequest, { code, targets: 'all', ...where });
      kept.push({ msgIds: r.msgIds, targets: 'all', title: code.split('\n')[0], ...where, codeHash: codeHash(code), created: new Date().toISOString() });
      return r.runId;
    };
    const done = await run("print('finished-out')\n6 * 7");
    const failed = await run(FAILING, { uri: URI, line: FAILING_LINE });
    for (const runId of [done, failed]) await first.connection.sendRequest(WaitRequest, { runId, timeoutMs: TASK_MS });
    // Still running when the first server goes away; its replies go to that server's sockets.
    await run("import time\ntime.sleep(12)\nprint('late-out')");
    kept.push({ msgIds: ['00000000-feed-beef-0000-000000000000'], targets: [0], title: 'never submitted' });
    await first.close();
    first = undefined;

    second = await startServer(cluster);
    await second.open(URI, documentWith([[FAILING, FAILING_LINE]]));
    answer = await second.connection.sendRequest(ReattachRequest, { runs: kept });
  });

  after(async () => {
    await first?.close();
    await second?.close();
    await cluster?.stop();
  });

  it('brings a finished run back with its state and the output the hub kept', async () => {
    const r = answer.runs[0];
    assert.ok(r.runId, `no run id: ${JSON.stringify(r)}`);
    assert.equal(r.state, 'done');
    assert.deepEqual(r.unknown, []);
    const out = await second!.connection.sendRequest(OutputRequest, { runId: r.runId });
    assert.equal(out.engines.length, 2);
    for (const e of out.engines) {
      assert.equal(e.state, 'done');
      assert.equal(stdout(e.outputs), 'finished-out\n');
      assert.ok(e.outputs.some((o) => o.kind === 'execute_result' && o.data['text/plain'] === '42'), JSON.stringify(e.outputs));
    }
    // The output was also sent as ipp/output, before the answer, and the run is listed as re-attached.
    const sent = second!.outputs.flat().filter((i) => i.runId === r.runId);
    assert.equal(stdout(sent.map((i) => i.output)), 'finished-out\nfinished-out\n');
    assert.equal(second!.lastRun(r.runId)?.reattached, true);
  });

  it('brings a failed run back with its error and its diagnostic', async () => {
    const r = answer.runs[1];
    assert.equal(r.state, 'error');
    const out = await second!.connection.sendRequest(OutputRequest, { runId: r.runId! });
    for (const e of out.engines) assert.equal(e.error?.ename, 'ValueError');
    const diags = await second!.until(() => ((second!.lastDiagnostics(URI)?.length ?? 0) > 0 ? second!.lastDiagnostics(URI) : undefined), 10_000, 'the diagnostic');
    assert.equal(diags.length, 1);
    assert.equal(diags[0].range.start.line, FAILING_LINE + 1);
    assert.match(String(diags[0].message), /^ValueError: boom-reattach \(on engines 0, 1\)$/);
  });

  it('follows a run that was still running to its end, with its output', async () => {
    const r = answer.runs[2];
    assert.ok(r.runId);
    assert.ok(r.state === 'running' || r.state === 'pending', `state ${r.state}`);
    const end = await second!.connection.sendRequest(WaitRequest, { runId: r.runId, timeoutMs: TASK_MS });
    assert.equal(end.state, 'done');
    assert.equal(end.engines.length, 2);
    for (const e of end.engines) assert.equal(stdout(e.outputs), 'late-out\n');
    const summary = await second!.until(() => second!.lastRun(r.runId!)?.state === 'done' && second!.lastRun(r.runId!), 10_000, 'the run done');
    assert.equal(summary.done, 2);
  });

  it('says plainly which tasks the hub has no record of', () => {
    const r = answer.runs[3];
    assert.ok(r.runId);
    assert.deepEqual(r.unknown, ['00000000-feed-beef-0000-000000000000']);
    assert.equal(r.state, 'lost');
    const summary = second!.lastRun(r.runId);
    assert.equal(summary?.title, 'never submitted');
    assert.match(summary?.tasks[0].reason ?? '', /controller has no record of this task/);
  });
});
