/**
 * The Engines and Tasks views with several clusters connected (issue 14): one top-level node per cluster,
 * "profile/cluster-id (active)", with the rows of that cluster under it as the view shows them with one
 * cluster. The active cluster's rows come from the extension's model; the others' from the small models
 * sessionsCtl.ts keeps for them. Pure (no `vscode`): unit tested in plain Node.
 */
import { TreeItemContexts } from '../ids';
import { l10n } from '../l10n';
import type { ClusterModel } from '../model';
import type { ItemDescriptor } from './treeItems';

/** The top-level node of one cluster (one language-server session). */
export interface ClusterNode {
  readonly kind: 'cluster';
  readonly sessionId: string;
}

export interface OpenSession {
  sessionId: string;
  connectionFile: string | undefined;
}

export interface ClusterGroup {
  sessionId: string;
  /** `profile/cluster-id`, or the file name when the path is not ipyparallel's. */
  label: string;
  active: boolean;
}

/** What the trees read the groups from (sessionsCtl.ts). */
export interface ClusterGroupSource {
  /** The groups to show: none while fewer than two clusters are connected (the views look as with one). */
  groups(): ClusterGroup[];
  /** The model of a session that is not the active one. */
  modelOf(sessionId: string): ClusterModel | undefined;
  onDidChange(listener: () => void): { dispose(): void };
}

/** `profile/cluster-id` of a client connection file (…/profile_<p>/security/ipcontroller[-<id>]-client.json). */
export function clusterGroupLabel(connectionFile: string | undefined): string {
  if (!connectionFile) return l10n.t('(connecting)');
  const parts = connectionFile.split(/[\\/]/);
  const name = parts[parts.length - 1];
  const m = /^ipcontroller(?:-(.+))?-client\.json$/.exec(name);
  if (!m) return name.replace(/\.json$/, '');
  const profile = parts.length >= 3 && parts[parts.length - 2] === 'security' ? /^profile_(.+)$/.exec(parts[parts.length - 3])?.[1] : undefined;
  return m[1] ? `${profile ?? 'default'}/${m[1]}` : (profile ?? 'default');
}

/** One group per open session, in the order opened, when there are two or more; else none. */
export function clusterGroups(open: readonly OpenSession[], active: string): ClusterGroup[] {
  if (open.length < 2) return [];
  return open.map((s) => ({ sessionId: s.sessionId, label: clusterGroupLabel(s.connectionFile), active: s.sessionId === active }));
}

/** The top-level row of a cluster; `count` is its engine or run count text. */
export function clusterGroupItem(g: ClusterGroup, count: string): ItemDescriptor {
  return {
    id: `cluster:${g.sessionId}`,
    label: g.active ? l10n.t('{0} (active)', g.label) : g.label,
    description: count,
    tooltip: g.active ? l10n.t('Runs and the keybinding go to this cluster') : l10n.t('Switch Active Cluster (palette or status bar) to run here'),
    icon: { id: g.active ? 'vm-active' : 'vm' },
    contextValue: TreeItemContexts.clusterGroup,
    collapsible: 'expanded',
  };
}

/**
 * A row of a cluster that is not the active one: an id of its own (the same engine or run id exists in
 * every cluster), and no row actions or click command (they act on the active cluster).
 */
export function inOtherCluster(d: ItemDescriptor, sessionId: string): ItemDescriptor {
  const { command: _command, ...rest } = d;
  return { ...rest, id: `${sessionId}/${d.id}`, contextValue: TreeItemContexts.otherCluster };
}
