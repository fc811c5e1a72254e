import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { makeNonce, timelineHtml } from '../../src/extension/timeline/html';
import { isWebviewMessage } from '../../src/extension/timeline/messages';
import { ClusterModel } from '../../src/extension/model';
import { dataDocument, dataLines, progressBar } from '../../src/extension/views/taskDataText';
import { taskItem } from '../../src/extension/views/treeItems';
import type { RunSummary } from '../../src/shared/protocol';

describe('timeline webview page', () => {
  const nonce = makeNonce(randomBytes);
  const html = timelineHtml({ cspSource: 'vscode-webview://abc', scriptUri: 'vscode-webview://abc/dist/timeline.js', nonce });

  it('has a strict CSP: nothing by default, our script and style by nonce only', () => {
    assert.match(nonce, /^[A-Za-z0-9_-]{32}$/);
    const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
    assert.match(csp, new RegExp(`style-src 'nonce-${nonce}'(;|$)`));
    assert.doesNotMatch(csp, /unsafe-|https?:|\*/);
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.match(html, new RegExp(`<script nonce="${nonce}" src="vscode-webview://abc/dist/timeline.js">`));
    assert.doesNotMatch(html, /https?:\/\//, 'no remote content');
  });

  it('accepts only the messages it knows from the webview', () => {
    assert.equal(isWebviewMessage({ type: 'ready' }), true);
    assert.equal(isWebviewMessage({ type: 'reveal', id: 'm1', runId: 'r1' }), true);
    assert.equal(isWebviewMessage({ type: 'reveal' }), false);
    assert.equal(isWebviewMessage({ type: 'eval', code: 'x' }), false);
    assert.equal(isWebviewMessage(null), false);
  });
});

describe('published data in the Tasks view', () => {
  const run = (): RunSummary => ({
    runId: 'r1',
    title: 'train()',
    code: 'train()',
    targets: 'all',
    created: '2026-01-01T00:00:00.000Z',
    done: 0,
    total: 1,
    state: 'running',
    elapsedMs: 0,
    tasks: [{ msgId: 'm1', queue: 'mux', engineId: 0, state: 'running', submitted: '2026-01-01T00:00:00.000Z', outputCount: 0 }],
  });

  it('ipp/taskData updates the task in place and reports its run changed', () => {
    const model = new ClusterModel();
    model.applyTasks({ runs: [run()], removed: [] });
    const changes: string[][] = [];
    model.onDidChangeRuns((c) => changes.push(c.changed));
    model.applyTaskData({ items: [{ runId: 'r1', msgId: 'm1', data: { progress: 0.5, loss: 0.125 }, progress: 0.5 }, { runId: 'gone', msgId: 'x', data: {} }] });
    assert.deepEqual(changes, [['r1']]);
    const t = model.run('r1')!.tasks[0];
    assert.equal(t.progress, 0.5);
    assert.deepEqual(t.data, { progress: 0.5, loss: 0.125 });
    model.dispose();
  });

  it('the task row shows a progress bar; its tooltip the other keys', () => {
    assert.equal(progressBar(0.3), '\u25b0\u25b0\u25b0\u25b1\u25b1\u25b1\u25b1\u25b1\u25b1\u25b1 30%');
    assert.equal(progressBar(2), `${'\u25b0'.repeat(10)} 100%`);
    const task = { ...run().tasks[0], progress: 0.5, data: { progress: 0.5, loss: 0.125, note: 'a\nb' } };
    const item = taskItem(task, 'r1', Date.parse('2026-01-01T00:00:01.000Z'));
    assert.match(String(item.description), /^\u25b0{5}\u25b1{5} 50% · running/);
    assert.match(String(item.tooltip), /published data:\nprogress .* 50%\nloss = 0\.125\nnote = a b/);
    const many = dataLines({ data: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])) });
    assert.equal(many.length, 13);
    assert.match(many[12], /and 8 more/);
    assert.match(dataDocument(task, 'train()'), /^\/\/ Data published by train\(\)\n.*\n\/\/ progress .*\n\{\n {2}"progress": 0\.5,/);
  });
});
