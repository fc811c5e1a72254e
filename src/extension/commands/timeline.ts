/**
 * The task timeline (Tasks view title and palette) and Show Data: a task's published data
 * (ipyparallel.datapub) as a read-only JSON document that follows the task while it publishes.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { UserError } from '../errors';
import { Commands } from '../ids';
import { TimelinePanel } from '../timeline/panel';
import type { TasksTreeNode } from '../views/nodes';
import { dataDocument } from '../views/taskDataText';
import { registerCommand } from './register';

const DATA_SCHEME = 'ipyparallel-data';

/** ipyparallel-data:/<runId>/<msgId>.json: the task's data as it is now, refreshed as it changes. */
class TaskDataDocuments implements vscode.TextDocumentContentProvider {
  readonly #onDidChange = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.#onDidChange.event;
  readonly #open = new Set<string>();

  constructor(private readonly ctx: Ctx) {
    const sub = ctx.model.onDidChangeRuns((c) => this.#changed(c.changed));
    ctx.extension.subscriptions.push(
      this.#onDidChange,
      { dispose: () => sub.dispose() },
      vscode.workspace.onDidCloseTextDocument((d) => this.#open.delete(d.uri.toString())),
    );
  }

  static uri(runId: string, msgId: string): vscode.Uri {
    return vscode.Uri.from({ scheme: DATA_SCHEME, path: `/${runId}/${msgId}.json` });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    this.#open.add(uri.toString());
    const [, runId, file] = uri.path.split('/');
    const msgId = file?.replace(/\.json$/, '');
    const run = this.ctx.model.run(runId);
    const task = run?.tasks.find((t) => t.msgId === msgId);
    return task ? dataDocument(task, run!.title) : `// The task ${msgId} is no longer tracked.\n`;
  }

  #changed(runIds: string[]): void {
    for (const key of this.#open) {
      const uri = vscode.Uri.parse(key);
      if (runIds.includes(uri.path.split('/')[1])) this.#onDidChange.fire(uri);
    }
  }
}

export function registerTimelineCommands(ctx: Ctx): void {
  const docs = new TaskDataDocuments(ctx);
  ctx.extension.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(DATA_SCHEME, docs));
  registerCommand(ctx, Commands.showTimeline, () => {
    void ctx.startServer().catch(() => undefined); // the timeline fills in once the server reports
    TimelinePanel.show(ctx);
  });
  registerCommand(ctx, Commands.showTaskData, async (node?: TasksTreeNode) => {
    if (node?.kind !== 'task') throw new UserError(vscode.l10n.t('Select a task in the Tasks view first.'));
    const doc = await vscode.workspace.openTextDocument(TaskDataDocuments.uri(node.runId, node.msgId));
    await vscode.languages.setTextDocumentLanguage(doc, 'jsonc');
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
    return doc.getText();
  });
}
