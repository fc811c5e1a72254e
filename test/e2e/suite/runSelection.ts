// Shared by the extension-host suites (not a test file: index.ts loads only *.test.js): run a selection
// that prints each engine's pid from a new workspace file, and wait for its run to end.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension/extension';
import { Commands } from '../../../src/extension/ids';
import type { ExecuteResult, RunSummary } from '../../../src/shared/protocol';

/** Writes `fileName` in the workspace, selects its code, runs it on all engines, and resolves with the ended run. */
export async function runPidSelection(api: ExtensionApi, fileName: string, ms = 30_000): Promise<{ result: ExecuteResult; run: RunSummary }> {
  const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, fileName);
  await vscode.workspace.fs.writeFile(uri, Buffer.from('import os\nprint("pid", os.getpid())\n', 'utf8'));
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  editor.selection = new vscode.Selection(0, 0, 2, 0);
  const result = await vscode.commands.executeCommand<ExecuteResult>(Commands.runSelection, { targets: 'all', wait: true });
  assert.ok(result, `runSelection failed: ${api.lastError.message}`);
  const ended = (): RunSummary | undefined => {
    const x = api.ctx.model.run(result.runId);
    return x && x.state !== 'running' && x.state !== 'pending' ? x : undefined;
  };
  const deadline = Date.now() + ms;
  while (!ended()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for run ${result.runId} to end`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { result, run: ended()! };
}
