// The iopub router and re-attached tasks: another session's traffic is ignored until that session is
// adopted (reattach.ts), then applied to its tracked tasks only; untracked ids of an adopted session are
// not kept as orphans (they are not ours to wait for).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnginesModel } from '../../src/core/client/engines';
import { IopubRouter } from '../../src/core/client/iopubRouter';
import { TasksModel } from '../../src/core/client/tasks';
import type { Message } from '../../src/core/protocol/message';

const OURS = 'our-session';
const EARLIER = 'earlier-session';

function iopub(parentSession: string, parentId: string, msgType: string, content: Record<string, unknown>): Message {
  const header = { msg_id: `${parentId}-${msgType}-${Math.random()}`, msg_type: msgType, username: 'u', session: 'engine-uuid-0', date: '', version: '5.3' };
  return {
    routing: [],
    header,
    parent: { msg_id: parentId, session: parentSession, msg_type: 'execute_request' },
    metadata: {},
    content,
    buffers: [],
    signature: '',
    raw: [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)],
  };
}

describe('IopubRouter: adopted sessions', () => {
  it('applies an adopted session\'s traffic to its tracked tasks, and nothing else', () => {
    const engines = new EnginesModel();
    const tasks = new TasksModel();
    const router = new IopubRouter(() => OURS, engines, tasks, () => false);
    tasks.onAdd = (t) => router.adopt(t.msgId);
    tasks.add({ msgId: 'old', queue: 'mux', state: 'running', code: 'x', submitted: '', outputs: [], reattached: true });
    const stream = (session: string, id: string, text: string) => router.route(iopub(session, id, 'stream', { name: 'stdout', text }));

    stream(EARLIER, 'old', 'before adoption\n');
    assert.deepEqual(tasks.get('old')?.outputs, [], 'another session\'s traffic is ignored');

    router.adoptSession(EARLIER);
    stream(EARLIER, 'old', 'after adoption\n');
    assert.deepEqual(tasks.get('old')?.outputs, [{ kind: 'stream', name: 'stdout', text: 'after adoption\n' }]);

    // An untracked id of the adopted session is dropped, not held for a task that would never be added.
    stream(EARLIER, 'other', 'not ours\n');
    tasks.add({ msgId: 'other', queue: 'mux', state: 'running', code: 'x', submitted: '', outputs: [] });
    assert.deepEqual(tasks.get('other')?.outputs, []);
    // Our own session's early messages still wait for their task.
    stream(OURS, 'mine', 'early\n');
    tasks.add({ msgId: 'mine', queue: 'mux', state: 'pending', code: 'x', submitted: '', outputs: [] });
    assert.deepEqual(tasks.get('mine')?.outputs, [{ kind: 'stream', name: 'stdout', text: 'early\n' }]);

    // clear() (a teardown) forgets the adoption.
    router.clear();
    stream(EARLIER, 'old', 'after clear\n');
    assert.equal(tasks.get('old')?.outputs.length, 1);
    tasks.dispose();
  });
});
