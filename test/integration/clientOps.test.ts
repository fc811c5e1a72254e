// ClusterClient task operations against a real cluster (2 engines, ipcluster, shared by this file): abort,
// interrupt, resubmit, purge, results, history, the task database, another client's tasks, and interop
// with ipyparallel's own Python Client in both directions.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { ClusterClient, HubError, type TaskInfo } from '../../src/core/client';
import { eventually, RecordingLogger, startClusterAndClient, stopClusterAndClient, streamText, until } from './clientSupport';
import type { TestCluster } from './harness';

const TASK_MS = 30_000;

/** Runs a Python snippet with the interpreter that has ipyparallel; resolves with its JSON stdout. */
function python(cluster: TestCluster, script: string, args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      cluster.python,
      ['-c', script, ...args],
      { timeout: 60_000, env: cluster.env },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`python failed: ${error.message}\n${stderr.slice(-2000)}`));
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>);
      },
    );
  });
}

describe('ClusterClient: task operations on a real cluster', { timeout: 600_000 }, () => {
  let cluster: TestCluster;
  let client: ClusterClient;
  let log: RecordingLogger;

  before(async () => {
    ({ cluster, client, log } = await startClusterAndClient(2));
  });
  after(() => stopClusterAndClient({ cluster, client, log }));

  it('aborts queued tasks; the running one finishes', async () => {
    const [e0] = client.engines();
    const running = client.execute('import time; time.sleep(1.5)', { targets: [e0.id] });
    const queued1 = client.execute("print('should not run')", { targets: [e0.id] });
    const queued2 = client.execute("print('nor this')", { targets: [e0.id] });
    await until(client, () => client.task(running.msgIds[0])?.state === 'running', TASK_MS, 'the first task to start');
    await client.abort([...queued1.msgIds, ...queued2.msgIds], { timeoutMs: TASK_MS });
    const tasks = await client.wait([...running.msgIds, ...queued1.msgIds, ...queued2.msgIds], { timeoutMs: TASK_MS });
    assert.deepEqual(tasks.map((t) => t.state), ['done', 'aborted', 'aborted']);
    assert.equal(streamText(tasks[1].outputs), '');
    assert.ok(tasks[1].reason);
  });

  it('interrupts a running cell with SIGINT through the nanny', async () => {
    const [, e1] = client.engines();
    const run = client.execute('import time; time.sleep(30)', { targets: [e1.id] });
    await until(client, () => client.task(run.msgIds[0])?.state === 'running', TASK_MS, 'the sleep to start');
    const t0 = Date.now();
    await client.interrupt(undefined, { timeoutMs: TASK_MS }); // default: engines running our tasks
    const [t] = await client.wait(run.id, { timeoutMs: 15_000 });
    assert.equal(t.state, 'error');
    assert.equal(t.error?.ename, 'KeyboardInterrupt');
    assert.ok(Date.now() - t0 < 15_000, 'interrupted long before the 30 s sleep ends');
  });

  it('resubmits a finished task under a new id and polls its result', async () => {
    const [e0] = client.engines();
    const run = client.execute("print('again')\n5", { targets: [e0.id] });
    const [orig] = await client.wait(run.id, { timeoutMs: TASK_MS });
    assert.equal(orig.state, 'done');
    const mapping = await client.resubmit([orig.msgId], { timeoutMs: TASK_MS });
    const newId = mapping[orig.msgId];
    assert.ok(newId && newId !== orig.msgId);
    assert.equal(client.task(orig.msgId)?.resubmittedAs, newId);
    const [again] = await client.wait([newId], { timeoutMs: TASK_MS });
    assert.equal(again.state, 'done');
    assert.equal(again.resubmittedFrom, orig.msgId);
    assert.equal(again.queue, 'task');
    assert.equal(streamText(again.outputs), 'again\n');
    assert.ok(again.completed && again.engineId !== undefined);
  });

  it('fetches results of past tasks, and purges them from the hub and the client', async () => {
    const run = client.execute("print('kept')\n'x'", { targets: 'balanced' });
    const [t] = await client.wait(run.id, { timeoutMs: TASK_MS });
    // The hub records the reply a moment after we get it: ask until it is completed there.
    const r = await eventually(async () => {
      const res = await client.results([t.msgId], { timeoutMs: TASK_MS });
      return res.completed.length === 1 && res;
    }, TASK_MS, 'the hub to complete the record');
    assert.deepEqual(r.completed, [t.msgId]);
    const record = r.records[t.msgId] as { io: { stdout: string }; result_content: { status: string } };
    assert.equal(record.io.stdout, 'kept\n');
    assert.equal(record.result_content.status, 'ok');
    const statusOnly = await client.results([t.msgId], { statusOnly: true });
    assert.deepEqual(statusOnly.records, {});

    await client.purge([t.msgId], { timeoutMs: TASK_MS });
    assert.equal(client.task(t.msgId), undefined);
    await assert.rejects(client.results([t.msgId], { timeoutMs: TASK_MS }), HubError);
    await assert.rejects(client.results(['no-such-id'], { timeoutMs: TASK_MS }), (e: HubError) => e instanceof HubError && e.ename === 'KeyError');
  });

  it('reads history, the task database and historyTasks, including another client\'s tasks', async () => {
    const other = new ClusterClient({ connectionFile: cluster.connectionFile });
    try {
      await other.connect();
      const theirs = other.execute("print('from the other client')", { targets: 'balanced' });
      await other.wait(theirs.id, { timeoutMs: TASK_MS });
      const ours = client.execute("print('ours')", { targets: 'balanced' });
      await client.wait(ours.id, { timeoutMs: TASK_MS });

      const history = await client.history();
      assert.ok(history.includes(theirs.msgIds[0]) && history.includes(ours.msgIds[0]));

      // Two plain equalities in one query break DictDB; the client rewrites them as $eq.
      const mine = await client.db({ client_uuid: client.session.id, queue: 'task' }, ['msg_id', 'queue', 'client_uuid']);
      assert.ok(mine.some((r) => r.msg_id === ours.msgIds[0]));
      assert.ok(mine.every((r) => r.client_uuid === client.session.id && r.queue === 'task'));
      const recent = await client.db({ submitted: { $gt: '2000-01-01T00:00:00Z' } }, ['msg_id']);
      assert.ok(recent.length >= 2);

      const tasks = await client.historyTasks({ limit: 50 });
      const foreign = tasks.find((t) => t.msgId === theirs.msgIds[0]);
      const own = tasks.find((t) => t.msgId === ours.msgIds[0]);
      assert.ok(foreign && own);
      assert.equal(foreign.foreign, true);
      assert.equal(own.foreign, undefined);
      assert.equal(foreign.state, 'done');
      assert.equal(streamText(foreign.outputs), 'from the other client\n');
      assert.equal(foreign.code, "print('from the other client')");
      assert.ok(foreign.engineId !== undefined && foreign.submitted && foreign.completed);
      assert.ok(tasks.every((t: TaskInfo) => !/^(complete|inspect)/.test(t.code)));
    } finally {
      other.dispose();
    }
  });

  it('interoperates with ipyparallel\'s Python Client in both directions', async () => {
    const run = client.execute("print('made in node')\n21 * 2", { targets: 'balanced' });
    const [ours] = await client.wait(run.id, { timeoutMs: TASK_MS });
    const script = `
import json, sys, ipyparallel as ipp
rc = ipp.Client(sys.argv[1], timeout=30)
mid = sys.argv[2]
recs = rc.db_query({'msg_id': mid}, keys=['msg_id', 'client_uuid', 'stdout', 'result_content'])
ar = rc.get_result(mid)
ar.wait(30)
view = rc.load_balanced_view()
theirs = view.apply_async(lambda: 'made in python')
theirs.get(timeout=30)
dv = rc[:]
direct = dv.execute("py_side = 1", block=True)
print(json.dumps({'records': recs, 'ready': ar.ready(), 'stdout': ar.stdout, 'lb': theirs.msg_ids, 'direct': direct.msg_ids}, default=str))
rc.close()
`;
    const out = (await python(cluster, script, [cluster.connectionFile, ours.msgId])) as {
      records: { msg_id: string; client_uuid: string; stdout: string; result_content: { status: string } }[];
      ready: boolean;
      stdout: string[] | string;
      lb: string[];
      direct: string[];
    };
    assert.equal(out.records.length, 1);
    assert.equal(out.records[0].msg_id, ours.msgId);
    assert.equal(out.records[0].client_uuid, client.session.id);
    assert.equal(out.records[0].stdout, 'made in node\n');
    assert.equal(out.records[0].result_content.status, 'ok');
    assert.equal(out.ready, true);
    assert.match(JSON.stringify(out.stdout), /made in node/);

    const pyIds = [...out.lb, ...out.direct];
    const history = await client.history();
    for (const id of pyIds) assert.ok(history.includes(id), `python task ${id} in our history`);
    const tasks = await client.historyTasks({ limit: 50 });
    const lb = tasks.find((t) => t.msgId === out.lb[0]);
    assert.ok(lb, 'the python apply task is among historyTasks');
    assert.equal(lb.foreign, true);
    assert.equal(lb.state, 'done');
    const direct = tasks.filter((t) => out.direct.includes(t.msgId));
    assert.equal(direct.length, 2);
    assert.ok(direct.every((t) => t.foreign && t.code === 'py_side = 1' && t.state === 'done'));
  });
});
