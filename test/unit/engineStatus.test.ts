// An engine's busy/idle: from its own iopub status once it has sent one, from the hub's queue counts until
// then (ipyparallel 9.x engines send none that reaches us before their first request; issue 12).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnginesModel, parseQueueReply } from '../../src/core/client';
import { Dispatcher, type DispatcherDeps } from '../../src/core/client/dispatch';
import { silentLogger } from '../../src/core/log';
import type { Message } from '../../src/core/protocol';

const counts = (byId: Record<number, [queue: number, tasks: number]>) =>
  parseQueueReply({
    status: 'ok',
    ...Object.fromEntries(Object.entries(byId).map(([id, [queue, tasks]]) => [id, { queue, completed: 0, tasks }])),
    unassigned: 0,
  });

describe('EnginesModel: busy/idle without iopub status', () => {
  it('follows the queue counts on every queue_reply until the engine sends an iopub status', () => {
    const m = new EnginesModel();
    m.reset({ '0': 'u0', '1': 'u1' });
    assert.deepEqual(m.list().map((e) => e.status), ['unknown', 'unknown']);
    m.applyQueue(counts({ 0: [1, 0], 1: [0, 0] }));
    assert.deepEqual(m.list().map((e) => e.status), ['busy', 'idle']);
    m.applyQueue(counts({ 0: [0, 0], 1: [0, 2] }));
    assert.deepEqual(m.list().map((e) => e.status), ['idle', 'busy'], 'the counts keep deciding, not only the first time');
    m.dispose();
  });

  it('an engine that said only `starting` is idle once the hub counts nothing for it', () => {
    const m = new EnginesModel();
    m.reset({ '0': 'u0' });
    m.setStatus('u0', 'starting');
    assert.equal(m.get(0)?.status, 'starting');
    m.applyQueue(counts({ 0: [0, 0] }));
    assert.equal(m.get(0)?.status, 'idle');
    m.dispose();
  });

  it('once an engine sent busy or idle on iopub, its iopub status wins over the (slower) counts', () => {
    const m = new EnginesModel();
    m.reset({ '0': 'u0' });
    m.setStatus('u0', 'busy');
    m.applyQueue(counts({ 0: [0, 0] }));
    assert.equal(m.get(0)?.status, 'busy');
    m.setStatus('u0', 'idle');
    m.applyQueue(counts({ 0: [3, 0] }));
    assert.equal(m.get(0)?.status, 'idle');
    assert.equal(m.get(0)?.queue, 3, 'the counts themselves are still applied');
    m.dispose();
  });

  it('an engine that re-registers under the same id with a new uuid is on the counts again', () => {
    const m = new EnginesModel();
    m.reset({ '0': 'u0' });
    m.setStatus('u0', 'idle');
    m.remove(0);
    m.add(0, 'u0-new');
    m.applyQueue(counts({ 0: [1, 0] }));
    assert.equal(m.get(0)?.status, 'busy');
    m.dispose();
  });
});

describe('Dispatcher: registration_notification', () => {
  it('adds the engine and asks for its queue counts', () => {
    const engines = new EnginesModel();
    const registered: number[] = [];
    const deps = { engines, logger: silentLogger, onShutdown: () => undefined, onRegistered: (id: number) => registered.push(id) };
    const d = new Dispatcher(deps as unknown as DispatcherDeps);
    const msg = {
      routing: [],
      header: { msg_id: 'n1', msg_type: 'registration_notification', username: 'u', session: 'hub', date: '', version: '5.3' },
      parent: {},
      metadata: {},
      content: { id: 2, uuid: 'u2', queue: 'u2' },
      buffers: [],
      signature: '',
      raw: [],
    } as unknown as Message;
    d.onMessage('notification', msg);
    assert.deepEqual(registered, [2]);
    assert.equal(engines.uuidOf(2), 'u2');
    engines.dispose();
  });
});
