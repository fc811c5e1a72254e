/**
 * Tree elements: small stable references into the model (the tree-view-sample pattern), so a refresh
 * of one node is a fire() with the same object. Pure: no `vscode`.
 */
import type { TaskSelection } from '../../shared/protocol';
import type { ClusterNode } from './clusterGroups';

/** `sessionId` is set on the rows of a cluster that is not the active one (several clusters connected). */
export interface EngineNode {
  readonly kind: 'engine';
  readonly engineId: number;
  readonly sessionId?: string;
}
export interface RunNode {
  readonly kind: 'run';
  readonly runId: string;
  readonly sessionId?: string;
}
export interface TaskNode {
  readonly kind: 'task';
  readonly runId: string;
  readonly msgId: string;
  readonly sessionId?: string;
}
export interface HistoryNode {
  readonly kind: 'history';
}
export interface HistoryTaskNode {
  readonly kind: 'historyTask';
  readonly msgId: string;
}
export interface MessageNode {
  readonly kind: 'message';
  readonly id: string;
  readonly text: string;
  readonly icon?: string;
}
export type TasksTreeNode = RunNode | TaskNode | HistoryNode | HistoryTaskNode | MessageNode | ClusterNode;
export type EnginesTreeNode = EngineNode | ClusterNode;
export type AnyNode = EnginesTreeNode | TasksTreeNode;
export type { ClusterNode };

/** Stable node objects by key: the same key always gives the same object until it is forgotten. */
export class NodeCache<K, N> {
  #nodes = new Map<K, N>();
  constructor(private readonly make: (key: K) => N) {}
  get(key: K): N {
    let n = this.#nodes.get(key);
    if (!n) {
      n = this.make(key);
      this.#nodes.set(key, n);
    }
    return n;
  }
  peek(key: K): N | undefined {
    return this.#nodes.get(key);
  }
  delete(key: K): void {
    this.#nodes.delete(key);
  }
  /** Forgets every key not in `keep`. */
  retain(keep: Iterable<K>): void {
    const k = new Set(keep);
    for (const key of [...this.#nodes.keys()]) if (!k.has(key)) this.#nodes.delete(key);
  }
}

/**
 * The command argument of a tree context action: the clicked node, and the whole selection when the
 * view allows several (VS Code passes `(clicked, selected[])`).
 */
export function selectedNodes<N>(clicked: N | undefined, selected: unknown): N[] {
  if (Array.isArray(selected) && selected.length) return selected as N[];
  return clicked ? [clicked] : [];
}

/** A run, task or history row of the active cluster (rows of the others carry their sessionId). */
function isTaskish(n: unknown): n is RunNode | TaskNode | HistoryTaskNode {
  const k = (n as { kind?: unknown } | undefined)?.kind;
  return (k === 'run' || k === 'task' || k === 'historyTask') && !(n as { sessionId?: string }).sessionId;
}

/**
 * The ipp/* task selection for a set of Tasks-view nodes: whole runs by runId when one run is
 * selected alone, else the msg_ids (a run node stands for all of its tasks via `msgIdsOfRun`).
 */
export function taskSelection(nodes: readonly unknown[], msgIdsOfRun: (runId: string) => string[]): TaskSelection | undefined {
  const ns = nodes.filter(isTaskish);
  if (!ns.length) return undefined;
  if (ns.length === 1 && ns[0].kind === 'run') return { runId: ns[0].runId };
  const ids = new Set<string>();
  for (const n of ns) {
    if (n.kind === 'run') for (const id of msgIdsOfRun(n.runId)) ids.add(id);
    else ids.add(n.msgId);
  }
  return { msgIds: [...ids] };
}
