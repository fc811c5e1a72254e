// The client's pure parts, without sockets: the tasks model's completion rule (reply + idle), the engines
// model, the pending-request table, hub record mapping, DictDB query rewriting, offsets, security posture.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AbortedError,
  EngineGoneError,
  EnginesModel,
  HubError,
  parseQueueReply,
  PendingRequests,
  recordToTask,
  replyFacts,
  rewriteDbQuery,
  securityPosture,
  TasksModel,
  TimeoutError,
  toCodePoints,
  toUtf16,
  withDeadline,
  type TaskInfo,
} from '../../src/core/client';
import { DropCounter, dropReason } from '../../src/core/transport';
import { MalformedMessageError, parseConnectionInfo, ReplayError, SignatureError, UnsignedMessageError, type Message } from '../../src/core/protocol';

function task(msgId: string, extra: Partial<TaskInfo> = {}): TaskInfo {
  return { msgId, queue: 'mux', state: 'pending', code: 'x', submitted: '2026-01-01T00:00:00Z', outputs: [], ...extra };
}

function reply(parentId: string, msgType = 'queue_reply', content: Record<string, unknown> = { status: 'ok' }): Message {
  return {
    routing: [],
    header: { msg_id: `r-${parentId}`, msg_type: msgType, username: 'u', session: 's', date: '', version: '5.3' },
    parent: { msg_id: parentId },
    metadata: {},
    content,
    buffers: [],
    signature: '',
    raw: [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)],
  };
}

