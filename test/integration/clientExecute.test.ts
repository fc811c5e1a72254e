// ClusterClient against a real ipyparallel cluster (2 engines, ipcluster, shared by every test in this
// file): connect, the engines model, execute on all/chosen/balanced engines with every kind of output,
// scheduler dependencies, evaluate, complete, timeouts and AbortSignal.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AbortedError, ClusterClient, EngineGoneError, TimeoutError, type TaskInfo } from '../../src/core/client';
import { RecordingLogger, startClusterAndClient, stopClusterAndClient, streamText, until } from './clientSupport';
import type { TestCluster } from './harness';

const TASK_MS = 30_000;

describe('ClusterClient: execution on a real cluster', { timeout: 600_000 }, () => {
  let cluster: TestCluster;
  let client: ClusterClient;
  let log: RecordingLogger;

  before(async () => {
    ({ cluster, client, log } = await startClusterAndClient(2));
  });
  after(() => stopClusterAndClient({ cluster, client, log }));

  it('connects, reports its state, security and the engines with queue counts', async () => {
    assert.equal(client.state, 'connected');
    const engines = client.engines();
    assert.equal(engines.length, 2);
    assert.deepEqual(engines.map((e) => e.id), [...engines.map((e) => e.id)].sort((a, b) => a - b));
    for (const e of engines) {
      assert.match(e.uuid, /^[0-9a-f-]{20,}$/);
      assert.ok(['idle', 'busy', 'unknown', 'starting'].includes(e.status));
      assert.equal(typeof e.completed, 'number');
    }
    const security = client.security();
    assert.ok(security);
    assert.equal(security.signed, true);
    assert.equal(security.transport, 'plain');
    assert.equal(security.loopback, true);
    assert.equal(security.signatureScheme, 'hmac-sha256');
    const status = client.status();
    assert.equal(status.state, 'connected');
    assert.equal(status.engines, 2);
    assert.equal(status.connectionFile, cluster.connectionFile);
    const q = await client.queueStatus();
    assert.deepEqual(Object.keys(q.engines).map(Number).sort(), engines.map((e) => e.id));
    assert.equal(typeof q.unassigned, 'number');
  });

  it("learns the cluster's ipyparallel and Python versions from an idle engine, without a run or task", async () => {
    const version = await until(client, () => client.version(), TASK_MS, 'the version an engine reports');
    assert.equal(version.ipyparallel, cluster.ippVersion, `the harness started ipyparallel ${cluster.ippVersion}`);
    assert.match(version.python ?? '', /^3\.\d+\.\d+/);
    assert.ok(version.engineId !== undefined && client.engine(version.engineId));
    assert.equal(client.status().ipyparallelVersion, cluster.ippVersion);
    assert.equal(client.status().pythonVersion, version.python);
    assert.deepEqual(client.runs(), []);
    assert.deepEqual(client.tasks(), []);
  });

  it('runs on all engines and collects stdout, stderr and execute_result per engine', async () => {
    const run = client.execute("import sys, os\nprint('hello', os.getpid())\nprint('oops', file=sys.stderr)\n6*7");
    assert.equal(run.targets, 'all');
    assert.equal(run.msgIds.length, 2);
    assert.match(run.id, /^r\d+$/);
    for (const id of run.msgIds) assert.equal(client.task(id)?.state !== undefined, true);
    const tasks = await client.wait(run.id, { timeoutMs: TASK_MS });
    const pids = new Set<string>();
    for (const t of tasks) {
      assert.equal(t.state, 'done', JSON.stringify(t.error));
      assert.equal(t.queue, 'mux');
      assert.equal(t.runId, run.id);
      assert.ok(t.engineId !== undefined);
      assert.match(streamText(t.outputs), /^hello \d+\n$/);
      pids.add(streamText(t.outputs));
      assert.equal(streamText(t.outputs, 'stderr'), 'oops\n');
      const result = t.outputs.find((o) => o.kind === 'execute_result');
      assert.ok(result && result.kind === 'execute_result');
      assert.equal(result.data['text/plain'], '42');
      assert.ok(t.started && t.completed && t.received && t.submitted);
      assert.ok(Date.parse(t.completed) >= Date.parse(t.started));
      assert.equal(typeof t.executionCount, 'number');
    }
    assert.equal(pids.size, 2, 'two different engine processes');
    assert.deepEqual(new Set(tasks.map((t) => t.engineId)), new Set(client.engines().map((e) => e.id)));
  });

  it('runs on chosen engines only', async () => {
    const [first] = client.engines();
    const run = client.execute('x = 1', { targets: [first.id] });
    const [task] = await client.wait(run.msgIds, { timeoutMs: TASK_MS });
    assert.equal(run.msgIds.length, 1);
    assert.equal(task.engineId, first.id);
    assert.equal(task.state, 'done');
    assert.throws(() => client.execute('1', { targets: [9999] }), EngineGoneError);
  });

  it('collects display_data (image/png through IPython.display) and errors with tracebacks', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const [e0] = client.engines();
    const run = client.execute(
      `import base64\nfrom IPython.display import Image, display\ndisplay(Image(data=base64.b64decode('${png}'), format='png'))`,
      { targets: [e0.id] },
    );
    const [shown] = await client.wait(run.id, { timeoutMs: TASK_MS });
    assert.equal(shown.state, 'done');
    const display = shown.outputs.find((o) => o.kind === 'display_data');
    assert.ok(display && display.kind === 'display_data', JSON.stringify(shown.outputs));
    assert.equal(String(display.data['image/png']).trim(), png);

    const bad = client.execute('def f():\n    return 1/0\nf()', { targets: [e0.id] });
    const [failed] = await client.wait(bad.id, { timeoutMs: TASK_MS });
    assert.equal(failed.state, 'error');
    assert.equal(failed.error?.ename, 'ZeroDivisionError');
    assert.ok(failed.error && failed.error.traceback.length > 1);
    const plain = failed.error.traceback.join('\n').replace(/\x1b\[[0-9;]*m/g, '');
    assert.match(plain, /return 1\/0/);
    const errOut = failed.outputs.find((o) => o.kind === 'error');
    assert.ok(errOut && errOut.kind === 'error' && errOut.ename === 'ZeroDivisionError');
  });

  it('runs load-balanced tasks, with targets, after and follow', async () => {
    const [e0, e1] = client.engines();
    const a = client.execute('import os\nos.getpid()', { targets: 'balanced', balancedTargets: [e1.id] });
    assert.equal(a.msgIds.length, 1);
    const [ta] = await client.wait(a.id, { timeoutMs: TASK_MS });
    assert.equal(ta.state, 'done', JSON.stringify(ta.error));
    assert.equal(ta.queue, 'task');
    assert.equal(ta.engineId, e1.id, 'targets pins the task to engine 1');

    const b = client.execute('y = 2', { targets: 'balanced', after: [ta.msgId], follow: [ta.msgId] });
    const [tb] = await client.wait(b.id, { timeoutMs: TASK_MS });
    assert.equal(tb.state, 'done');
    assert.equal(tb.engineId, e1.id, 'follow runs where the followed task ran');

    const c = client.execute('z = 3', { targets: 'balanced', balancedTargets: [e0.id], timeout: 5, retries: 1 });
    const [tc] = await client.wait(c.id, { timeoutMs: TASK_MS });
    assert.equal(tc.state, 'done');
    assert.equal(tc.engineId, e0.id);
  });

  it('retries a failed load-balanced task on another engine', async () => {
    // Fails on whichever engine runs it first (it leaves a marker file), succeeds on the retry.
    const marker = join(tmpdir(), `ipp-retry-${process.pid}-${Date.now()}`);
    const code = `import os\nif not os.path.exists(${JSON.stringify(marker)}):\n    open(${JSON.stringify(marker)}, 'w').close()\n    raise RuntimeError('first attempt')\nprint('second attempt')`;
    try {
      const run = client.execute(code, { targets: 'balanced', retries: 1 });
      const [t] = await client.wait(run.id, { timeoutMs: TASK_MS });
      assert.equal(t.state, 'done', JSON.stringify(t.error));
      assert.equal(streamText(t.outputs), 'second attempt\n');
      // The failed attempt's iopub output has the same parent: it is part of the task's outputs.
      assert.ok(t.outputs.some((o) => o.kind === 'error' && o.evalue === 'first attempt'));
    } finally {
      rmSync(marker, { force: true });
    }
  });

  it('ends scheduler-rejected tasks (no routing frame, apply_reply) as error at once', async () => {
    const run = client.execute('1', { targets: 'balanced', after: ['no-such-task-id'] });
    const [t] = await client.wait(run.id, { timeoutMs: TASK_MS });
    assert.equal(t.state, 'error');
    assert.equal(t.error?.ename, 'InvalidDependency');
  });

  it('times out a balanced task waiting on a dependency that never finishes (timeout metadata)', async () => {
    const [e0] = client.engines();
    const blocker = client.execute('import time; time.sleep(3)', { targets: 'balanced', balancedTargets: [e0.id] });
    const dependent = client.execute('1', { targets: 'balanced', after: blocker.msgIds, timeout: 0.5 });
    const [t] = await client.wait(dependent.id, { timeoutMs: TASK_MS });
    assert.equal(t.state, 'error');
    assert.match(t.error?.ename ?? '', /Timeout/);
    await client.wait(blocker.id, { timeoutMs: TASK_MS });
  });

  it('evaluates expressions as text on every engine', async () => {
    client.execute('answer = 41 + 1', { targets: 'all' });
    const values = await client.evaluate({ a: 'answer', bad: 'undefined_name_xyz', s: "'x' * 3" }, { timeoutMs: TASK_MS });
    assert.equal(values.size, 2);
    for (const v of values.values()) {
      assert.deepEqual(v.a, { status: 'ok', data: { 'text/plain': '42' } });
      assert.equal(v.bad.status, 'error');
      assert.equal(v.bad.status === 'error' && v.bad.ename, 'NameError');
      assert.equal(v.s.status === 'ok' && v.s.data['text/plain'], "'xxx'");
    }
  });

  it('completes code with an engine, offsets in UTF-16', async () => {
    const r = await client.complete('import o', 8, { timeoutMs: TASK_MS });
    assert.ok(r.matches.includes('os'), r.matches.join(','));
    assert.equal(r.cursorStart, 7);
    assert.equal(r.cursorEnd, 8);
    const code = "s = '😀'; s.upp";
    const r2 = await client.complete(code, code.length, { timeoutMs: TASK_MS });
    assert.ok(r2.matches.includes('upper'), r2.matches.join(','));
    assert.equal(code.slice(r2.cursorStart, r2.cursorEnd), 'upp');
  });

  it('applies timeouts and AbortSignals to requests and waits', async () => {
    const [e0] = client.engines();
    const run = client.execute('import time; time.sleep(30)', { targets: [e0.id] });
    // The engine is busy, so the evaluate queues behind the cell and times out.
    await assert.rejects(client.evaluate({ a: '1' }, { targets: [e0.id], timeoutMs: 200 }), TimeoutError);
    const controller = new AbortController();
    const waiting = client.wait(run.id, { signal: controller.signal });
    controller.abort();
    await assert.rejects(waiting, AbortedError);
    await assert.rejects(client.queueStatus({ signal: AbortSignal.abort() }), AbortedError);
    await assert.rejects(client.wait(run.id, { timeoutMs: 100 }), TimeoutError);
    await client.interrupt([e0.id], { timeoutMs: TASK_MS });
    const [t] = await client.wait(run.id, { timeoutMs: TASK_MS });
    assert.equal(t.error?.ename, 'KeyboardInterrupt');
  });

  it('announces task changes and outputs as events', async () => {
    const seen: string[] = [];
    const outputs: string[] = [];
    const code = `print('events ${Date.now()}')\n1`;
    const subs = [
      client.onDidChangeTask((t: TaskInfo) => t.code === code && seen.push(t.state)),
      client.onDidOutput(({ task, output }) => task.code === code && outputs.push(output.kind)),
    ];
    try {
      const [e0] = client.engines();
      const run = client.execute(code, { targets: [e0.id] });
      await client.wait(run.id, { timeoutMs: TASK_MS });
      await until(client, () => outputs.length >= 2, 5000, 'two outputs');
      assert.equal(seen[0], 'pending');
      assert.ok(seen.includes('running'));
      assert.equal(seen.at(-1), 'done');
      assert.deepEqual(outputs.sort(), ['execute_result', 'stream']);
    } finally {
      for (const s of subs) s.dispose();
    }
  });
});
