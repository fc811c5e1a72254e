// The lost-reply sweep without sockets: which tasks it asks the hub about, and what it does with the hub's
// answer (complete from the record, leave running, lost naming the engine, lost when the hub has no record).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideSweep, EnginesModel, ReplySweep, TasksModel, type TaskInfo } from '../../src/core/client';
import type { ClientContext } from '../../src/core/client/context';
import { silentLogger } from '../../src/core/log';
import type { Message } from '../../src/core/protocol';

function task(msgId: string, extra: Partial<TaskInfo> = {}): TaskInfo {
  return { msgId, queue: 'mux', state: 'pending', code: 'x', submitted: '2026-01-01T00:00:00Z', outputs: [], ...extra };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The hub as the sweep sees it: msg_id -> 'pending' | a completed record; ids not listed are unknown (KeyError). */
type HubTable = Record<string, 'pending' | Record<string, unknown>>;

function fakeContext(hub: HubTable, asked: { ids: string[]; statusOnly: boolean }[]): { ctx: ClientContext; tasks: TasksModel; engines: EnginesModel } {
  const tasks = new TasksModel();
  const engines = new EnginesModel();
  const ctx = {
    session: { id: 'me' },
    engines,
    tasks,
    logger: silentLogger,
    requestTimeoutMs: 1000,
    requireConnected() {},
    send() {},
    engineUuid: () => 'u',
    request(_channel: string, msgType: string, content: Record<string, unknown>): Promise<Message> {
      assert.equal(msgType, 'result_request');
      const ids = content.msg_ids as string[];
      const statusOnly = content.status_only === true;
      asked.push({ ids, statusOnly });
      const reply: Record<string, unknown> = { status: 'ok', pending: [], completed: [] };
      for (const id of [...ids].sort()) {
        const entry = hub[id];
        if (entry === undefined) {
          // The hub's own answer: the whole request fails on the first unknown id.
          return Promise.resolve({ content: { status: 'error', ename: 'KeyError', evalue: `'No such message: ${id}'` } } as unknown as Message);
        }
        if (entry === 'pending') (reply.pending as string[]).push(id);
        else {
          (reply.completed as string[]).push(id);
          if (!statusOnly) reply[id] = entry;
        }
      }
      return Promise.resolve({ content: reply } as unknown as Message);
    },
  } as unknown as ClientContext;
  return { ctx, tasks, engines };
}

describe('lost-reply sweep', () => {
  it('decideSweep: finished at the hub -> complete; still pending -> left alone unless its engine is gone; unknown -> lost', () => {
    const tasks = [
      task('done', { engineUuid: 'u0', engineId: 0 }),
      task('long', { engineUuid: 'u0', engineId: 0, state: 'running' }),
      task('orphan', { engineUuid: 'u1', engineId: 1, state: 'running' }),
      task('queued', { queue: 'task' }),
      task('ghost'),
    ];
    const d = decideSweep(tasks, { completed: ['done'], pending: ['long', 'orphan', 'queued'], unknown: ['ghost'] }, (u) => u === 'u0');
    assert.deepEqual(d.complete, ['done']);
    assert.deepEqual(d.lost, [
      { msgId: 'orphan', reason: 'its reply never came and engine 1 is no longer registered' },
      { msgId: 'ghost', reason: 'its reply never came and the controller has no record of it' },
    ]);
  });

  it('sweeps only old unanswered tasks: completes from the record, leaves long runners, loses orphans and unknown ones', async () => {
    const record = {
      result_content: { status: 'ok', execution_count: 3 },
      result_header: { date: '2026-01-01T00:00:05Z' },
      result_metadata: { engine: 'u0', started: '2026-01-01T00:00:01Z' },
      io: { stdout: 'from the hub\n' },
    };
    const hub: HubTable = { dropped: record, long: 'pending', orphan: 'pending', replied: 'pending' };
    const asked: { ids: string[]; statusOnly: boolean }[] = [];
    const { ctx, tasks, engines } = fakeContext(hub, asked);
    engines.reset({ 0: 'u0' });
    tasks.add(task('dropped', { engineUuid: 'u0', engineId: 0 }));
    tasks.add(task('long', { engineUuid: 'u0', engineId: 0 }));
    tasks.add(task('orphan', { engineUuid: 'u9', engineId: 9 }));
    tasks.add(task('ghost'));
    tasks.add(task('replied', { engineUuid: 'u0', engineId: 0 }));
    tasks.applyReply('replied', { state: 'done' }, true); // waiting for its idle: not the sweep's business
    const sweep = new ReplySweep(ctx, 40);
    await sleep(60);
    tasks.add(task('young', { engineUuid: 'u0', engineId: 0 }));
    await sweep.tick();
    assert.deepEqual(asked, [
      { ids: ['dropped', 'long', 'orphan', 'ghost'], statusOnly: true },
      { ids: ['dropped', 'long', 'orphan'], statusOnly: true },
      { ids: ['dropped'], statusOnly: false },
    ]);
    const done = tasks.get('dropped');
    assert.equal(done?.state, 'done');
    assert.equal(done?.executionCount, 3);
    assert.equal(done?.completed, '2026-01-01T00:00:05Z');
    assert.deepEqual(done?.outputs, [{ kind: 'stream', name: 'stdout', text: 'from the hub\n' }]);
    assert.equal(tasks.get('long')?.state, 'pending', 'a task the hub still runs is left alone');
    assert.equal(tasks.get('orphan')?.state, 'lost');
    assert.match(tasks.get('orphan')?.reason ?? '', /engine 9 is no longer registered/);
    assert.equal(tasks.get('ghost')?.state, 'lost');
    assert.equal(tasks.get('young')?.state, 'pending', 'a task younger than the period is not asked about');
    assert.equal(tasks.get('replied')?.state, 'running');
    // The next tick within the period does nothing.
    await sweep.tick();
    assert.equal(asked.length, 3);
    tasks.dispose();
    engines.dispose();
  });

  it('a task whose iopub output arrived keeps it: the record completes its state only', async () => {
    const hub: HubTable = { t: { result_content: { status: 'error', ename: 'ValueError', evalue: 'bad', traceback: [] }, io: { stdout: 'hub copy\n' } } };
    const asked: { ids: string[]; statusOnly: boolean }[] = [];
    const { ctx, tasks, engines } = fakeContext(hub, asked);
    tasks.add(task('t'));
    tasks.addOutput('t', { kind: 'stream', name: 'stdout', text: 'live\n' });
    await new ReplySweep(ctx, 0).sweep();
    const t = tasks.get('t');
    assert.equal(t?.state, 'error');
    assert.equal(t?.error?.ename, 'ValueError');
    assert.deepEqual(t?.outputs, [{ kind: 'stream', name: 'stdout', text: 'live\n' }]);
    tasks.dispose();
    engines.dispose();
  });
});