describe('TasksModel', () => {
  it('completes a task only when both the reply and the idle status arrived, in either order', () => {
    const m = new TasksModel();
    const states: string[] = [];
    m.onDidChangeTask((t) => states.push(`${t.msgId}:${t.state}`));
    m.add(task('a'));
    m.add(task('b'));
    m.markRunning('a', 0, 'u0', true);
    m.applyReply('a', { state: 'done', started: 's', completed: 'c' }, true);
    assert.equal(m.get('a')?.state, 'running', 'replied, idle not seen yet');
    m.markIdle('a');
    assert.equal(m.get('a')?.state, 'done');
    m.markRunning('b', 1, 'u1', true);
    m.markIdle('b');
    assert.equal(m.get('b')?.state, 'running', 'idle first: the reply is still needed');
    m.applyReply('b', { state: 'error', error: { ename: 'E', evalue: 'v', traceback: [] } }, true);
    assert.equal(m.get('b')?.state, 'error');
    assert.equal(m.get('b')?.error?.ename, 'E');
    assert.equal(m.activeCount, 0);
    assert.deepEqual(states.slice(0, 2), ['a:pending', 'b:pending']);
    m.dispose();
  });

  it('completes scheduler-made and aborted replies at once, and replies whose idle never comes after a grace period', async () => {
    const m = new TasksModel({ idleGraceMs: 50 });
    m.add(task('s', { queue: 'task' }));
    m.applyReply('s', { state: 'error' }, false);
    assert.equal(m.get('s')?.state, 'error');
    m.add(task('x'));
    m.applyReply('x', { state: 'aborted' }, false);
    assert.equal(m.get('x')?.state, 'aborted');
    assert.ok(m.get('x')?.reason);
    m.add(task('g'));
    m.applyReply('g', { state: 'done' }, true);
    await m.whenTerminal(['g'], () => undefined);
    assert.equal(m.get('g')?.state, 'done');
    m.dispose();
  });

  it('a replied task whose output is still arriving (a flood read behind its reply) does not end on the grace period', async () => {
    const m = new TasksModel({ idleGraceMs: 60 });
    m.add(task('f'));
    m.markRunning('f', 0, 'u0', true);
    m.applyReply('f', { state: 'done' }, true);
    // Output keeps coming for longer than the grace period: the backlog of iopub is still being read.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 30));
      m.addOutput('f', { kind: 'stream', name: 'stdout', text: `line ${i}\n` });
    }
    assert.equal(m.get('f')?.state, 'running', 'ended while its output was still arriving');
    m.addOutput('f', { kind: 'stream', name: 'stdout', text: 'THE END\n' });
    m.markIdle('f');
    assert.equal(m.get('f')?.state, 'done');
    const text = m.get('f')?.outputs.map((o) => (o.kind === 'stream' ? o.text : '')).join('');
    assert.ok(text?.endsWith('THE END\n'), text);
    m.dispose();
  });

  it('a busy after an idle (a retried task) waits for the next idle', () => {
    const m = new TasksModel();
    m.add(task('r', { queue: 'task' }));
    m.markRunning('r', 0, 'u0', true);
    m.markIdle('r');
    m.markRunning('r', 1, 'u1', true);
    m.applyReply('r', { state: 'done', engineUuid: 'u1', engineId: 1 }, true);
    assert.equal(m.get('r')?.state, 'running');
    m.markIdle('r');
    assert.equal(m.get('r')?.state, 'done');
    assert.equal(m.get('r')?.engineId, 1);
    m.dispose();
  });

  it('a retry\'s reply that comes before its own busy does not end on the first attempt\'s idle', () => {
    const m = new TasksModel();
    m.add(task('r', { queue: 'task' }));
    m.markRunning('r', 0, 'u0', true);
    m.addOutput('r', { kind: 'error', ename: 'RuntimeError', evalue: 'first attempt', traceback: [] });
    m.markIdle('r', 'u0');
    // The scheduler retried on engine 1: its reply reaches the shell socket before its iopub traffic.
    m.applyReply('r', { state: 'done', engineUuid: 'u1', engineId: 1 }, true);
    assert.equal(m.get('r')?.state, 'running', 'the idle was engine 0\'s, the reply engine 1\'s');
    m.markRunning('r', 1, 'u1', true);
    m.addOutput('r', { kind: 'stream', name: 'stdout', text: 'second attempt\n' });
    m.markIdle('r', 'u1');
    assert.equal(m.get('r')?.state, 'done');
    assert.ok(m.get('r')?.outputs.some((o) => o.kind === 'stream' && o.text === 'second attempt\n'));
    m.dispose();
  });

  it('ends tasks as lost, resolves waiters, ignores later replies, and forgets terminal tasks', async () => {
    const m = new TasksModel();
    m.addRun({ id: m.newRunId(), code: 'x', targets: 'all', msgIds: ['l1', 'l2'], created: '' });
    m.add(task('l1', { runId: 'r1' }));
    m.add(task('l2', { runId: 'r1' }));
    const waiting = m.whenTerminal(['l1', 'l2'], () => undefined);
    m.finish('l1', 'lost', 'engine 0 unregistered');
    m.finish('l2', 'lost', 'engine 0 unregistered');
    await waiting;
    m.applyReply('l1', { state: 'done' }, false);
    assert.equal(m.get('l1')?.state, 'lost');
    assert.equal(m.get('l1')?.reason, 'engine 0 unregistered');
    assert.equal(m.forget(() => true), 2);
    assert.equal(m.run('r1'), undefined, 'a run with no tasks left goes too');
    m.dispose();
  });

  it('forgets the oldest terminal tasks beyond maxTasks, never active ones, and stays fast when all are active', () => {
    const m = new TasksModel({ maxTasks: 100 });
    for (let i = 0; i < 150; i++) {
      m.add(task(`t${i}`));
      if (i < 120) m.finish(`t${i}`, 'done');
    }
    assert.ok(m.list().length <= 101);
    assert.equal(m.get('t0'), undefined);
    assert.ok(m.get('t149'));
    const t0 = Date.now();
    for (let i = 0; i < 20_000; i++) m.add(task(`a${i}`));
    assert.ok(Date.now() - t0 < 5000, 'add() is not O(n) when every task is active');
    assert.equal(m.active().length, 20_030);
    m.dispose();
  });

  it('reads reply facts: timestamps, counts, user expressions, errors', () => {
    const f = replyFacts(
      { status: 'ok', execution_count: 3, user_expressions: { a: { status: 'ok', data: { 'text/plain': '1' }, metadata: {} } } },
      { started: '2026-01-01T00:00:01Z' },
      '2026-01-01T00:00:02Z',
    );
    assert.deepEqual(f, {
      state: 'done',
      completed: '2026-01-01T00:00:02Z',
      started: '2026-01-01T00:00:01Z',
      executionCount: 3,
      userExpressions: { a: { status: 'ok', data: { 'text/plain': '1' } } },
    });
    const e = replyFacts({ status: 'error', ename: 'KeyboardInterrupt', evalue: '', traceback: ['tb'] }, {}, undefined);
    assert.equal(e.state, 'error');
    assert.deepEqual(e.error, { ename: 'KeyboardInterrupt', evalue: '', traceback: ['tb'] });
    assert.equal(replyFacts({ status: 'aborted' }, {}, undefined).state, 'aborted');
  });
});

