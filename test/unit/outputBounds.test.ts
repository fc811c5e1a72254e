import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundError, boundText, formatBytes, OutputKeeper, outputSize } from '../../src/core/client/outputBounds';
import { remoteError, TasksModel } from '../../src/core/client/tasks';
import type { OutputItem, TaskInfo } from '../../src/core/client/types';

const MiB = 1024 * 1024;

function task(msgId: string): TaskInfo {
  return { msgId, queue: 'mux', state: 'pending', code: 'x', submitted: '2026-01-01T00:00:00.000Z', outputs: [] };
}
const out = (text: string, name: 'stdout' | 'stderr' = 'stdout'): OutputItem => ({ kind: 'stream', name, text });
const texts = (items: OutputItem[]) => items.map((o) => (o.kind === 'stream' ? `${o.name}:${o.text}` : o.kind));

describe('output bounds', () => {
  it('formats sizes and cuts long text around a marker', () => {
    assert.equal(formatBytes(17), '17 bytes');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(312 * MiB), '312 MB');
    const cut = boundText('a'.repeat(50) + 'b'.repeat(50), 20);
    assert.equal(cut, `${'a'.repeat(10)}\n[… 80 bytes of output not kept …]\n${'b'.repeat(10)}`);
    assert.equal(boundText('short', 20), 'short');
  });

  it('an error keeps the beginning and end of a huge evalue, and the last traceback entries', () => {
    const err = boundError({ ename: 'ValueError', evalue: ' '.repeat(2_000_000) + '(a.py)x', traceback: Array.from({ length: 10_000 }, (_, i) => `frame ${i}`) });
    assert.ok(err.evalue.length < 70_000);
    assert.ok(err.evalue.endsWith('(a.py)x'));
    assert.match(err.evalue, /\[… 1\.8 MB of output not kept …\]/);
    assert.equal(err.traceback.length, 500);
    assert.equal(err.traceback.at(-1), 'frame 9999');
    assert.ok((remoteError({ ename: 'E', evalue: 'x'.repeat(1_000_000) })?.evalue.length ?? 0) < 70_000, 'remoteError bounds what it reads');
  });

  it('keeps the head as it comes, holds the end, and shows marker + end on flush', () => {
    const outputs: OutputItem[] = [];
    const k = new OutputKeeper(outputs, 20);
    assert.deepEqual(texts(k.add(out('0123456'))), ['stdout:0123456']);
    assert.deepEqual(texts(k.add(out('789abcdef'))), ['stdout:789'], 'the part that fits the head (10) is shown');
    assert.equal(k.holding, true);
    assert.deepEqual(k.add(out('ghij', 'stderr')), [], 'held');
    assert.deepEqual(k.add(out('klmnopqrstuvwxyz')), [], 'held');
    assert.ok(k.bytes <= 20, `keeps ${k.bytes} bytes`);
    const shown = k.flush();
    assert.deepEqual(texts(shown), [
      'stdout:\n[… 12 bytes of output not kept …]\n', // abcdef and klmnop
      'stderr:\n[… 4 bytes of output not kept …]\n',
      'stdout:qrstuvwxyz',
    ]);
    assert.deepEqual(texts(outputs), ['stdout:0123456', 'stdout:789', ...texts(shown)]);
  });

  it('a display_data larger than the tail is dropped and counted, not kept', () => {
    const outputs: OutputItem[] = [];
    const k = new OutputKeeper(outputs, 100);
    k.add(out('x'.repeat(50)));
    k.add({ kind: 'display_data', data: { 'image/png': 'p'.repeat(500) }, metadata: {} });
    assert.equal(outputSize(outputs[0]), 50);
    assert.deepEqual(texts(k.flush()), ['stdout:\n[… 500 bytes of output not kept …]\n']);
  });

  it('TasksModel: 400 MB printed in chunks keeps about maxOutputBytesPerTask, and the marker is in the outputs', () => {
    const m = new TasksModel({ maxOutputBytesPerTask: 4 * MiB });
    m.add(task('t'));
    let events = 0;
    m.onDidOutput(() => events++);
    const chunk = 'y'.repeat(64 * 1024 - 1) + '\n';
    for (let i = 0; i < 6400; i++) m.addOutput('t', out(chunk));
    assert.ok(m.outputBytes <= 4 * MiB, `keeps ${m.outputBytes}`);
    assert.ok(events <= 33, `${events} outputs announced while running (the head only)`);
    m.applyReply('t', { state: 'done' }, false);
    const info = m.get('t') as TaskInfo;
    const kept = info.outputs.reduce((n, o) => n + outputSize(o), 0);
    assert.ok(kept <= 4 * MiB + 100, `keeps ${kept}`);
    const markers = info.outputs.filter((o) => o.kind === 'stream' && /of output not kept/.test(o.text));
    assert.equal(markers.length, 1);
    assert.match((markers[0] as { text: string }).text, /\[… 396 MB of output not kept …\]/);
    assert.equal(info.state, 'done');
  });

  it('TasksModel: past the total budget the oldest finished tasks go first; running ones stay', () => {
    const m = new TasksModel({ maxOutputBytesPerTask: 2 * MiB, maxTotalOutputBytes: 5 * MiB });
    const mb = out('z'.repeat(MiB));
    m.add(task('running'));
    m.addOutput('running', mb);
    for (const id of ['old', 'mid', 'new']) {
      m.add(task(id));
      m.addOutput(id, mb);
      m.addOutput(id, mb);
      m.applyReply(id, { state: 'done' }, false);
    }
    assert.equal(m.get('old'), undefined, 'the oldest finished task was forgotten');
    assert.ok(m.get('mid') && m.get('new') && m.get('running'));
    assert.ok(m.outputBytes <= 5 * MiB);
    assert.equal(m.forget(() => true), 2);
    assert.equal(m.outputBytes, MiB, 'forgetting frees its bytes');
  });
});
