import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResponseError } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TaskInfo } from '../../src/core/client/types';
import { completionItems } from '../../src/server/completion';
import { diagnosticsForRun, documentStillMatches, enginesPhrase } from '../../src/server/diagnostics';
import { toResponseError } from '../../src/server/errors';
import { groupValues, hoverMarkdown, truncateRepr } from '../../src/server/hover';
import { DEFAULT_SERVER_SETTINGS, ErrorCodes } from '../../src/shared/protocol';
import { codePointsToUtf16, dottedNameAt, lexicalContext, utf16ToCodePoints } from '../../src/server/pythonText';
import { parseConnectParams } from '../../src/server/params';
import { purgeWhenRecorded } from '../../src/server/session';
import { toTaskSummary as taskSummary } from '../../src/server/toWire';
import { overallState, RunsTable, runTitle, type RunRecord } from '../../src/server/runs';

const resolveConnectionFile = (p: unknown): string => parseConnectParams(p).connectionFile;
import type { ClusterClientLike } from '../../src/server/clientApi';
import { mergeSettings } from '../../src/server/settings';
import { readFixture } from './support/fixtures';

const zeroDivision = (JSON.parse(readFixture('ipython-tracebacks.json')) as { cases: { label: string; traceback?: string[] }[] }).cases.find(
  (c) => c.label === 'zero division on line 3',
)?.traceback as string[];

function task(over: Partial<TaskInfo>): TaskInfo {
  return { msgId: 'm', queue: 'mux', state: 'done', code: '', submitted: '2026-01-01T00:00:00.000Z', outputs: [], ...over };
}

function record(code: string, line?: number, version?: number): RunRecord {
  return { run: { id: 'r1', code, targets: 'all', msgIds: ['m0', 'm1'], created: '2026-01-01T00:00:00.000Z' }, uri: 'file:///a.py', line, version, resubmitted: [] };
}

describe('dottedNameAt', () => {
  it('finds names and dotted names up to the hovered part', () => {
    assert.deepEqual(dottedNameAt('print(value)', 8), { name: 'value', start: 6, end: 11 });
    assert.deepEqual(dottedNameAt('x = a.b.c + 1', 6), { name: 'a.b', start: 4, end: 7 });
    assert.deepEqual(dottedNameAt('x = a.b.c + 1', 4), { name: 'a', start: 4, end: 5 });
    assert.equal(dottedNameAt('value', 5)?.name, 'value'); // just after the name
    assert.equal(dottedNameAt('données = 1', 2)?.name, 'données');
  });

  it('refuses keywords, numbers, calls, subscripts, comments and strings', () => {
    assert.equal(dottedNameAt('for x in y:', 1), undefined);
    assert.equal(dottedNameAt('x = 1.5', 6), undefined);
    assert.equal(dottedNameAt('f().attr', 5), undefined);
    assert.equal(dottedNameAt('d[0].attr', 6), undefined);
    assert.equal(dottedNameAt('x = 1  # value', 10), undefined);
    assert.equal(dottedNameAt("s = 'value'", 7), undefined);
    assert.equal(dottedNameAt('x = y', 2), undefined);
  });

  it('tells code, comments and strings apart', () => {
    assert.equal(lexicalContext('a = "#" + b', 10), 'code');
    assert.equal(lexicalContext('a = "x\\"y', 9), 'string');
    assert.equal(lexicalContext("a = '''doc", 10), 'string');
    assert.equal(lexicalContext('a = 1 # note', 10), 'comment');
  });

  it('converts between UTF-16 offsets and code points', () => {
    const line = 'x = "🐍" + ab';
    const utf16 = line.indexOf('ab') + 2;
    assert.equal(utf16ToCodePoints(line, utf16), utf16 - 1);
    assert.equal(codePointsToUtf16(line, utf16 - 1), utf16);
    assert.equal(codePointsToUtf16('ab', 10), 2);
  });
});

describe('settings', () => {
  it('takes partial settings directly, under ipyparallel, or under ipyparallel.server', () => {
    assert.equal(mergeSettings(DEFAULT_SERVER_SETTINGS, { hover: false }).hover, false);
    assert.equal(mergeSettings(DEFAULT_SERVER_SETTINGS, { ipyparallel: { notificationBatchMs: 5 } }).notificationBatchMs, 5);
    assert.equal(mergeSettings(DEFAULT_SERVER_SETTINGS, { ipyparallel: { server: { completion: false } } }).completion, false);
    assert.equal(mergeSettings(DEFAULT_SERVER_SETTINGS, { diagnostics: { enabled: false } }).diagnostics, false);
  });

  it('keeps the current value for wrong types and ignores unknown keys', () => {
    const s = mergeSettings(DEFAULT_SERVER_SETTINGS, { hover: 'no', connectTimeoutMs: -1, requestTimeoutMs: 'x', other: 1 });
    assert.deepEqual(s, DEFAULT_SERVER_SETTINGS);
    assert.deepEqual(mergeSettings(DEFAULT_SERVER_SETTINGS, null), DEFAULT_SERVER_SETTINGS);
  });
});