describe('EnginesModel', () => {
  it('tracks engines, coalesces change events, and infers status from queue counts', async () => {
    const m = new EnginesModel();
    const fired: number[][] = [];
    m.onDidChange((list) => fired.push(list.map((e) => e.id)));
    m.reset({ '3': 'u3', '1': 'u1' });
    m.setStatus('u1', 'busy');
    m.setStatus('u1', 'idle');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(fired, [[1, 3]], 'one event for a burst of changes');
    m.applyQueue(parseQueueReply({ status: 'ok', '1': { queue: 0, completed: 5, tasks: 0 }, '3': { queue: 2, completed: 1, tasks: ['x'] }, unassigned: 4 }));
    assert.equal(m.get(3)?.status, 'busy');
    assert.equal(m.get(3)?.tasks, 1);
    assert.equal(m.get(1)?.status, 'idle');
    assert.equal(m.get(1)?.completed, 5);
    m.add(4, 'u4');
    assert.equal(m.remove(3)?.uuid, 'u3');
    assert.deepEqual(m.ids(), [1, 4]);
    assert.equal(m.idOf('u4'), 4);
    m.dispose();
  });
});

describe('PendingRequests', () => {
  it('settles by parent msg_id, rejects hub_error as HubError, times out, aborts, and fails per engine or all', async () => {
    const p = new PendingRequests();
    const ok = p.add('m1', { what: 'q' });
    assert.equal(p.settle(reply('m1')), true);
    assert.equal((await ok).parent.msg_id, 'm1');
    assert.equal(p.settle(reply('m1')), false, 'a second reply finds nothing');

    const bad = p.add('m2', { what: 'q' });
    p.settle(reply('m2', 'hub_error', { status: 'error', ename: 'IndexError', evalue: 'No Such Engine: [99]', traceback: [] }));
    await assert.rejects(bad, (e: HubError) => e instanceof HubError && e.ename === 'IndexError');

    await assert.rejects(p.add('m3', { what: 'queue_request', timeoutMs: 10 }), (e: Error) => e instanceof TimeoutError && /queue_request got no answer within 1 s/.test(e.message));

    const ac = new AbortController();
    const aborted = p.add('m4', { what: 'q', signal: ac.signal });
    ac.abort();
    await assert.rejects(aborted, AbortedError);
    await assert.rejects(p.add('m5', { what: 'q', signal: AbortSignal.abort() }), AbortedError);

    const e1 = p.add('m6', { what: 'evaluate', engineUuid: 'u1' });
    const e2 = p.add('m7', { what: 'evaluate', engineUuid: 'u2' });
    p.failEngine('u1', (what) => new EngineGoneError(1, `${what}: gone`));
    await assert.rejects(e1, EngineGoneError);
    p.failAll((what) => new Error(`${what}: closed`));
    await assert.rejects(e2, /evaluate: closed/);
    assert.equal(p.size, 0);
  });

  it('withDeadline races a promise against a timeout and a signal', async () => {
    let cancelled = 0;
    await assert.rejects(withDeadline(new Promise(() => undefined), { timeoutMs: 10 }, 'waiting', () => cancelled++), TimeoutError);
    assert.equal(cancelled, 1);
    assert.equal(await withDeadline(Promise.resolve(5), { timeoutMs: 1000 }, 'x'), 5);
    await assert.rejects(withDeadline(new Promise(() => undefined), { signal: AbortSignal.abort() }, 'x'), AbortedError);
  });
});

