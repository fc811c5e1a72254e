import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CompletionItem, Hover, PublishDiagnosticsParams } from 'vscode-languageserver/node';
import * as P from '../../src/shared/protocol';
import { startInMemoryServer as start, type Harness } from './support/inMemoryServer';
import { readFixture } from './support/fixtures';
import { tempDir, writeFile } from './support/tempDir';

/**
 * Notebook cells through LSP 3.17 notebook document sync (notebookDocument/didOpen, didChange): a cell's
 * `vscode-notebook-cell:` URI is a document like a .py file, for diagnostics, hover and completion.
 */
const CONNECTION_FILE = JSON.parse(readFixture('protocol-examples.json')).connection_file as Record<string, unknown>;
const zeroDivision = (JSON.parse(readFixture('ipython-tracebacks.json')) as { cases: { label: string; traceback?: string[] }[] }).cases.find(
  (c) => c.label === 'zero division on line 3',
)?.traceback as string[];

const NOTEBOOK = 'file:///work/analysis.ipynb';
const cellUri = (n: number) => `vscode-notebook-cell:/work/analysis.ipynb#W${n}sZmlsZQ%3D%3D`;
const CELL_A = 'import os\nx = 42\n';
const CELL_B = 'a = 1\nb = 2\n1/0\n';

async function until<T>(find: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('notebook cells through notebookDocument/* sync', () => {
  const dir = tempDir('notebook');
  const file = writeFile(join(dir, 'ipcontroller-client.json'), JSON.stringify(CONNECTION_FILE));
  let h: Harness;
  beforeEach(async () => {
    h = await start(file);
    await h.rpc.sendRequest(P.ConnectRequest, { connectionFile: h.file });
    await h.rpc.sendNotification('notebookDocument/didOpen', {
      notebookDocument: {
        uri: NOTEBOOK,
        notebookType: 'jupyter-notebook',
        version: 1,
        cells: [1, 2].map((n) => ({ kind: 2, document: cellUri(n) })),
      },
      cellTextDocuments: [CELL_A, CELL_B].map((text, i) => ({ uri: cellUri(i + 1), languageId: 'python', version: 1, text })),
    });
  });
  afterEach(() => h.close());

  const hover = (uri: string, line: number, character: number) =>
    h.rpc.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character } });
  /** The nth (1-based) textDocument/publishDiagnostics for `uri`, once it has come. */
  const diagnosticsFor = (uri: string, nth: number) =>
    h.notes
      .filter((n) => n.method === 'textDocument/publishDiagnostics')
      .map((n) => n.params as PublishDiagnosticsParams)
      .filter((p) => p.uri === uri)[nth - 1];

  it('advertises notebookDocumentSync for Python cells of jupyter-notebook and interactive', () => {
    assert.deepEqual(h.initialized.capabilities.notebookDocumentSync, {
      notebookSelector: [
        { notebook: 'jupyter-notebook', cells: [{ language: 'python' }] },
        { notebook: 'interactive', cells: [{ language: 'python' }] },
      ],
    });
    assert.ok(h.initialized.capabilities.textDocumentSync, 'plain text documents are still synced');
  });

  it('hover in a cell shows the engines\' value, and nothing once `evaluate` is off', async () => {
    h.clients[0].values.set('x', '42');
    const found = await hover(cellUri(1), 1, 0);
    assert.ok(found);
    assert.match((found.contents as { value: string }).value, /^`x` on engines 0, 1\n```python\n42\n```$/);
    assert.deepEqual(found.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 1 } });
    await h.rpc.sendNotification('workspace/didChangeConfiguration', { settings: { evaluate: false } });
    assert.equal(await hover(cellUri(1), 1, 0), null, 'an untrusted workspace evaluates nothing, in cells too');
  });

  it('completion in a cell comes from an engine, after an edit through notebookDocument/didChange', async () => {
    h.clients[0].completions.push('path', 'pardir', 'sep');
    await h.rpc.sendNotification('notebookDocument/didChange', {
      notebookDocument: { uri: NOTEBOOK, version: 2 },
      change: {
        cells: {
          textContent: [
            { document: { uri: cellUri(1), version: 2 }, changes: [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: 'os.pa' }] },
          ],
        },
      },
    });
    const items = await h.rpc.sendRequest<CompletionItem[] | null>('textDocument/completion', {
      textDocument: { uri: cellUri(1) },
      position: { line: 2, character: 5 },
    });
    assert.deepEqual(
      items?.map((i) => [i.label, i.textEdit && 'range' in i.textEdit ? i.textEdit.range : undefined]),
      ['path', 'pardir'].map((label) => [label, { start: { line: 2, character: 3 }, end: { line: 2, character: 5 } }]),
    );
  });

  it("a failing run from a cell is a diagnostic on that cell's failing line, cleared by an edit of the cell", async () => {
    const { msgIds } = await h.rpc.sendRequest(P.ExecuteRequest, { code: CELL_B, targets: 'all', uri: cellUri(2), line: 0 });
    const c = h.clients[0];
    for (const [i, id] of msgIds.entries()) {
      c.setTaskState(id, 'error', { engineId: i, executionCount: 1, error: { ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: zeroDivision } });
    }
    const published = await until(() => diagnosticsFor(cellUri(2), 1), 'diagnostics on the cell');
    assert.equal(published.diagnostics.length, 1);
    assert.deepEqual(published.diagnostics[0].range, { start: { line: 2, character: 0 }, end: { line: 2, character: 3 } });
    assert.equal(published.diagnostics[0].message, 'ZeroDivisionError: division by zero (on engines 0, 1)');
    assert.equal(diagnosticsFor(cellUri(1), 1), undefined, 'the other cell has none');

    await h.rpc.sendNotification('notebookDocument/didChange', {
      notebookDocument: { uri: NOTEBOOK, version: 2 },
      change: { cells: { textContent: [{ document: { uri: cellUri(2), version: 2 }, changes: [{ text: 'a = 1\nb = 2\n1/2\n' }] }] } },
    });
    const cleared = await until(() => diagnosticsFor(cellUri(2), 2), 'the diagnostics cleared');
    assert.deepEqual(cleared.diagnostics, []);
  });
});
