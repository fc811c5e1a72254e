import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutputItem } from '../../src/core/client/types';
import {
  formatDuration,
  formatEngineList,
  formatOutputs,
  formatRunFooter,
  formatRunHeader,
  formatTargets,
  stripAnsi,
  tracebackText,
  type EngineOutput,
} from '../../src/extension/output/pxFormat';
import { PxStream } from '../../src/extension/output/pxStream';

const out = (engineId: number | undefined, text: string, name: 'stdout' | 'stderr' = 'stdout'): EngineOutput => ({
  engineId,
  output: { kind: 'stream', name, text },
});
const result = (engineId: number, text: string, executionCount: number): EngineOutput => ({
  engineId,
  output: { kind: 'execute_result', executionCount, data: { 'text/plain': text } },
});
// A real IPython traceback entry: colour codes around the frame and the exception name.
const TB = [
  '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m',
  '\u001b[0;31mZeroDivisionError\u001b[0m                         Traceback (most recent call last)',
  '\u001b[0;32m<ipython-input-1-9e1622b385b6>\u001b[0m in \u001b[0;36m<module>\u001b[0;34m\u001b[0m\n\u001b[0;32m----> 1\u001b[0;31m \u001b[0;36m1\u001b[0m\u001b[0;34m/\u001b[0m\u001b[0;36m0\u001b[0m\u001b[0;34m\u001b[0m\u001b[0;34m\u001b[0m\u001b[0m\n\u001b[0m',
  '\u001b[0;31mZeroDivisionError\u001b[0m: division by zero',
];
const error = (engineId: number, traceback = TB): EngineOutput => ({
  engineId,
  output: { kind: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback },
});

describe('pxFormat: helpers', () => {
  it('stripAnsi removes colour, cursor and OSC sequences and nothing else', () => {
    assert.equal(stripAnsi('\u001b[0;31mred\u001b[0m plain \u001b[1;32;40mx\u001b[K'), 'red plain x');
    assert.equal(stripAnsi('\u001b]8;;http://x\u0007link\u001b]8;;\u0007'), 'link');
    assert.equal(stripAnsi('a[0] = 1; {"k": [1]}'), 'a[0] = 1; {"k": [1]}');
    for (const line of TB) assert.ok(!stripAnsi(line).includes('\u001b'), line);
  });

  it('formatEngineList compresses runs of ids and puts unknown engines last', () => {
    assert.equal(formatEngineList([0]), '0');
    assert.equal(formatEngineList([3, 1, 0, 2]), '0-3');
    assert.equal(formatEngineList([0, 1, 3, 5, 6, 7, 9]), '0,1,3,5-7,9');
    assert.equal(formatEngineList([2, 2, 1]), '1,2');
    assert.equal(formatEngineList([undefined, 4]), '4,?');
    assert.equal(formatEngineList([]), '');
  });

  it('formatTargets names all, balanced, one engine and several', () => {
    assert.equal(formatTargets('all'), 'all engines');
    assert.equal(formatTargets('balanced'), 'load-balanced');
    assert.equal(formatTargets([3]), 'engine 3');
    assert.equal(formatTargets([0, 1, 2, 5]), 'engines 0-2,5');
  });

  it('formatDuration picks a readable unit', () => {
    assert.equal(formatDuration(12), '12 ms');
    assert.equal(formatDuration(2400), '2.4 s');
    assert.equal(formatDuration(42_000), '42 s');
    assert.equal(formatDuration(65_000), '1 min 05 s');
    assert.equal(formatDuration(3_720_000), '1 h 02 min');
    assert.equal(formatDuration(-1), '');
  });

  it('tracebackText strips ANSI and falls back to ename: evalue', () => {
    const text = tracebackText({ ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: TB });
    assert.match(text, /^-{20,}\nZeroDivisionError +Traceback/);
    assert.match(text, /----> 1 1\/0/);
    assert.ok(text.endsWith('ZeroDivisionError: division by zero'));
    assert.equal(tracebackText({ ename: 'TaskTimeout', evalue: 'waited 2 s', traceback: [] }), 'TaskTimeout: waited 2 s');
  });
});

