/**
 * The Tasks view: one row per run (newest first) with one child per task, and a History node that
 * loads the hub's task records (other clients' included) when expanded. Runs refresh one node at a
 * time as ipp/tasksChanged arrives; running runs tick once a second while the view is visible. With
 * several clusters connected, one top-level node per cluster holds its runs (clusterGroups.ts); the
 * History node is under the active one.
 */
import * as vscode from 'vscode';
import type { TaskSummary } from '../../shared/protocol';
import type { ClusterModel } from '../model';
import { clusterGroupItem, inOtherCluster, type ClusterGroupSource, type ClusterNode } from './clusterGroups';
import { NodeCache, type HistoryNode, type HistoryTaskNode, type MessageNode, type RunNode, type TaskNode, type TasksTreeNode } from './nodes';
import { toTreeItem } from './toTreeItem';
import { historyItem, historyTaskItem, messageItem, runItem, taskItem } from './treeItems';

export type HistoryLoader = () => Promise<TaskSummary[]>;

export class TasksTree implements vscode.TreeDataProvider<TasksTreeNode>, vscode.Disposable {
  readonly #onDidChange = new vscode.EventEmitter<TasksTreeNode | TasksTreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.#onDidChange.event;
  readonly #runs = new NodeCache<string, RunNode>((runId) => ({ kind: 'run', runId }));
  readonly #tasks = new NodeCache<string, TaskNode>((key) => {
    const [runId, msgId] = key.split('\u0000');
    return { kind: 'task', runId, msgId };
  });
  readonly #history: HistoryNode = { kind: 'history' };
  readonly #historyTasks = new NodeCache<string, HistoryTaskNode>((msgId) => ({ kind: 'historyTask', msgId }));
  readonly #clusters = new NodeCache<string, ClusterNode>((sessionId) => ({ kind: 'cluster', sessionId }));
  /** Runs and tasks of the clusters that are not active, by `sessionId\0runId[\0msgId]`. */
  readonly #otherRuns = new NodeCache<string, RunNode>((key) => {
    const [sessionId, runId] = key.split('\u0000');
    return { kind: 'run', runId, sessionId };
  });
  readonly #otherTasks = new NodeCache<string, TaskNode>((key) => {
    const [sessionId, runId, msgId] = key.split('\u0000');
    return { kind: 'task', runId, msgId, sessionId };
  });
  #historyData: TaskSummary[] | undefined;
  #historyError: string | undefined;
  readonly #disposables: { dispose(): void }[] = [];
  #ticker: NodeJS.Timeout | undefined;
  /** Set by whoever owns the TreeView: the ticker only runs while the view is visible. */
  visible = true;

  constructor(
    private readonly model: ClusterModel,
    private readonly loadHistory: HistoryLoader,
    private readonly groups?: ClusterGroupSource,
  ) {
    if (groups) this.#disposables.push(groups.onDidChange(() => this.#onDidChange.fire(undefined)));
    this.#disposables.push(
      model.onDidChangeRuns((change) => {
        if (change.added.length || change.removed.length) {
          this.#runs.retain(model.runs.map((r) => r.runId));
          this.#tasks.retain(model.runs.flatMap((r) => r.tasks.map((t) => `${r.runId}\u0000${t.msgId}`)));
          this.#onDidChange.fire(undefined);
        } else {
          this.#onDidChange.fire(change.changed.map((id) => this.#runs.get(id)));
        }
        this.#updateTicker();
      }),
      model.onDidChangeState(() => {
        this.#historyData = undefined;
        this.#historyError = undefined;
        this.#onDidChange.fire(undefined);
      }),
    );
  }

  getChildren(element?: TasksTreeNode): TasksTreeNode[] | Promise<TasksTreeNode[]> {
    if (!element) {
      const groups = this.groups?.groups() ?? [];
      return groups.length ? groups.map((g) => this.#clusters.get(g.sessionId)) : this.#activeRoot();
    }
    if (element.kind === 'cluster') return this.#clusterChildren(element.sessionId);
    if ((element.kind === 'run' || element.kind === 'task') && element.sessionId) return this.#otherChildren(element);
    switch (element.kind) {
      case 'run': {
        const run = this.model.run(element.runId);
        return (run?.tasks ?? []).map((t) => this.#tasks.get(`${element.runId}\u0000${t.msgId}`));
      }
      case 'history':
        return this.#historyChildren();
      default:
        return [];
    }
  }

  /** The rows of the active cluster: its runs, and History while connected. */
  #activeRoot(): TasksTreeNode[] {
    const runs: TasksTreeNode[] = this.model.runs.map((r) => this.#runs.get(r.runId));
    return this.model.connected ? [...runs, this.#history] : runs;
  }

  #clusterChildren(sessionId: string): TasksTreeNode[] {
    if (this.#group(sessionId)?.active) return this.#activeRoot();
    return (this.groups?.modelOf(sessionId)?.runs ?? []).map((r) => this.#otherRuns.get(`${sessionId}\u0000${r.runId}`));
  }

  /** The tasks of a run of a cluster that is not active. */
  #otherChildren(node: RunNode | TaskNode): TasksTreeNode[] {
    if (node.kind !== 'run' || !node.sessionId) return [];
    const run = this.groups?.modelOf(node.sessionId)?.run(node.runId);
    return (run?.tasks ?? []).map((t) => this.#otherTasks.get(`${node.sessionId}\u0000${node.runId}\u0000${t.msgId}`));
  }

  #group(sessionId: string) {
    return this.groups?.groups().find((g) => g.sessionId === sessionId);
  }

  /** The item of a cluster node, or of a run or task of a cluster that is not active. */
  #groupedItem(node: ClusterNode | RunNode | TaskNode, now: number): vscode.TreeItem {
    const sessionId = node.sessionId!;
    if (node.kind === 'cluster') {
      const g = this.#group(sessionId);
      const n = (g?.active ? this.model : this.groups?.modelOf(sessionId))?.runs.length ?? 0;
      return toTreeItem(g ? clusterGroupItem(g, n === 1 ? vscode.l10n.t('1 run') : vscode.l10n.t('{0} runs', n)) : messageItem(`gone:${sessionId}`, sessionId));
    }
    const run = this.groups?.modelOf(sessionId)?.run(node.runId);
    const task = node.kind === 'task' ? run?.tasks.find((t) => t.msgId === node.msgId) : undefined;
    const d = node.kind === 'run' ? (run && runItem(run, now)) : (task && taskItem(task, node.runId, now));
    return toTreeItem(inOtherCluster(d ?? messageItem(`gone:${node.kind === 'run' ? node.runId : node.msgId}`, vscode.l10n.t('(purged)')), sessionId));
  }

  async #historyChildren(): Promise<TasksTreeNode[]> {
    if (!this.#historyData && !this.#historyError) {
      try {
        this.#historyData = await this.loadHistory();
      } catch (e) {
        // Never a popup from getChildren: the error becomes a row.
        this.#historyError = e instanceof Error ? e.message : String(e);
      }
    }
    if (this.#historyError) return [this.#message('history-error', vscode.l10n.t('Could not load the history: {0}', this.#historyError), 'warning')];
    const data = this.#historyData ?? [];
    if (!data.length) return [this.#message('history-empty', vscode.l10n.t('The hub has no task records.'), 'info')];
    this.#historyTasks.retain(data.map((t) => t.msgId));
    return data.map((t) => this.#historyTasks.get(t.msgId));
  }

  #message(id: string, text: string, icon?: string): MessageNode {
    return { kind: 'message', id, text, icon };
  }

  getTreeItem(node: TasksTreeNode): vscode.TreeItem {
    const now = Date.now();
    if (node.kind === 'cluster' || ((node.kind === 'run' || node.kind === 'task') && node.sessionId)) return this.#groupedItem(node, now);
    switch (node.kind) {
      case 'run': {
        const run = this.model.run(node.runId);
        return toTreeItem(run ? runItem(run, now) : messageItem(`gone:${node.runId}`, vscode.l10n.t('(purged)')));
      }
      case 'task': {
        const task = this.model.run(node.runId)?.tasks.find((t) => t.msgId === node.msgId);
        return toTreeItem(task ? taskItem(task, node.runId, now) : messageItem(`gone:${node.msgId}`, vscode.l10n.t('(purged)')));
      }
      case 'history':
        return toTreeItem(historyItem(this.#historyData?.length));
      case 'historyTask': {
        const t = this.#historyData?.find((h) => h.msgId === node.msgId);
        return toTreeItem(t ? historyTaskItem(t, now) : messageItem(`gone:${node.msgId}`, node.msgId));
      }
      case 'message':
        return toTreeItem(messageItem(node.id, node.text, node.icon));
    }
  }

  getParent(node: TasksTreeNode): TasksTreeNode | undefined {
    if (node.kind === 'task') return node.sessionId ? this.#otherRuns.get(`${node.sessionId}\u0000${node.runId}`) : this.#runs.get(node.runId);
    if (node.kind === 'historyTask') return this.#history;
    if (node.kind !== 'run' && node.kind !== 'history') return undefined;
    // Grouped by cluster: runs and History are under their cluster's node.
    const groups = this.groups?.groups() ?? [];
    const sessionId = node.kind === 'run' ? node.sessionId : undefined;
    const g = sessionId ? groups.find((x) => x.sessionId === sessionId) : groups.find((x) => x.active);
    return g && this.#clusters.get(g.sessionId);
  }

  /** The history task data behind a node (for resubmit and copy). */
  historyTask(msgId: string): TaskSummary | undefined {
    return this.#historyData?.find((t) => t.msgId === msgId);
  }

  get historyNode(): HistoryNode {
    return this.#history;
  }

  runNode(runId: string): RunNode {
    return this.#runs.get(runId);
  }

  taskNode(runId: string, msgId: string): TaskNode {
    return this.#tasks.get(`${runId}\u0000${msgId}`);
  }

  /** Reloads the History node from the hub. */
  reloadHistory(): void {
    this.#historyData = undefined;
    this.#historyError = undefined;
    this.#onDidChange.fire(this.#history);
  }

  refresh(): void {
    this.#onDidChange.fire(undefined);
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.#updateTicker();
  }

  #updateTicker(): void {
    const want = this.visible && this.model.hasRunningTasks;
    if (want && !this.#ticker) {
      this.#ticker = setInterval(() => {
        const running = this.model.runs.filter((r) => r.state === 'running' || r.state === 'pending');
        if (running.length) this.#onDidChange.fire(running.map((r) => this.#runs.get(r.runId)));
        else this.#updateTicker();
      }, 1000);
    } else if (!want && this.#ticker) {
      clearInterval(this.#ticker);
      this.#ticker = undefined;
    }
  }

  dispose(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    for (const d of this.#disposables) d.dispose();
    this.#onDidChange.dispose();
  }
}
