import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutputItem } from '../../src/core/client/types';
import { renderResultsHtml } from '../../src/extension/output/resultsHtml';
import { ResultsModel, type ResultsOp } from '../../src/extension/output/resultsModel';

const stdout = (text: string): OutputItem => ({ kind: 'stream', name: 'stdout', text });
const intro = { title: 'print(1)', targets: 'all' as const };
const info = (state: 'running' | 'done', done = 0) => ({ runId: 'r1', title: 'print(1)', targets: 'all' as const, state, done, total: 2, elapsedMs: 12 });

describe('ResultsModel: the Results view shows each output at once and regroups in place', () => {
  it('shows the first output of a run at once, then regroups it when the other engine\'s identical output arrives', () => {
    const m = new ResultsModel();
    m.push('r1', 0, stdout('1\n'), intro);
    const first = m.takeOps();
    assert.deepEqual(first.map((o) => o.type), ['run', 'body']);
    assert.equal((first[0] as Extract<ResultsOp, { type: 'run' }>).run.header, '── print(1)  ·  all engines ──\n');
    assert.deepEqual(first[1], { type: 'body', runId: 'r1', text: '[stdout:0] 1\n' }, 'not held for the other engine');
    m.push('r1', 1, stdout('1\n'));
    assert.deepEqual(m.takeOps(), [{ type: 'body', runId: 'r1', text: '[stdout:0,1] 1\n' }]);
    m.setRun(info('done', 2));
    assert.deepEqual(m.takeOps(), [{ type: 'footer', runId: 'r1', text: '── done 2/2 in 12 ms ──\n' }]);
    assert.deepEqual(m.snapshot(), [{ runId: 'r1', header: '── print(1)  ·  all engines ──\n', body: '[stdout:0,1] 1\n', footer: '── done 2/2 in 12 ms ──\n' }]);
  });

  it('sends one body per run for a batch of outputs, not one per output', () => {
    const m = new ResultsModel();
    m.push('r1', 0, stdout('a\n'), intro);
    m.push('r1', 1, stdout('b\n'));
    m.push('r1', 0, stdout('c\n'));
    const ops = m.takeOps();
    assert.deepEqual(ops.map((o) => o.type), ['run', 'body']);
    assert.equal((ops[1] as Extract<ResultsOp, { type: 'body' }>).text, '[stdout:0]\na\nc\n[stdout:1] b\n');
  });

  it('switches a long run to appending past regroupChars, and cuts the start past maxBodyChars', () => {
    const m = new ResultsModel({ maxRuns: 10, regroupChars: 40, maxBodyChars: 200 });
    m.push('r1', 0, stdout('tick 0\n'), intro);
    for (let i = 1; i < 6; i++) m.push('r1', 0, stdout(`tick ${i}\n`));
    m.takeOps();
    m.push('r1', 0, stdout('tick 6\n'));
    m.push('r1', 0, stdout('tick 7\n'));
    const ops = m.takeOps();
    assert.deepEqual(ops, [{ type: 'append', runId: 'r1', text: 'tick 6\ntick 7\n' }], 'appended, the same label continued bare, merged into one op');
    assert.equal(m.snapshot()[0].body.match(/\[stdout:0\]/g)?.length, 1, 'one label for the whole stream');
    for (let i = 8; i < 80; i++) m.push('r1', 0, stdout(`tick ${i}\n`));
    const body = m.snapshot()[0].body;
    assert.ok(body.length <= 200, `body of ${body.length} chars`);
    assert.match(body, /^… \(earlier output not shown here/);
    assert.match(body, /tick 79\n$/);
  });

  it('keeps the last maxRuns runs, ignores runs that ended before it watched, and drops removed runs', () => {
    const m = new ResultsModel({ maxRuns: 2, regroupChars: 1000, maxBodyChars: 1000 });
    m.ignore(['old']);
    m.push('old', 0, stdout('x\n'), intro);
    assert.deepEqual(m.takeOps(), []);
    for (const id of ['a', 'b', 'c']) m.push(id, 0, stdout(`${id}\n`), { ...intro, title: id });
    assert.deepEqual(m.snapshot().map((r) => r.runId), ['b', 'c']);
    assert.ok(m.takeOps().some((o) => o.type === 'drop' && o.runId === 'a'));
    m.remove('b');
    assert.deepEqual(m.takeOps(), [{ type: 'drop', runId: 'b' }]);
    m.setRun({ ...info('done', 2), runId: 'quiet' });
    assert.deepEqual(m.snapshot().map((r) => r.runId), ['c'], 'a run that ended without output is not shown');
  });

  it('titles a run without an intro from its summary when it arrives', () => {
    const m = new ResultsModel();
    m.push('r1', 0, stdout('1\n'));
    m.takeOps();
    m.setRun(info('running'));
    assert.deepEqual(m.takeOps(), [{ type: 'header', runId: 'r1', text: '── print(1)  ·  all engines ──\n' }]);
  });
});

describe('renderResultsHtml', () => {
  it('has a strict CSP with the nonce on its only script and style, and sets text only with textContent', () => {
    const nonce = 'abcdefghijklmnopqrstuvwx';
    const html = renderResultsHtml(nonce, 'vscode-resource:');
    assert.match(html, new RegExp(`default-src 'none'; style-src vscode-resource: 'nonce-${nonce}'; script-src 'nonce-${nonce}';`));
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.match(html, new RegExp(`<script nonce="${nonce}">`));
    assert.match(html, new RegExp(`<style nonce="${nonce}">`));
    assert.doesNotMatch(html, /innerHTML|insertAdjacentHTML|eval\(/);
    assert.throws(() => renderResultsHtml('short', 'x'), /nonce/);
  });
});