describe('pxFormat: %px style', () => {
  it('prefixes each engine stream as ipyparallel does: [stdout:N], [stderr:N]', () => {
    const text = formatOutputs([out(0, 'a\n'), out(1, 'b\n'), out(1, 'warn\n', 'stderr')]);
    assert.equal(text, '[stdout:0] a\n[stdout:1] b\n[stderr:1] warn\n');
  });

  it('shows identical outputs once with the engine list', () => {
    const text = formatOutputs([out(0, 'same\n'), out(1, 'same\n'), out(2, 'same\n'), out(3, 'other\n')]);
    assert.equal(text, '[stdout:0-2] same\n[stdout:3] other\n');
  });

  it('groups by kind in %px order: stdout, stderr, display, results, errors', () => {
    const display: EngineOutput = { engineId: 0, output: { kind: 'display_data', data: { 'text/plain': '<Figure>', 'image/png': 'iVBOR' }, metadata: {} } };
    const items: EngineOutput[] = [error(1), result(0, '42', 5), display, out(0, 'err\n', 'stderr'), out(0, 'hi\n')];
    const lines = formatOutputs(items).split('\n');
    assert.equal(lines[0], '[stdout:0] hi');
    assert.equal(lines[1], '[stderr:0] err');
    assert.equal(lines[2], '[output:0] <Figure> (image/png: see the results panel)');
    assert.equal(lines[3], 'Out[0:5]: 42');
    assert.equal(lines[4], '[1:execute]:');
    assert.match(lines[5], /^-+$/);
  });

  it('writes Out[engine:count] and groups equal results with equal counts', () => {
    assert.equal(formatOutputs([result(0, '4', 3), result(1, '4', 3)]), 'Out[0,1:3]: 4\n');
    assert.equal(formatOutputs([result(0, '4', 3), result(1, '4', 7)]), 'Out[0:3,1:7]: 4\n');
    assert.equal(formatOutputs([result(2, '1', 1), result(0, '0', 1)]), 'Out[0:1]: 0\nOut[2:1]: 1\n');
  });

  it('puts a multi-line output under its label', () => {
    assert.equal(formatOutputs([out(0, 'one\ntwo\n')]), '[stdout:0]\none\ntwo\n');
    assert.equal(formatOutputs([result(0, 'array([[1, 2],\n       [3, 4]])', 2)]), 'Out[0:2]:\narray([[1, 2],\n       [3, 4]])\n');
  });

  it('concatenates the stream chunks of one engine before comparing engines', () => {
    const text = formatOutputs([out(0, 'a'), out(1, 'a\n'), out(0, '\n')]);
    assert.equal(text, '[stdout:0,1] a\n');
  });

  it('writes [N:execute]: before each traceback, ANSI stripped, grouped when identical', () => {
    const text = formatOutputs([error(0), error(1), error(3)]);
    assert.ok(text.startsWith('[0,1,3:execute]:\n'), text);
    assert.ok(!text.includes('\u001b'));
    assert.equal(text.match(/execute\]/g)?.length, 1);
    const differ = formatOutputs([error(0), error(1, ['other'])]);
    assert.match(differ, /^\[0:execute\]:\n[\s\S]*\n\[1:execute\]:\nother\n$/);
  });

  it('labels a load-balanced output without an engine yet with ?', () => {
    assert.equal(formatOutputs([out(undefined, 'x\n')]), '[stdout:?] x\n');
  });

  it('continues a stream without repeating its label (FormatState)', () => {
    const state = {};
    assert.equal(formatOutputs([out(0, '1\n')], state), '[stdout:0] 1\n');
    assert.equal(formatOutputs([out(0, '2\n')], state), '2\n');
    assert.equal(formatOutputs([out(1, '3\n')], state), '[stdout:1] 3\n');
  });

  it('formats run headers and footers', () => {
    assert.match(formatRunHeader({ title: 'print(rank)', targets: 'all', created: '2025-01-02T03:04:05Z' }), /^── print\(rank\)  ·  all engines  ·  \d\d:\d\d:\d\d ──\n$/);
    // While several clusters are connected the header names the cluster the run is on.
    assert.equal(formatRunHeader({ title: 'x', targets: 'all', cluster: 'default/gpu' }), '── x  ·  all engines  ·  default/gpu ──\n');
    assert.equal(formatRunFooter({ state: 'done', done: 4, total: 4, elapsedMs: 420 }), '── done 4/4 in 420 ms ──\n');
    assert.equal(formatRunFooter({ state: 'error', done: 4, total: 4, elapsedMs: 2000, failed: 1 }), '── error: 1 of 4 tasks in 2.0 s ──\n');
  });
});

