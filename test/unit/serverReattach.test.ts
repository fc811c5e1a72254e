// ipp/reattach through a real JSON-RPC connection on in-memory streams with a fake client: params checks,
// the answer per run, output and run summaries sent before the answer, diagnostics only while the document
// still hashes as the code did, and ConnectResult.clusterKey (never the key).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { codeHash } from '../../src/core/codeHash';
import type { TaskInfo } from '../../src/core/client/types';
import * as P from '../../src/shared/protocol';
import { readFixture } from './support/fixtures';
import { rejectsWith, startInMemoryServer as start, type Harness } from './support/inMemoryServer';
import { tempDir, writeFile } from './support/tempDir';

const CONNECTION_FILE = JSON.parse(readFixture('protocol-examples.json')).connection_file as Record<string, unknown>;
const CODE = 'x = 1\nraise ValueError("gone")';

function failedTask(msgId: string, engineId: number): TaskInfo {
  return {
    msgId,
    queue: 'mux',
    engineId,
    state: 'error',
    code: CODE,
    submitted: '2026-01-01T00:00:00Z',
    completed: '2026-01-01T00:00:01Z',
    outputs: [{ kind: 'stream', name: 'stdout', text: `out ${msgId}\n` }],
    error: { ename: 'ValueError', evalue: 'gone', traceback: [] },
  };
}

describe('ipp/reattach over in-memory JSON-RPC with a fake client', () => {
  const dir = tempDir('reattach');
  const file = writeFile(join(dir, 'ipcontroller-client.json'), JSON.stringify(CONNECTION_FILE));
  let h: Harness;
  beforeEach(async () => {
    h = await start(file);
  });
  afterEach(() => h.close());

  const open = (uri: string, text: string) =>
    h.rpc.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
  const diagnostics = (uri: string) =>
    h.notes.filter((n) => n.method === 'textDocument/publishDiagnostics' && (n.params as { uri: string }).uri === uri).map((n) => (n.params as { diagnostics: unknown[] }).diagnostics);

  it('refuses bad params and an unconnected server', async () => {
    await rejectsWith(h.rpc.sendRequest(P.ReattachRequest, { runs: [{ msgIds: ['a'], targets: 'all' }] }), P.ErrorCodes.NotConnected);
    const connected = await h.rpc.sendRequest(P.ConnectRequest, { connectionFile: h.file });
    assert.ok(connected.clusterKey?.includes(h.file));
    assert.equal(connected.clusterKey?.includes(String(CONNECTION_FILE.key)), false, 'the key is not part of the cluster key');
    await rejectsWith(h.rpc.sendRequest(P.ReattachRequest, {} as never), P.ErrorCodes.InvalidParams, 'runs');
    await rejectsWith(h.rpc.sendRequest(P.ReattachRequest, { runs: [{ msgIds: [], targets: 'all' }] }), P.ErrorCodes.InvalidParams, 'runs[0].msgIds');
    await rejectsWith(h.rpc.sendRequest(P.ReattachRequest, { runs: [{ msgIds: ['a'], targets: 'some' as never }] }), P.ErrorCodes.InvalidParams, 'targets');
    await rejectsWith(h.rpc.sendRequest(P.ReattachRequest, { runs: [{ msgIds: ['a'], targets: 'all', line: -2 }] }), P.ErrorCodes.InvalidParams, 'line');
  });

  it('brings runs back with their output and diagnostics while the document still matches', async () => {
    await h.rpc.sendRequest(P.ConnectRequest, { connectionFile: h.file });
    const c = h.clients[0];
    for (const [id, engine] of [['a', 0], ['b', 1], ['c', 0]] as const) c.hubRecords.set(id, failedTask(id, engine));
    const same = 'file:///same.py';
    const edited = 'file:///edited.py';
    await open(same, `# one\n# two\n${CODE}\n`);
    await open(edited, `# one\n# two\nx = 2\nraise ValueError("gone")\n`);
    const answer = await h.rpc.sendRequest(P.ReattachRequest, {
      runs: [
        { msgIds: ['a', 'b'], targets: 'all', uri: same, line: 2, codeHash: codeHash(CODE), title: 'x = 1' },
        { msgIds: ['c'], targets: [0], uri: edited, line: 2, codeHash: codeHash(CODE) },
        { msgIds: ['zz'], targets: 'balanced', title: 'forgotten by the hub' },
      ],
    });
    assert.deepEqual(answer.runs.map((r) => [r.state, r.unknown]), [['error', []], ['error', []], ['lost', ['zz']]]);
    const [first, , third] = answer.runs;

    // The output and the summaries went out before the answer.
    const items = h.notes.filter((n) => n.method === 'ipp/output').flatMap((n) => (n.params as P.OutputNotificationParams).items);
    const mine = items.filter((i) => i.runId === first.runId);
    assert.deepEqual(mine.map((i) => i.output), [{ kind: 'stream', name: 'stdout', text: 'out a\n' }, { kind: 'stream', name: 'stdout', text: 'out b\n' }]);
    assert.equal(mine[0].run?.title, 'x = 1', 'the first item introduces the run');
    const summaries = h.notes.filter((n) => n.method === 'ipp/tasksChanged').flatMap((n) => (n.params as P.TasksChangedParams).runs);
    const lost = summaries.find((s) => s.runId === third.runId);
    assert.equal(lost?.reattached, true);
    assert.equal(lost?.title, 'forgotten by the hub');
    assert.equal(lost?.tasks[0].state, 'lost');
    assert.equal(lost?.tasks[0].reattached, true);

    // Diagnostics: back where the text still hashes the same, not where it was edited since.
    const deadline = Date.now() + 5000;
    while (diagnostics(same).length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    const [diags] = diagnostics(same) as { range: { start: { line: number } }; message: string }[][];
    assert.equal(diags.length, 1);
    assert.equal(diags[0].range.start.line, 2);
    assert.match(diags[0].message, /^ValueError: gone \(on engines 0, 1\)$/);
    assert.deepEqual(diagnostics(edited), []);
  });
});
