/** "Run Cell on Cluster" code lenses on `# %%` cells (while connected, unless switched off). */
import * as vscode from 'vscode';
import { findCells } from './cells';
import type { Config } from './config';
import { Commands } from './ids';
import type { ClusterModel } from './model';

export class CellCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  readonly #onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.#onDidChange.event;
  readonly #subscription: { dispose(): void };

  constructor(
    private readonly model: ClusterModel,
    private readonly config: Config,
  ) {
    this.#subscription = model.onDidChangeState(() => this.refresh());
  }

  refresh(): void {
    this.#onDidChange.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.config.settings.codeLensEnabled || !this.model.connected) return [];
    const lines = Array.from({ length: document.lineCount }, (_, i) => document.lineAt(i).text);
    const lenses: vscode.CodeLens[] = [];
    for (const cell of findCells(lines)) {
      if (!cell.hasMarker || cell.markdown || cell.start > cell.end) continue;
      const range = new vscode.Range(cell.markerLine, 0, cell.markerLine, 0);
      lenses.push(
        new vscode.CodeLens(range, {
          title: `$(run) ${vscode.l10n.t('Run Cell on Cluster')}`,
          command: Commands.runCell,
          arguments: [document.uri, cell.markerLine],
        }),
        new vscode.CodeLens(range, {
          title: vscode.l10n.t('on Engines…'),
          command: Commands.runCellOnTargets,
          arguments: [document.uri, cell.markerLine],
        }),
      );
    }
    return lenses;
  }

  dispose(): void {
    this.#subscription.dispose();
    this.#onDidChange.dispose();
  }
}