describe('diagnostics for a run', () => {
  const code = 'a = 1\nb = 2\n1/0\n';
  const failed = (engineId: number | undefined, msgId: string) =>
    task({ msgId, engineId, state: 'error', executionCount: 1, error: { ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: zeroDivision } });

  it('maps the failing line through the run line and lists the engines once', () => {
    const doc = TextDocument.create('file:///a.py', 'python', 1, '\n'.repeat(10) + '  ' + code.replace('1/0', '1/0   '));
    const diags = diagnosticsForRun(record(code, 10, 1), [failed(1, 'm1'), failed(0, 'm0')], doc);
    assert.equal(diags.length, 1);
    assert.deepEqual(diags[0].range, { start: { line: 12, character: 0 }, end: { line: 12, character: 3 } });
    assert.equal(diags[0].message, 'ZeroDivisionError: division by zero (on engines 0, 1)');
  });

  it('puts errors with no cell frame on the first code line', () => {
    const sched = task({ state: 'error', error: { ename: 'InvalidDependency', evalue: '', traceback: ['Traceback (most recent call last):\n', 'ipyparallel.error.InvalidDependency\n'] } });
    const diags = diagnosticsForRun(record('\n\nx = 1\n', 5), [sched]);
    assert.equal(diags[0].range.start.line, 7);
    assert.equal(diags[0].message, 'InvalidDependency (on a load-balanced engine)');
  });

  it('makes an interrupted run a warning', () => {
    const examples = JSON.parse(readFixture('protocol-examples.json')) as { examples: { label: string; content: { traceback: string[] } }[] };
    const tb = examples.examples.find((e) => e.label === 'execute_reply (interrupted by signal)')?.content.traceback as string[];
    const code = 'import time\nfor i in range(300): time.sleep(0.1)';
    const diags = diagnosticsForRun(record(code, 4), [task({ state: 'error', engineId: 1, error: { ename: 'KeyboardInterrupt', evalue: '', traceback: tb } })]);
    assert.equal(diags[0].severity, 2);
    assert.equal(diags[0].range.start.line, 5);
    assert.equal(diags[0].message, 'KeyboardInterrupt (on engine 1)');
  });

  it('says which engines failed', () => {
    assert.equal(enginesPhrase([3]), 'on engine 3');
    assert.equal(enginesPhrase([2, 0, 2]), 'on engines 0, 2');
    assert.equal(enginesPhrase([undefined, undefined]), 'on 2 load-balanced engines');
    assert.equal(enginesPhrase([1, undefined]), 'on engine 1 and 1 load-balanced engine');
  });

  it('accepts an edited document only while it still holds the code at the run line', () => {
    const text = '# head\n' + code;
    const doc = TextDocument.create('file:///a.py', 'python', 3, text);
    assert.equal(documentStillMatches(doc, record(code, 1, 3)), true);
    assert.equal(documentStillMatches(doc, record(code, 1, 2)), true); // edited elsewhere
    assert.equal(documentStillMatches(doc, record(code, 0, 2)), false); // the code moved
  });
});

describe('runs', () => {
  it('titles a run by its first non-empty line', () => {
    assert.equal(runTitle('\n  import os  \nx'), 'import os');
    assert.equal(runTitle('x'.repeat(300)).length, 200);
  });

  it('is running until every task is terminal, then the worst state', () => {
    assert.equal(overallState([task({ state: 'done' }), task({ state: 'running' })]), 'running');
    assert.equal(overallState([task({ state: 'done' }), task({ state: 'aborted' }), task({ state: 'error' })]), 'error');
    assert.equal(overallState([task({ state: 'lost' }), task({ state: 'done' })]), 'lost');
    assert.equal(overallState([]), 'done');
  });

  it('forgets the oldest runs whose tasks the client no longer tracks, and stops at the first live one', () => {
    const tracked = new Map<string, TaskInfo>([['b1', task({ msgId: 'b1' })], ['c1', task({ msgId: 'c1' })]]);
    const client = { task: (id: string) => tracked.get(id) } as unknown as ClusterClientLike;
    const table = new RunsTable(() => client);
    for (const id of ['a', 'b', 'c']) table.add({ id, code: '', targets: 'all', msgIds: [`${id}1`], created: '' }, {});
    tracked.delete('c1'); // a newer run's task is gone too, but pruning stops at the live 'b'
    assert.deepEqual(table.pruneForgotten(), ['a']);
    assert.deepEqual(table.ids(), ['b', 'c']);
    assert.equal(table.runOf('a1'), undefined);
  });

  it('summarizes a task without its outputs and code', () => {
    const s = taskSummary(task({ code: 'x', outputs: [{ kind: 'stream', name: 'stdout', text: 'a' }] }));
    assert.equal(s.outputCount, 1);
    assert.equal('outputs' in s || 'code' in s, false);
  });
});