describe('hub records and queries', () => {
  it('rewrites plain equalities as $eq and $gt as $gte + $ne (DictDB bugs)', () => {
    assert.deepEqual(rewriteDbQuery({ a: 1, b: 'x', c: { $in: [1] }, d: { $gt: '2026' }, e: { $gt: 1, $ne: 2 }, f: null, g: {} }), {
      a: { $eq: 1 },
      b: { $eq: 'x' },
      c: { $in: [1] },
      d: { $gte: '2026', $ne: '2026' },
      e: { $gt: 1, $ne: 2 },
      f: { $eq: null },
      g: { $eq: {} },
    });
  });

  it('maps a db record to a TaskInfo with outputs, and skips non-task requests', () => {
    const record = {
      msg_id: 'm',
      header: { msg_id: 'm', msg_type: 'execute_request', session: 'other', date: '2026-01-01T00:00:00Z' },
      content: { code: 'print(1)' },
      submitted: '2026-01-01T00:00:00.000000Z',
      started: '2026-01-01T00:00:01.000000Z',
      completed: '2026-01-01T00:00:02.000000Z',
      engine_uuid: 'u1',
      client_uuid: 'other',
      queue: 'task',
      result_content: { status: 'ok', execution_count: 2 },
      stdout: '1\n',
      stderr: '',
      execute_result: { data: { 'text/plain': '2' }, execution_count: 2 },
      error: null,
    };
    const t = recordToTask(record, 'mine', (u) => (u === 'u1' ? 1 : undefined));
    assert.ok(t);
    assert.equal(t.state, 'done');
    assert.equal(t.foreign, true);
    assert.equal(t.engineId, 1);
    assert.equal(t.queue, 'task');
    assert.equal(t.code, 'print(1)');
    assert.equal(t.executionCount, 2);
    assert.deepEqual(t.outputs, [
      { kind: 'stream', name: 'stdout', text: '1\n' },
      { kind: 'execute_result', executionCount: 2, data: { 'text/plain': '2' } },
    ]);
    assert.equal(recordToTask({ ...record, header: { ...record.header, msg_type: 'complete_request' } }, 'mine', () => undefined), undefined);
    const pending = recordToTask({ msg_id: 'p', header: { msg_type: 'execute_request' }, client_uuid: 'mine', content: {} }, 'mine', () => undefined);
    assert.equal(pending?.state, 'pending');
    assert.equal(pending?.foreign, undefined);
    const failed = recordToTask({ ...record, result_content: { status: 'error', ename: 'E', evalue: 'v', traceback: [] } }, 'mine', () => 1);
    assert.equal(failed?.state, 'error');
    assert.equal(failed?.error?.ename, 'E');
  });
});

describe('offsets, drops and security', () => {
  it('converts between UTF-16 and code-point offsets', () => {
    const s = "a😀b";
    assert.equal(toCodePoints(s, 0), 0);
    assert.equal(toCodePoints(s, 3), 2);
    assert.equal(toCodePoints(s, s.length), 3);
    assert.equal(toUtf16(s, 2), 3);
    assert.equal(toUtf16(s, 3), 4);
    assert.equal(toUtf16('abc', 10), 3);
  });

  it('maps protocol errors to drop reasons and counts them per channel', () => {
    assert.equal(dropReason(new SignatureError('x')), 'badSignature');
    assert.equal(dropReason(new UnsignedMessageError('x')), 'badSignature');
    assert.equal(dropReason(new ReplayError('x')), 'replay');
    assert.equal(dropReason(new MalformedMessageError('x')), 'malformed');
    assert.equal(dropReason(new TypeError('x')), 'malformed');
    const c = new DropCounter();
    c.add('iopub', 'replay');
    c.add('iopub', 'replay');
    c.add('notification', 'badSignature');
    const snap = c.snapshot();
    assert.deepEqual(snap, { badSignature: 1, replay: 2, malformed: 0, byChannel: { iopub: { replay: 2 }, notification: { badSignature: 1 } } });
    c.add('iopub', 'malformed');
    assert.equal(snap.malformed, 0, 'snapshots are copies');
    assert.equal(c.total, 4);
  });

  it('describes the security posture with warnings', () => {
    const base = { interface: 'tcp://127.0.0.1', registration: 1, mux: 2, task: 3, control: 4, iopub: 5, notification: 6, broadcast: 7, key: 'k', signature_scheme: 'hmac-sha256' };
    const local = securityPosture(parseConnectionInfo(JSON.stringify(base)));
    assert.deepEqual(local, { signed: true, signatureScheme: 'hmac-sha256', transport: 'plain', loopback: true, warnings: [] });
    const remote = securityPosture(parseConnectionInfo(JSON.stringify({ ...base, interface: 'tcp://10.1.2.3' })));
    assert.equal(remote.loopback, false);
    assert.equal(remote.transport, 'plain');
    assert.match(remote.warnings.join('\n'), /plain TCP on a non-loopback interface without CURVE/);
    const unsigned = securityPosture(parseConnectionInfo(JSON.stringify({ ...base, key: '' })));
    assert.equal(unsigned.signed, false);
    assert.match(unsigned.warnings.join('\n'), /not signed/);
    const curve = securityPosture(parseConnectionInfo(JSON.stringify({ ...base, interface: 'tcp://10.1.2.3', curve_serverkey: 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7' })));
    assert.equal(curve.transport, 'curve');
    assert.equal(curve.warnings.length, 0);
  });
});
