/**
 * The Interactive Window on the cluster: code from a `.py` file (the selection or its `# %%` cell) is
 * appended as a cell to an Interactive Window (VS Code's `interactive.open`) bound to our controller,
 * and run there with the same per-engine outputs. The cell remembers where its code came from
 * (`ipyparallel.origin`), so a remote error's diagnostic lands on the lines of the `.py` file.
 */
import * as vscode from 'vscode';
import type { Targets } from '../../shared/protocol';
import type { CodeToRun } from '../commands/run';
import type { Ctx } from '../ctx';
import { UserError } from '../errors';
import type { CellMeta } from './cellRun';
import { CONTROLLER_IDS, kernelId, type ClusterKernels } from './controller';

const SELECT_TIMEOUT_MS = 10_000;

export class InteractiveWindow {
  #notebook: vscode.NotebookDocument | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly kernels: ClusterKernels,
  ) {}

  async #open(): Promise<vscode.NotebookDocument> {
    if (this.#notebook && !this.#notebook.isClosed && this.kernels.isSelected(this.#notebook)) {
      await vscode.commands.executeCommand('interactive.open', { preserveFocus: true, viewColumn: vscode.ViewColumn.Beside }, this.#notebook.uri);
      return this.#notebook;
    }
    const opened = await vscode.commands.executeCommand<{ notebookUri: vscode.Uri } | undefined>(
      'interactive.open',
      { preserveFocus: true, viewColumn: vscode.ViewColumn.Beside },
      undefined,
      kernelId(CONTROLLER_IDS.interactive),
      'IPython Parallel',
    );
    const nb = opened && vscode.workspace.notebookDocuments.find((d) => d.uri.toString() === opened.notebookUri.toString());
    if (!nb) throw new UserError(vscode.l10n.t('The Interactive Window did not open.'));
    await this.#whenSelected(nb);
    this.#notebook = nb;
    return nb;
  }

  /** interactive.open selects our controller; the selection event may come a moment later. */
  #whenSelected(nb: vscode.NotebookDocument): Promise<void> {
    if (this.kernels.isSelected(nb)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new UserError(vscode.l10n.t("The Interactive Window did not select the IPython Parallel kernel. Pick it in the window's kernel picker.")));
      }, SELECT_TIMEOUT_MS);
      const sub = this.kernels.onDidChangeSelection((d) => {
        if (d !== nb || !this.kernels.isSelected(nb)) return;
        clearTimeout(timer);
        sub.dispose();
        resolve();
      });
    });
  }

  /** Appends the code as a cell and runs it; resolves when the cell has ended. */
  async send(what: CodeToRun, targets: Targets): Promise<void> {
    this.ctx.requireTrust('Running code');
    this.ctx.requireConnected();
    if (!what.code.trim()) throw new UserError(vscode.l10n.t('Nothing to run: the code is empty.'));
    const nb = await this.#open();
    const meta: CellMeta = { targets, origin: what.uri !== undefined ? { uri: what.uri, line: what.line ?? 0 } : undefined };
    const data = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, what.code, 'python');
    data.metadata = { metadata: { ipyparallel: meta } };
    const index = nb.cellCount;
    const edit = new vscode.WorkspaceEdit();
    edit.set(nb.uri, [vscode.NotebookEdit.insertCells(index, [data])]);
    if (!(await vscode.workspace.applyEdit(edit))) throw new UserError(vscode.l10n.t('The code could not be added to the Interactive Window.'));
    const controller = this.kernels.controllers.find((c) => c.notebookType === 'interactive');
    await this.kernels.run(controller!, [nb.cellAt(index)], nb);
  }
}
