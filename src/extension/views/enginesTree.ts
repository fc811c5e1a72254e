/** The Engines view: one row per engine, refreshed per engine as ipp/enginesChanged arrives. */
import * as vscode from 'vscode';
import type { ClusterModel } from '../model';
import { NodeCache, type EngineNode } from './nodes';
import { toTreeItem } from './toTreeItem';
import { engineItem, messageItem } from './treeItems';

export class EnginesTree implements vscode.TreeDataProvider<EngineNode>, vscode.Disposable {
  readonly #onDidChange = new vscode.EventEmitter<EngineNode | EngineNode[] | undefined>();
  readonly onDidChangeTreeData = this.#onDidChange.event;
  readonly #nodes = new NodeCache<number, EngineNode>((engineId) => ({ kind: 'engine', engineId }));
  readonly #subscription: { dispose(): void };

  constructor(private readonly model: ClusterModel) {
    this.#subscription = model.onDidChangeEngines((change) => {
      if (change.added.length || change.removed.length) {
        this.#nodes.retain(model.engines.map((e) => e.id));
        this.#onDidChange.fire(undefined);
      } else {
        this.#onDidChange.fire(change.changed.map((id) => this.#nodes.get(id)));
      }
    });
  }

  getChildren(element?: EngineNode): EngineNode[] {
    if (element) return [];
    return this.model.engines.map((e) => this.#nodes.get(e.id));
  }

  getTreeItem(node: EngineNode): vscode.TreeItem {
    const e = this.model.engine(node.engineId);
    return toTreeItem(e ? engineItem(e) : messageItem(`gone:${node.engineId}`, vscode.l10n.t('engine {0} (gone)', node.engineId)));
  }

  getParent(): undefined {
    return undefined;
  }

  /** The node of an engine id (for reveal and for tests). */
  node(engineId: number): EngineNode {
    return this.#nodes.get(engineId);
  }

  refresh(): void {
    this.#onDidChange.fire(undefined);
  }

  dispose(): void {
    this.#subscription.dispose();
    this.#onDidChange.dispose();
  }
}
