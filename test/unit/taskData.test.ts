import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotificationBatcher } from '../../src/server/batcher';
import { PickleError, unpickle } from '../../src/core/protocol/pickle';
import { decodeDataMessage, MAX_DATA_KEYS, mergeData, NOT_DECODED, progressOf } from '../../src/core/client/taskData';
import { TasksModel } from '../../src/core/client/tasks';

// First buffers of real data_messages: ipyparallel 7.1's serialize_object(dict), as publish_data sends them.
const PROGRESS_QUARTER = '80049518000000000000007d948c0870726f677265737394473fd0000000000000732e';
const PLAIN =
  '800495a5000000000000007d94288c03626967948a090000000000000000408c016c945d94284b014b028c0178948694658c016e944b038c036e6567944afbffffff8c066e6573746564947d948c0161945d9428473ff8000000000000473ff800000000000065738c046e6f6e65944e8c0870726f677265737394473ff00000000000008c0173948f94284b01908c0473746570948c046c6f6164948c017494888c0175948c06c3a9c3a9c3a994752e';
// {'b': b'ab'}: bytes are canned as ipyparallel.serialize.canning.CannedBytes, an object (GLOBAL + NEWOBJ).
const CANNED_BYTES =
  '800495bf000000000000007d94288c0162948c1d697079706172616c6c656c2e73657269616c697a652e63616e6e696e67948c0b43616e6e656442797465739493942981947d948c0762756666657273945d9443026162946173628c03626967948a090000000000000000408c016c945d94284b014b028c0178948694658c016e944b038c036e6567944afbffffff8c046e6f6e65944e8c0870726f677265737394473ff00000000000008c0173948f94284b01908c0473746570948c046c6f6164948c01749488752e';
// pickle.dumps({'__proto__': 1, 'x': [1, 2]}, 2)
const PROTO_KEY = '80027d71002858090000005f5f70726f746f5f5f71014b0158010000007871025d7103284b014b0265752e';

const hex = (s: string) => Buffer.from(s, 'hex');

describe('unpickle: the plain-data subset of pickle', () => {
  it('decodes a published progress', () => {
    assert.deepEqual(unpickle(hex(PROGRESS_QUARTER)), { progress: 0.25 });
  });

  it('decodes numbers, big and negative ints, strings, lists, tuples, sets, nested dicts, None and bools', () => {
    assert.deepEqual(unpickle(hex(PLAIN)), {
      big: 2 ** 70,
      l: [1, [2, 'x']],
      n: 3,
      neg: -5,
      nested: { a: [1.5, 1.5] },
      none: null,
      progress: 1,
      s: [1],
      step: 'load',
      t: true,
      u: 'ééé',
    });
  });

  it('refuses objects (GLOBAL), never evaluating them', () => {
    assert.throws(() => unpickle(hex(CANNED_BYTES)), (e: unknown) => e instanceof PickleError && /opcode 0x8c|opcode 0x93|not plain data/.test(e.message));
  });

  it('keeps a __proto__ key as a plain key', () => {
    const v = unpickle(hex(PROTO_KEY)) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.deepEqual(Object.keys(v), ['__proto__', 'x']);
    assert.equal(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, 1);
  });

  it('bounds size and value count, and rejects truncated input', () => {
    assert.throws(() => unpickle(hex(PLAIN), { maxBytes: 20 }), PickleError);
    assert.throws(() => unpickle(hex(PLAIN), { maxValues: 5 }), PickleError);
    assert.throws(() => unpickle(hex(PLAIN).subarray(0, 40)), PickleError);
    assert.throws(() => unpickle(Buffer.from([0x80, 0x04, 0x2e])), PickleError); // STOP on an empty stack
  });
});

describe('datapub: decoding, merging and progress', () => {
  it('decodes a data_message, and keeps the keys of one it cannot decode', () => {
    assert.deepEqual(decodeDataMessage({ keys: ['progress'] }, [hex(PROGRESS_QUARTER)]), { progress: 0.25 });
    const undecoded = decodeDataMessage({ keys: ['b', 'big'] }, [hex(CANNED_BYTES)]);
    assert.deepEqual(undecoded, { b: NOT_DECODED, big: NOT_DECODED });
    assert.deepEqual(decodeDataMessage({ keys: ['x'] }, []), { x: NOT_DECODED });
  });

  it('progress is a finite number in [0, 1], else absent', () => {
    assert.equal(progressOf({ progress: 0.5 }), 0.5);
    assert.equal(progressOf({ progress: 0 }), 0);
    for (const p of [1.5, -0.1, '0.5', Number.NaN, null]) assert.equal(progressOf({ progress: p }), undefined);
  });

  it('merges later values over earlier ones, bounding key count and value size', () => {
    let held = mergeData(undefined, { progress: 0.25, step: 'a' });
    held = mergeData(held, { progress: 0.5 });
    assert.deepEqual(held, { progress: 0.5, step: 'a' });
    const big = mergeData(held, { blob: 'x'.repeat(5000) });
    assert.match(String(big.blob), /^\[5002 characters not kept\]$/);
    const many = mergeData(undefined, Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i])));
    assert.equal(Object.keys(many).length, MAX_DATA_KEYS);
  });

  it('TasksModel.publishData merges into the task, sets progress, and fires with what was published', () => {
    const tasks = new TasksModel();
    tasks.add({ msgId: 'm1', queue: 'mux', state: 'running', code: 'x', submitted: new Date().toISOString(), outputs: [] });
    const seen: unknown[] = [];
    tasks.onDidPublishData(({ data }) => seen.push(data));
    tasks.publishData('m1', { progress: 0.25, step: 'load' });
    tasks.publishData('m1', { progress: 2 });
    tasks.publishData('unknown', { progress: 0.1 });
    assert.deepEqual(seen, [{ progress: 0.25, step: 'load' }, { progress: 2 }]);
    assert.deepEqual(tasks.get('m1')?.data, { progress: 2, step: 'load' });
    assert.equal(tasks.get('m1')?.progress, undefined, 'an out-of-range progress clears the bar');
    tasks.publishData('m1', { progress: 1 });
    assert.equal(tasks.get('m1')?.progress, 1);
    tasks.dispose();
  });

  it('the batcher sends each task that published once per window, after output and before tasks', () => {
    const sent: string[] = [];
    const b = new NotificationBatcher(
      {
        state: () => sent.push('state'),
        engines: () => sent.push('engines'),
        output: () => sent.push('output'),
        data: (ids) => sent.push(`data:${ids.join(',')}`),
        tasks: () => sent.push('tasks'),
        status: () => sent.push('status'),
      },
      1000,
    );
    b.taskData('m1');
    b.taskData('m2');
    b.taskData('m1');
    b.runChanged('r1');
    b.output({ runId: 'r1', msgId: 'm1', output: { kind: 'stream', name: 'stdout', text: 'x' } });
    b.flush();
    assert.deepEqual(sent, ['output', 'data:m1,m2', 'tasks']);
    b.dispose();
  });
});