describe('PxStream: streaming runs into an append-only channel', () => {
  function harness() {
    let now = 1000;
    const written: string[] = [];
    const stream = new PxStream((t) => written.push(t), () => now, 150, 1000, 400);
    return { stream, written, text: () => written.join(''), advance: (ms: number) => (now += ms) };
  }
  const info = (state: 'running' | 'done', done = 0) => ({
    runId: 'r1',
    title: 'print(1)',
    targets: 'all' as const,
    state,
    done,
    total: 2,
    elapsedMs: 300,
  });
  const stdout = (text: string): OutputItem => ({ kind: 'stream', name: 'stdout', text });

  it('groups a short run exactly as %px does, then writes the footer after the grace period', () => {
    const h = harness();
    h.stream.setRun(info('running'));
    h.stream.push('r1', 0, stdout('1\n'));
    h.stream.push('r1', 1, stdout('1\n'));
    h.stream.setRun(info('done', 2));
    h.stream.flush();
    assert.equal(h.text(), '── print(1)  ·  all engines ──\n[stdout:0,1] 1\n', 'the footer waits a moment for outputs still in flight');
    h.advance(200);
    h.stream.flush();
    assert.equal(h.text(), '── print(1)  ·  all engines ──\n[stdout:0,1] 1\n── done 2/2 in 300 ms ──\n');
    assert.equal(h.stream.busy, false);
  });

  it('holds a running run\'s outputs for a moment, so that several engines group', () => {
    const h = harness();
    h.stream.setRun(info('running'));
    h.stream.push('r1', 0, stdout('same\n'));
    h.advance(300);
    h.stream.flush();
    h.stream.push('r1', 1, stdout('same\n'));
    assert.equal(h.text(), '');
    h.advance(100);
    h.stream.flush();
    assert.equal(h.text(), '── print(1)  ·  all engines ──\n[stdout:0,1] same\n');
  });

  it('writes a running run\'s outputs at once when every engine\'s output is in, grouped', () => {
    const h = harness();
    h.stream.setRun(info('running'));
    h.stream.push('r1', 0, stdout('same\n'));
    h.stream.flush();
    assert.equal(h.text(), '', 'one engine of two: held');
    h.stream.push('r1', 1, stdout('same\n'));
    h.stream.flush();
    assert.equal(h.text(), '── print(1)  ·  all engines ──\n[stdout:0,1] same\n', 'no wait once both engines are in');
  });

  it('streams a long run window by window, continuing the same label bare', () => {
    const h = harness();
    h.stream.setRun(info('running'));
    h.stream.push('r1', 0, stdout('tick 1\n'));
    h.advance(400);
    h.stream.flush();
    h.stream.push('r1', 0, stdout('tick 2\n'));
    h.advance(400);
    h.stream.flush();
    assert.match(h.text(), /\[stdout:0\] tick 1\ntick 2\n$/);
    assert.equal(h.stream.busy, true);
  });

  it('marks interleaved runs as continued', () => {
    const h = harness();
    h.stream.setRun(info('running'));
    h.stream.setRun({ ...info('running'), runId: 'r2', title: 'other()' });
    h.stream.push('r1', 0, stdout('a\n'));
    h.advance(400);
    h.stream.flush();
    h.stream.push('r2', 0, stdout('b\n'));
    h.advance(400);
    h.stream.flush();
    h.stream.push('r1', 0, stdout('c\n'));
    h.advance(400);
    h.stream.flush();
    assert.equal(
      h.text(),
      '── print(1)  ·  all engines ──\n[stdout:0] a\n' +
        '── other()  ·  all engines ──\n[stdout:0] b\n' +
        '── print(1) (continued) ──\n[stdout:0] c\n',
    );
  });

  it('writes the header of a quiet run after a moment, not at once', () => {
    const h = harness();
    h.stream.setRun(info('running'));
    h.stream.flush();
    assert.equal(h.text(), '');
    h.advance(1000);
    h.stream.flush();
    assert.equal(h.text(), '── print(1)  ·  all engines ──\n');
  });

  it('never writes runs it was told to ignore, and waits a moment for an unknown run', () => {
    const h = harness();
    h.stream.ignore(['old']);
    h.stream.push('old', 0, stdout('x\n'));
    h.stream.push('new', 0, stdout('y\n'));
    h.stream.flush();
    assert.equal(h.text(), '');
    h.advance(1001);
    h.stream.flush();
    assert.equal(h.text(), '── run new  ·  all engines ──\n[stdout:0] y\n');
  });

  it('writes a new run again under an ignored id once that run left the model (the server restarted)', () => {
    const h = harness();
    h.stream.ignore(['r1']);
    h.stream.remove('r1');
    h.stream.push('r1', 0, stdout('again\n'), { title: 'x', targets: [0] });
    h.advance(1001);
    h.stream.flush();
    assert.match(h.text(), /\[stdout:0\] again/);
  });

  it('writes a new run under the id of a finished run that left the model as a new run, not as late output', () => {
    const h = harness();
    h.stream.setRun(info('done', 2));
    h.stream.flush(true);
    h.stream.remove('r1');
    // Run ids restart with the server and are per cluster: the next r1 is another run, whose output may come first.
    h.stream.push('r1', 0, stdout('x = 6\n'), { title: 'x = 6', targets: 'all', tasks: 1 });
    h.stream.setRun({ ...info('done', 1), title: 'x = 6', total: 1 });
    h.advance(200);
    h.stream.flush();
    assert.doesNotMatch(h.text(), /late output/);
    assert.match(h.text(), /── x = 6  ·  all engines ──\n\[stdout:0\] x = 6\n── done 1\/1/);
  });

  it("titles a run from the intro on its first output, without waiting for the run's summary", () => {
    const h = harness();
    h.stream.push('r9', 0, stdout('hi\n'), { title: 'greet()', targets: [0] });
    h.advance(400);
    h.stream.flush();
    assert.equal(h.text(), '── greet()  ·  engine 0 ──\n[stdout:0] hi\n');
  });

  it("writes a run's first chunk at once, grouped, when the intro's task count says every engine's output is in", () => {
    const h = harness();
    const intro = { title: 'print(1)', targets: 'all' as const, tasks: 2 };
    h.stream.push('r7', 0, stdout('1\n'), intro);
    h.stream.flush();
    assert.equal(h.text(), '', 'one engine of two: held for grouping');
    h.stream.push('r7', 1, stdout('1\n'));
    h.stream.flush();
    assert.equal(h.text(), '── print(1)  ·  all engines ──\n[stdout:0,1] 1\n', 'no wait for the summary or the hold');
  });

  it('writes a late output under its finished run title, and a re-run as a new block', () => {
    const h = harness();
    h.stream.setRun(info('done', 2));
    h.stream.flush(true);
    h.stream.push('r1', 1, stdout('late\n'));
    h.stream.flush();
    assert.match(h.text(), /── late output of print\(1\) ──\n\[stdout:1\] late\n$/);
    h.stream.setRun(info('done', 2));
    h.stream.flush(true);
    assert.equal(h.text().match(/── print\(1\)  ·/g)?.length, 1, 'an unchanged finished run is not written again');
    h.stream.setRun(info('running'));
    h.stream.flush(true);
    assert.equal(h.text().match(/── print\(1\)  ·/g)?.length, 2);
  });
});
