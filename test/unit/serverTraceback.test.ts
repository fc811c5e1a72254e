import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cellLineToCodeLine,
  leadingBlankLines,
  locateInCell,
  parseTraceback,
  stripAnsi,
  syntaxLineFromEvalue,
} from '../../src/server/traceback';
import { readFixture } from './support/fixtures';

interface Case {
  label: string;
  code: string;
  expectedLine: number | null;
  status: string;
  executionCount: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

const captured = JSON.parse(readFixture('ipython-tracebacks.json')) as { versions: Record<string, string>; cases: Case[] };
const examples = JSON.parse(readFixture('protocol-examples.json')) as {
  examples: { label: string; content: { status?: string; ename?: string; evalue?: string; traceback?: string[] } }[];
};

/** The 1-based line of the code as sent that the error maps to, the way diagnostics compute it. */
function mappedLine(c: { code: string; ename: string; evalue: string; traceback: string[] }, executionCount?: number): number | undefined {
  const loc = locateInCell(c, executionCount);
  if (!loc) return undefined;
  const i = cellLineToCodeLine(c.code, loc.line, loc.source);
  return i === undefined ? undefined : i + 1;
}

describe('stripAnsi', () => {
  it('removes colours and keeps the text', () => {
    assert.equal(stripAnsi('Cell \u001b[0;32mIn [1], line 1\u001b[0m'), 'Cell In [1], line 1');
    assert.equal(stripAnsi('\u001b[38;5;241;43m1\u001b[39;49m/\u001b[38;5;241;43m0'), '1/0');
  });

  it('removes OSC hyperlinks', () => {
    assert.equal(stripAnsi('\u001b]8;;file:///x.py\u001b\\x.py\u001b]8;;\u001b\\'), 'x.py');
  });
});

describe('tracebacks captured from a live engine', () => {
  it(`were captured from IPython ${captured.versions.IPython} / ipykernel ${captured.versions.ipykernel}`, () => {
    assert.ok(captured.cases.filter((c) => c.status === 'error').length >= 10);
  });

  for (const c of captured.cases.filter((x) => x.status === 'error')) {
    it(`maps "${c.label}" to line ${c.expectedLine}`, () => {
      const err = { code: c.code, ename: c.ename as string, evalue: c.evalue as string, traceback: c.traceback as string[] };
      assert.equal(mappedLine(err, c.executionCount ?? undefined), c.expectedLine);
      // Without the execution count the first cell frame identifies the cell.
      assert.equal(mappedLine(err), c.expectedLine);
    });
  }

  it('picks the innermost frame of the executed cell and lists the call sites', () => {
    const c = captured.cases.find((x) => x.label.startsWith('function defined and called')) as Case;
    const loc = locateInCell({ ename: c.ename as string, evalue: c.evalue as string, traceback: c.traceback as string[] });
    assert.deepEqual(loc?.callers, [5]);
    assert.equal(loc?.line, 2);
    assert.equal(loc?.source?.trim(), 'return x/0');
  });

  it('ignores frames of other cells (a function defined in an earlier run)', () => {
    const c = captured.cases.find((x) => x.label === 'calls a function from an earlier cell') as Case;
    const parsed = parseTraceback(c.traceback as string[]);
    assert.deepEqual(
      parsed.frames.map((f) => [f.cell, f.line]),
      [
        [String(c.executionCount), 2],
        [String((c.executionCount as number) - 1), 1],
      ],
    );
    assert.equal(locateInCell({ ename: c.ename as string, evalue: '', traceback: c.traceback as string[] }, c.executionCount ?? undefined)?.line, 2);
  });

  it('reads library frames as files', () => {
    const c = captured.cases.find((x) => x.label === 'error inside a library call') as Case;
    const files = parseTraceback(c.traceback as string[]).frames.filter((f) => f.file);
    assert.ok(files.length >= 2);
    assert.match(files[0].file as string, /json\/__init__\.py$/);
    assert.equal(typeof files[0].line, 'number');
  });

  it('uses the last exception of a chain', () => {
    const c = captured.cases.find((x) => x.label === 'chained exception') as Case;
    assert.deepEqual(
      parseTraceback(c.traceback as string[]).frames.map((f) => f.line),
      [4],
    );
  });

  it('reads SyntaxError blocks: line from the header, source from the next line', () => {
    const c = captured.cases.find((x) => x.label === 'syntax error: missing colon') as Case;
    const parsed = parseTraceback(c.traceback as string[], c.ename);
    assert.equal(parsed.syntax?.line, 2);
    assert.equal(parsed.syntax?.source, 'if x');
  });
});

describe('the captured protocol examples (ipyparallel 7.1)', () => {
  it('map ZeroDivisionError and KeyboardInterrupt to their cell lines', () => {
    const zero = examples.examples.find((e) => e.label === 'execute_reply (error)')?.content;
    const sigint = examples.examples.find((e) => e.label === 'execute_reply (interrupted by signal)')?.content;
    assert.ok(zero && sigint);
    assert.equal(locateInCell(zero as Required<typeof zero>)?.line, 1);
    assert.equal(locateInCell(sigint as Required<typeof sigint>)?.line, 2);
  });

  it('find no cell line in scheduler and hub errors', () => {
    const sched = examples.examples.find((e) => e.label === 'scheduler reply for invalid dependency')?.content;
    assert.ok(sched);
    assert.equal(locateInCell(sched as Required<typeof sched>), undefined);
  });
});

describe('other IPython spellings (from IPython 7 and 8.0-8.4 sources)', () => {
  it('IPython 7: <ipython-input-N-hash> with the line on the arrow', () => {
    const tb = [
      '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m',
      '\u001b[0;31mZeroDivisionError\u001b[0m                         Traceback (most recent call last)',
      '\u001b[0;32m<ipython-input-3-9e1622b385b6>\u001b[0m in \u001b[0;36m<module>\u001b[0;34m\u001b[0m\n\u001b[1;32m      1\u001b[0m \u001b[0mx\u001b[0m \u001b[0;34m=\u001b[0m \u001b[0;36m1\u001b[0m\u001b[0;34m\u001b[0m\u001b[0;34m\u001b[0m\u001b[0m\n\u001b[0;32m----> 2\u001b[0;31m \u001b[0;36m1\u001b[0m\u001b[0;34m/\u001b[0m\u001b[0;36m0\u001b[0m\u001b[0;34m\u001b[0m\u001b[0;34m\u001b[0m\u001b[0m\n\u001b[0m',
      '\u001b[0;31mZeroDivisionError\u001b[0m: division by zero',
    ];
    assert.deepEqual(locateInCell({ ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: tb }), { line: 2, source: '1/0', callers: [] });
  });

  it('IPython 7 under ipykernel 6: /tmp/ipykernel_N/M.py in <module>', () => {
    const tb = ['Traceback', '/tmp/ipykernel_4242/3045227.py in <module>\n      1 a = 1\n----> 2 a/0\n', 'ZeroDivisionError: division by zero'];
    assert.equal(locateInCell({ ename: 'ZeroDivisionError', evalue: '', traceback: tb })?.line, 2);
  });

  it('IPython 8.0-8.4: Input In [N], in <cell line: L>()', () => {
    const tb = ['-----', 'NameError   Traceback (most recent call last)', 'Input In [4], in <cell line: 3>()\n      1 a = 1\n      2 b = 2\n----> 3 c\n', "NameError: name 'c' is not defined"];
    assert.equal(locateInCell({ ename: 'NameError', evalue: '', traceback: tb })?.line, 3);
  });

  it('IPython 8.6+: Cell In[N], line L (no space)', () => {
    const tb = ['-----', 'ValueError   Traceback (most recent call last)', 'Cell In[7], line 5\n----> 5 raise ValueError()\n', 'ValueError: '];
    assert.equal(locateInCell({ ename: 'ValueError', evalue: '', traceback: tb })?.line, 5);
  });

  it('IPython 7 SyntaxError: File "<ipython-input-..>", line L', () => {
    const tb = ['\u001b[0;36m  File \u001b[0;32m"<ipython-input-2-e8bd4a5d5b0c>"\u001b[0;36m, line \u001b[0;32m3\u001b[0m\n\u001b[0;31m    if x\u001b[0m\n\u001b[0m        ^\u001b[0m\n\u001b[0;31mSyntaxError\u001b[0m\u001b[0;31m:\u001b[0m invalid syntax\n'];
    assert.deepEqual(locateInCell({ ename: 'SyntaxError', evalue: 'invalid syntax (<ipython-input-2-e8bd4a5d5b0c>, line 3)', traceback: tb }), {
      line: 3,
      source: 'if x',
      callers: [],
    });
  });

  it('falls back to the evalue for a SyntaxError without a readable block', () => {
    assert.equal(syntaxLineFromEvalue("expected ':' (492596523.py, line 2)"), 2);
    assert.equal(locateInCell({ ename: 'SyntaxError', evalue: "expected ':' (492596523.py, line 7)", traceback: [] })?.line, 7);
  });
});

describe('cell lines to code lines', () => {
  it('skips the leading blank lines IPython strips', () => {
    assert.equal(leadingBlankLines(['', '  ', 'x = 1', '']), 2);
    assert.equal(cellLineToCodeLine('\n\nx = 1\n1/0\n', 2), 3);
  });

  it('trusts the displayed source when an IPython did not strip them', () => {
    assert.equal(cellLineToCodeLine('\n\nx = 1\n1/0\n', 4, '1/0'), 3);
    assert.equal(cellLineToCodeLine('\nx = 1\ny = 2\n', 2, 'x = 1'), 1);
  });

  it('rejects lines outside the code', () => {
    assert.equal(cellLineToCodeLine('x = 1', 5), undefined);
  });
});
