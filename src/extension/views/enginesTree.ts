/**
 * The Engines view: one row per engine, refreshed per engine as ipp/enginesChanged arrives. With several
 * clusters connected, one top-level node per cluster holds its engines (clusterGroups.ts).
 */
import * as vscode from 'vscode';
import type { ClusterModel } from '../model';
import { clusterGroupItem, inOtherCluster, type ClusterGroupSource, type ClusterNode } from './clusterGroups';
import { NodeCache, type EngineNode, type EnginesTreeNode } from './nodes';
import { toTreeItem } from './toTreeItem';
import { engineItem, messageItem } from './treeItems';

export class EnginesTree implements vscode.TreeDataProvider<EnginesTreeNode>, vscode.Disposable {
  readonly #onDidChange = new vscode.EventEmitter<EnginesTreeNode | EnginesTreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.#onDidChange.event;
  readonly #nodes = new NodeCache<number, EngineNode>((engineId) => ({ kind: 'engine', engineId }));
  /** Engines of the clusters that are not active, by `sessionId\0engineId`. */
  readonly #otherNodes = new NodeCache<string, EngineNode>((key) => {
    const [sessionId, id] = key.split('\u0000');
    return { kind: 'engine', engineId: Number(id), sessionId };
  });
  readonly #clusters = new NodeCache<string, ClusterNode>((sessionId) => ({ kind: 'cluster', sessionId }));
  readonly #subscriptions: { dispose(): void }[] = [];

  constructor(
    private readonly model: ClusterModel,
    private readonly groups?: ClusterGroupSource,
  ) {
    this.#subscriptions.push(model.onDidChangeEngines((change) => {
      if (change.added.length || change.removed.length) {
        this.#nodes.retain(model.engines.map((e) => e.id));
        this.#onDidChange.fire(undefined);
      } else {
        this.#onDidChange.fire(change.changed.map((id) => this.#nodes.get(id)));
      }
    }));
    if (groups) this.#subscriptions.push(groups.onDidChange(() => this.#onDidChange.fire(undefined)));
  }

  getChildren(element?: EnginesTreeNode): EnginesTreeNode[] {
    if (!element) {
      const groups = this.groups?.groups() ?? [];
      if (groups.length) return groups.map((g) => this.#clusters.get(g.sessionId));
      return this.#activeEngines();
    }
    if (element.kind !== 'cluster') return [];
    if (this.#isActive(element.sessionId)) return this.#activeEngines();
    const other = this.groups?.modelOf(element.sessionId);
    return (other?.engines ?? []).map((e) => this.#otherNodes.get(`${element.sessionId}\u0000${e.id}`));
  }

  #activeEngines(): EngineNode[] {
    return this.model.engines.map((e) => this.#nodes.get(e.id));
  }

  #isActive(sessionId: string): boolean {
    return this.groups?.groups().find((g) => g.sessionId === sessionId)?.active ?? false;
  }

  getTreeItem(node: EnginesTreeNode): vscode.TreeItem {
    if (node.kind === 'cluster') {
      const g = this.groups?.groups().find((x) => x.sessionId === node.sessionId);
      const n = (g?.active ? this.model : this.groups?.modelOf(node.sessionId))?.engines.length ?? 0;
      const count = n === 1 ? vscode.l10n.t('1 engine') : vscode.l10n.t('{0} engines', n);
      return toTreeItem(g ? clusterGroupItem(g, count) : messageItem(`gone:${node.sessionId}`, node.sessionId));
    }
    if (node.sessionId) {
      const e = this.groups?.modelOf(node.sessionId)?.engine(node.engineId);
      const d = e ? engineItem(e) : messageItem(`gone:${node.engineId}`, vscode.l10n.t('engine {0} (gone)', node.engineId));
      return toTreeItem(inOtherCluster(d, node.sessionId));
    }
    const e = this.model.engine(node.engineId);
    return toTreeItem(e ? engineItem(e) : messageItem(`gone:${node.engineId}`, vscode.l10n.t('engine {0} (gone)', node.engineId)));
  }

  /** An engine's cluster node while the view groups by cluster (reveal needs it). */
  getParent(node: EnginesTreeNode): ClusterNode | undefined {
    if (node.kind !== 'engine') return undefined;
    const groups = this.groups?.groups() ?? [];
    const g = node.sessionId ? groups.find((x) => x.sessionId === node.sessionId) : groups.find((x) => x.active);
    return g && this.#clusters.get(g.sessionId);
  }

  /** The node of an engine id of the active cluster (for reveal and for tests). */
  node(engineId: number): EngineNode {
    return this.#nodes.get(engineId);
  }

  /** The top-level node of a cluster while the view groups by cluster (for tests). */
  clusterNode(sessionId: string): ClusterNode {
    return this.#clusters.get(sessionId);
  }

  refresh(): void {
    this.#onDidChange.fire(undefined);
  }

  dispose(): void {
    for (const s of this.#subscriptions) s.dispose();
    this.#onDidChange.dispose();
  }
}
