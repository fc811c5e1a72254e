import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskInfo } from '../../src/core/client/types';
import { cleanEvalue, diagnosticsForRun, MAX_DIAGNOSTIC_EVALUE } from '../../src/server/diagnostics';
import type { RunRecord } from '../../src/server/runs';
import { locateInCell, parseTraceback, syntaxLineFromEvalue } from '../../src/server/traceback';

/** An IPython 8.5 traceback of `raise ValueError(evalue)` on line `line` of cell 3, colours included. */
function ipythonTraceback(evalue: string, line = 1): string[] {
  return [
    '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m',
    '\u001b[0;31mValueError\u001b[0m                                Traceback (most recent call last)',
    `Cell \u001b[0;32mIn [3], line ${line}\u001b[0m\n\u001b[0;32m----> ${line}\u001b[0m \u001b[38;5;28;01mraise\u001b[39;00m \u001b[38;5;167;01mValueError\u001b[39;00m(\u001b[38;5;124m"\u001b[39m\u001b[38;5;124m \u001b[39m\u001b[38;5;124m"\u001b[39m \u001b[38;5;241m*\u001b[39m \u001b[38;5;241m2_000_000\u001b[39m)\n`,
    `\u001b[0;31mValueError\u001b[0m: ${evalue}`,
  ];
}

function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

/** As it arrives: a flat string out of JSON.parse (a concatenation in the test would be a rope, flattened on first use). */
const fromWire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const HOSTILE = fromWire(' '.repeat(2_000_000) + '(a.py)x');

describe('hostile engine text vs regexes', () => {
  it('a 2 MB evalue of spaces + "(a.py)x" is cleaned in well under 100 ms', () => {
    for (const ename of ['ValueError', 'SyntaxError']) {
      const [text, ms] = timed(() => cleanEvalue(ename, HOSTILE));
      assert.ok(ms < 100, `${ename}: ${ms.toFixed(1)} ms`);
      assert.ok(text.length <= MAX_DIAGNOSTIC_EVALUE + 40, `kept ${text.length} characters`);
      assert.match(text, /more characters\]$/);
    }
    const spoof = fromWire(HOSTILE.replace('x', ', line 3)'));
    const [line, ms] = timed(() => syntaxLineFromEvalue(spoof));
    assert.ok(ms < 100, `${ms} ms`);
    assert.equal(line, undefined, 'no "(file, line N)" suffix: "(a.py), line 3)" is not one');
    assert.equal(syntaxLineFromEvalue(fromWire(`${' '.repeat(2_000_000)}invalid syntax (4058.py, line 3)  `)), 3);
  });

  it('the SyntaxError suffix is still removed, after any amount of text', () => {
    assert.equal(cleanEvalue('SyntaxError', 'invalid syntax (4058.py, line 2)'), 'invalid syntax');
    assert.equal(cleanEvalue('SyntaxError', `${'('.repeat(100_000)} (4058.py, line 2) \n`), '('.repeat(MAX_DIAGNOSTIC_EVALUE) + `… [${100_000 - MAX_DIAGNOSTIC_EVALUE} more characters]`);
    assert.equal(cleanEvalue('StopIteration', "'x' (a.py, line 2)"), "'x' (a.py, line 2)", 'only *Error names');
  });

  it('a traceback carrying the 2 MB evalue is parsed in well under 100 ms, and still finds the line', () => {
    const tb = fromWire(ipythonTraceback(HOSTILE, 2));
    const [loc, ms] = timed(() => locateInCell({ ename: 'ValueError', evalue: HOSTILE, traceback: tb }, 3));
    assert.ok(ms < 100, `${ms.toFixed(1)} ms`);
    assert.equal(loc?.line, 2);
  });

  it('pathological lines (colons, "File" headers, arrows, parentheses) stay fast', () => {
    const lines = [
      `File ${':1, in x'.repeat(200_000)}`,
      `  File "${'", line 1'.repeat(100_000)}`,
      ` ${'-'.repeat(1_000_000)}`,
      `${'/'.repeat(500_000)}ipykernel_1/2.py`,
      `<ipython-input-${'1'.repeat(1_000_000)}`,
      `${'('.repeat(1_000_000)}, line 1)`,
    ];
    for (const l of fromWire(lines)) {
      const [, ms] = timed(() => parseTraceback([l, l], 'SyntaxError'));
      assert.ok(ms < 100, `${l.slice(0, 20)}…: ${ms.toFixed(1)} ms`);
      const [, ms2] = timed(() => syntaxLineFromEvalue(l));
      assert.ok(ms2 < 100, `evalue ${l.slice(0, 20)}…: ${ms2.toFixed(1)} ms`);
    }
    const many = fromWire(Array.from({ length: 100_000 }, (_, i) => `File /x/y${i}.py:${i}, in f(${'a:'.repeat(20)})`));
    const [, ms] = timed(() => parseTraceback(many));
    assert.ok(ms < 100, `100,000 frames: ${ms.toFixed(1)} ms`);
  });

  it('a diagnostic for the hostile error is made quickly and carries a bounded message', () => {
    const task: TaskInfo = {
      msgId: 'm0',
      queue: 'mux',
      state: 'error',
      code: '',
      engineId: 0,
      executionCount: 3,
      submitted: '2026-01-01T00:00:00.000Z',
      outputs: [],
      error: fromWire({ ename: 'ValueError', evalue: HOSTILE, traceback: ipythonTraceback(HOSTILE) }),
    };
    const record: RunRecord = {
      run: { id: 'r1', code: 'raise ValueError(" " * 2_000_000 + "(a.py)x")\n', targets: 'all', msgIds: ['m0'], created: '2026-01-01T00:00:00.000Z' },
      uri: 'file:///a.py',
      line: 4,
      resubmitted: [],
    };
    const [diags, ms] = timed(() => diagnosticsForRun(record, [task]));
    assert.ok(ms < 100, `${ms.toFixed(1)} ms`);
    assert.equal(diags.length, 1);
    assert.equal(diags[0].range.start.line, 4);
    const message = diags[0].message as string;
    assert.ok(message.length < MAX_DIAGNOSTIC_EVALUE + 100, `message of ${message.length} characters`);
  });
});
