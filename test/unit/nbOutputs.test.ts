import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutputItem } from '../../src/shared/protocol';
import { bundleItem, MIME, notebookOutputs, type TaskOutput } from '../../src/extension/notebook/outputs';
import { OutputRouter } from '../../src/extension/notebook/router';

const t = (engineId: number, output: OutputItem): TaskOutput => ({ engineId, msgId: `m${engineId}`, output });
const stdout = (engineId: number, text: string) => t(engineId, { kind: 'stream', name: 'stdout', text });
const PNG = 'iVBORw0KGgo=';

describe('notebook outputs per engine', () => {
  it('folds identical streams into one output labelled with the engines, keeping engines and msg_ids', () => {
    const outs = notebookOutputs([stdout(0, 'hi\n'), stdout(1, 'hi\n')]);
    assert.equal(outs.length, 1);
    assert.deepEqual(outs[0].items, [{ mime: MIME.stdout, text: '[stdout:0,1] hi\n' }]);
    assert.deepEqual(outs[0].metadata, { outputType: 'stream', metadata: { ipyparallel: { engines: [0, 1], msgIds: ['m0', 'm1'] } } });
  });

  it('keeps different streams apart, each with its own engine, streams concatenated per engine', () => {
    const outs = notebookOutputs([stdout(1, 'pid 11\n'), stdout(0, 'pid '), stdout(0, '10\nmore\n')]);
    assert.deepEqual(outs.map((o) => o.items[0]), [
      { mime: MIME.stdout, text: '[stdout:0]\npid 10\nmore\n' },
      { mime: MIME.stdout, text: '[stdout:1] pid 11\n' },
    ]);
  });

  it('unfolds on request: one output per engine', () => {
    const outs = notebookOutputs([stdout(0, 'hi\n'), stdout(1, 'hi\n')], false);
    assert.deepEqual(outs.map((o) => o.items[0]), [
      { mime: MIME.stdout, text: '[stdout:0] hi\n' },
      { mime: MIME.stdout, text: '[stdout:1] hi\n' },
    ]);
    assert.deepEqual(outs.map((o) => o.metadata.metadata.ipyparallel.engines), [[0], [1]]);
  });

  it('orders as %px does: stdout, stderr, displays, results, errors', () => {
    const err = { kind: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['\u001b[31mValueError\u001b[0m: bad'] } satisfies OutputItem;
    const outs = notebookOutputs([
      t(0, err),
      t(0, { kind: 'execute_result', executionCount: 3, data: { 'text/plain': '42' } }),
      t(1, { kind: 'stream', name: 'stderr', text: 'warn\n' }),
      stdout(1, 'out\n'),
    ]);
    assert.deepEqual(outs.map((o) => o.items[0].mime), [MIME.stdout, MIME.stderr, 'text/plain', MIME.error]);
    assert.deepEqual(outs[2].items[0], { mime: 'text/plain', text: 'Out[0:3]: 42\n' });
    assert.equal(outs[2].metadata.outputType, 'execute_result');
    assert.equal(outs[2].metadata.executionCount, 3);
    assert.deepEqual(outs[3].items[0], { mime: MIME.error, json: { name: 'ValueError', message: 'bad', stack: '[0:execute]:\n\u001b[31mValueError\u001b[0m: bad' } });
  });

  it('folds identical errors across engines', () => {
    const err = { kind: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['tb'] } satisfies OutputItem;
    const outs = notebookOutputs([t(0, err), t(1, err)]);
    assert.equal(outs.length, 1);
    assert.match((outs[0].items[0] as { json: { stack: string } }).json.stack, /^\[0,1:execute\]:\ntb$/);
  });

  it('passes every MIME type of a rich result through, after a label output', () => {
    const data = { 'text/plain': ['<Figure>'], 'image/png': `${PNG}\n`, 'text/html': ['<b>', 'x</b>'], 'application/json': { a: 1 }, 'image/svg+xml': '<svg/>' };
    const outs = notebookOutputs([t(0, { kind: 'execute_result', executionCount: 2, data }), t(1, { kind: 'execute_result', executionCount: 5, data })]);
    assert.equal(outs.length, 2);
    assert.deepEqual(outs[0].items, [{ mime: MIME.stdout, text: 'Out[0:2,1:5]:\n' }]);
    assert.deepEqual(outs[1].items, [
      { mime: 'text/plain', text: '<Figure>' },
      { mime: 'image/png', base64: PNG },
      { mime: 'text/html', text: '<b>x</b>' },
      { mime: 'application/json', json: { a: 1 } },
      { mime: 'image/svg+xml', text: '<svg/>' },
    ]);
    assert.equal(outs[1].metadata.executionCount, null, 'the counts differ');
    assert.deepEqual(outs[1].metadata.metadata.ipyparallel, { engines: [0, 1], msgIds: ['m0', 'm1'] });
  });

  it('keeps a display_data\'s own metadata beside ours, and labels it [output:N]', () => {
    const outs = notebookOutputs([t(1, { kind: 'display_data', data: { 'text/markdown': '# hi' }, metadata: { isolated: true } })]);
    assert.deepEqual(outs[0].items, [{ mime: MIME.stdout, text: '[output:1]\n' }]);
    assert.deepEqual(outs[1].metadata, { outputType: 'display_data', metadata: { isolated: true, ipyparallel: { engines: [1], msgIds: ['m1'] } } });
  });

  it('does not fold displays whose bundles differ, and folds those equal up to key order', () => {
    const a = t(0, { kind: 'display_data', data: { 'text/plain': 'x', 'text/html': 'A' }, metadata: {} });
    const b = t(1, { kind: 'display_data', data: { 'text/html': 'A', 'text/plain': 'x' }, metadata: {} });
    const c = t(2, { kind: 'display_data', data: { 'text/plain': 'x', 'text/html': 'B' }, metadata: {} });
    const labels = notebookOutputs([a, b, c]).filter((o) => o.metadata.outputType === 'stream').map((o) => (o.items[0] as { text: string }).text);
    assert.deepEqual(labels, ['[output:0,1]\n', '[output:2]\n']);
  });

  it('converts bundle entries by MIME type', () => {
    assert.deepEqual(bundleItem('image/jpeg', 'ab\ncd'), { mime: 'image/jpeg', base64: 'abcd' });
    assert.deepEqual(bundleItem('application/vnd.vegalite.v5+json', '{"x":1}'), { mime: 'application/vnd.vegalite.v5+json', json: { x: 1 } });
    assert.deepEqual(bundleItem('text/latex', ['$x', '^2$']), { mime: 'text/latex', text: '$x^2$' });
  });
});

describe('notebook output routing', () => {
  it('hands a claimed run\'s items to its cell and passes the rest on; a throwing handler is reported, not rethrown', () => {
    const router = new OutputRouter();
    const got: string[] = [];
    router.claim('r1', (items) => got.push(...items.map((i) => i.msgId)));
    router.claim('r2', () => {
      throw new Error('bug');
    });
    const item = (runId: string, msgId: string) => ({ runId, msgId, engineId: 0, output: { kind: 'stream', name: 'stdout', text: 'x' } as OutputItem });
    const { rest, errors } = router.route({ items: [item('r1', 'a'), item('r0', 'b'), item('r1', 'c'), item('r2', 'd')] });
    assert.deepEqual(got, ['a', 'c']);
    assert.deepEqual(rest.items.map((i) => i.msgId), ['b']);
    assert.equal(errors.length, 1);
    router.release('r1');
    assert.deepEqual(router.route({ items: [item('r1', 'e')] }).rest.items.map((i) => i.msgId), ['e']);
  });
});