describe('hover values', () => {
  it('groups identical reprs and skips errors', () => {
    const values = new Map([
      [1, { status: 'ok' as const, data: { 'text/plain': '42' } }],
      [0, { status: 'ok' as const, data: { 'text/plain': '42' } }],
      [2, { status: 'ok' as const, data: { 'text/plain': '\u001b[0;31m7\u001b[0m' } }],
      [3, { status: 'error' as const, ename: 'NameError', evalue: '', traceback: [] }],
    ]);
    assert.deepEqual(groupValues(values), [
      { repr: '42', engines: [0, 1] },
      { repr: '7', engines: [2] },
    ]);
  });

  it('renders markdown with a fence longer than any in the value, and truncates', () => {
    assert.equal(hoverMarkdown('x', [{ repr: 'a```b', engines: [0] }]), '`x` on engine 0\n````python\na```b\n````');
    const long = truncateRepr('x'.repeat(5000));
    assert.ok(long.length < 1600 && long.endsWith('(5,000 characters in all)'));
    assert.equal(truncateRepr(Array.from({ length: 100 }, () => 'l').join('\n')).split('\n').length, 26);
  });
});

describe('completion items', () => {
  it('maps code-point offsets to a UTF-16 TextEdit range and keeps the engine order', () => {
    const line = 's = "🐍"; np.ar';
    const cp = [...line].length;
    const items = completionItems({ matches: ['arange', 'array'], cursorStart: cp - 2, cursorEnd: cp, types: [{ text: 'array', type: 'function', signature: '(object)' }] }, line, 4);
    assert.deepEqual(items[0].textEdit, { range: { start: { line: 4, character: line.length - 2 }, end: { line: 4, character: line.length } }, newText: 'arange' });
    assert.equal(items[1].detail, 'function array(object)');
    assert.ok((items[0].sortText as string) < (items[1].sortText as string));
  });
});

describe('errors and params', () => {
  it('maps core error codes to ipp ErrorCodes with data', () => {
    const fileError = Object.assign(new Error('x.json does not exist'), { code: 'ERR_CONNECTION_FILE', file: '/x.json', field: undefined });
    const e = toResponseError(fileError, true);
    assert.ok(e instanceof ResponseError);
    assert.equal(e.code, ErrorCodes.ConnectFailed);
    assert.deepEqual(e.data, { code: 'ERR_CONNECTION_FILE', file: '/x.json' });
    assert.equal(toResponseError(Object.assign(new Error('late'), { code: 'ERR_TIMEOUT' })).code, ErrorCodes.Timeout);
    assert.equal(toResponseError(Object.assign(new Error('gone'), { code: 'ERR_NOT_CONNECTED' })).code, ErrorCodes.NotConnected);
    const hub = toResponseError(Object.assign(new Error('hub'), { code: 'ERR_HUB', ename: 'KeyError', evalue: "'x'" }));
    assert.equal(hub.code, ErrorCodes.RemoteFailed);
    assert.deepEqual(hub.data, { code: 'ERR_HUB', ename: 'KeyError', evalue: "'x'" });
    assert.equal(toResponseError(new Error('bug')).code, -32603);
  });

  it('resolves ipp/connect params to a connection file', () => {
    assert.equal(resolveConnectionFile({ connectionFile: '/a/b.json' }), '/a/b.json');
    assert.equal(resolveConnectionFile({ ipythonDir: '/ip', profile: 'mpi', clusterId: 'c1' }), '/ip/profile_mpi/security/ipcontroller-c1-client.json');
    assert.equal(resolveConnectionFile({ ipythonDir: '/ip' }), '/ip/profile_default/security/ipcontroller-client.json');
    assert.throws(() => resolveConnectionFile({ connectionFile: '' }), (e: ResponseError<unknown>) => e.code === ErrorCodes.InvalidParams);
  });

  it('retries a purge the hub refuses while it still counts a task as pending, and nothing else', async () => {
    const hubError = (evalue: string) => Object.assign(new Error(`IndexError: ${evalue}`), { code: 'ERR_HUB', ename: 'IndexError', evalue });
    /** A client whose purge fails with `error` the first `failures` times. */
    const failing = (failures: number, error: Error) => {
      const fake = {
        calls: 0,
        async purge() {
          fake.calls++;
          if (fake.calls <= failures) throw error;
        },
      };
      return fake;
    };
    const pending = failing(2, hubError("msg pending: 'm1'"));
    await purgeWhenRecorded(pending, ['m1'], 1000);
    assert.equal(pending.calls, 3);
    const other = failing(1, hubError('No such engine: 9'));
    await assert.rejects(purgeWhenRecorded(other, ['m1'], 1000), /No such engine/);
    assert.equal(other.calls, 1);
    await assert.rejects(purgeWhenRecorded(failing(99, hubError("msg pending: 'm1'")), ['m1'], 1000, 100), /msg pending/);
  });
});
