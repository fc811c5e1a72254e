// Notebook cells from a live cluster, with the server as a process over stdio and the notebook synced the
// LSP 3.17 way (notebookDocument/didOpen, didChange): a cell's run fails into a diagnostic on that cell,
// and hover in another cell shows the value the first cell left on the engine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HoverRequest, type Hover, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { ConnectRequest, ExecuteRequest, WaitRequest, type ExecuteParams } from '../../src/shared/protocol';
import { TestCluster } from './harness';
import { ServerUnderTest } from './serverSupport';

const TASK_MS = 30_000;
const NOTEBOOK = 'file:///tmp/notebook_test.ipynb';
const cell = (n: number) => `vscode-notebook-cell:/tmp/notebook_test.ipynb#W${n}sZmlsZQ%3D%3D`;
const CELLS = ['import os\nvalue_in_cell = 6 * 7\n', 'print(value_in_cell)\n', 'a = 1\nb = 2\n1/0\n'];

describe('language server: notebook cells from a real cluster', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let server: ServerUnderTest;
  let engine: number;

  const run = async (params: ExecuteParams) => {
    const { runId } = await server.connection.sendRequest(ExecuteRequest, params);
    return server.connection.sendRequest(WaitRequest, { runId, timeoutMs: TASK_MS });
  };
  const hover = (uri: string, line: number, character: number) =>
    server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } }) as Promise<Hover | null>;

  before(async () => {
    cluster = await TestCluster.start({ engines: 1 });
    ({ server } = await ServerUnderTest.start({ notificationBatchMs: 20, languageFeatureTimeoutMs: 5000 }));
    const r = await server.connection.sendRequest(ConnectRequest, { connectionFile: cluster.connectionFile });
    engine = r.engines[0]?.id ?? (await server.until(() => server.engines.find((e) => e.engines.length === 1)?.engines, 30_000, 'the engine'))[0].id;
    await server.connection.sendNotification('notebookDocument/didOpen', {
      notebookDocument: { uri: NOTEBOOK, notebookType: 'jupyter-notebook', version: 1, cells: CELLS.map((_, i) => ({ kind: 2, document: cell(i) })) },
      cellTextDocuments: CELLS.map((text, i) => ({ uri: cell(i), languageId: 'python', version: 1, text })),
    });
  });

  after(async () => {
    await server?.close();
    await cluster?.stop();
  });

  it('hover in a cell shows the value an earlier cell left on the engine', async () => {
    const done = await run({ code: CELLS[0], targets: 'all', uri: cell(0), line: 0 });
    assert.equal(done.state, 'done');
    const h = await hover(cell(1), 0, 10);
    assert.ok(h, 'no hover in the cell');
    assert.equal((h.contents as MarkupContent).value, `\`value_in_cell\` on engine ${engine}\n\`\`\`python\n42\n\`\`\``);
    assert.deepEqual(h.range, { start: { line: 0, character: 6 }, end: { line: 0, character: 19 } });
  });

  it("a failing cell's error is a diagnostic on that cell's failing line", async () => {
    const before = server.diagnostics.get(cell(2))?.length ?? 0;
    await run({ code: CELLS[2], targets: 'all', uri: cell(2), line: 0 });
    const diags = await server.until(
      () => (server.diagnostics.get(cell(2))?.length ?? 0) > before && server.lastDiagnostics(cell(2)),
      10_000,
      'diagnostics on the cell',
    );
    assert.equal(diags.length, 1);
    assert.deepEqual(diags[0].range, { start: { line: 2, character: 0 }, end: { line: 2, character: 3 } });
    assert.equal(diags[0].message, `ZeroDivisionError: division by zero (on engine ${engine})`);
    assert.equal(server.diagnostics.get(cell(0)), undefined, 'the cell that ran clean has none');
  });
});
