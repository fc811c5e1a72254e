/**
 * The Clusters view's rows as pure descriptors (unit tested in plain Node): one per cluster record, with
 * its state icon, "N engines · launcher · started HH:MM", a connected marker, and the contextValue that
 * chooses its menu (by state).
 */
import type { ClusterInfo, ClusterRecordState } from '../../shared/types';
import { TreeItemContexts } from '../ids';
import { l10n } from '../l10n';
import type { IconDescriptor, ItemDescriptor } from './treeItems';

export interface ClusterNode {
  readonly kind: 'cluster';
  /** `<profileDir>\0<clusterId>`: stable across re-lists. */
  readonly key: string;
}

export function clusterKey(c: Pick<ClusterInfo, 'profileDir' | 'clusterId'>): string {
  return `${c.profileDir}\0${c.clusterId}`;
}

const STATE_ICONS: Record<ClusterRecordState, IconDescriptor> = {
  running: { id: 'vm-running', color: 'charts.green' },
  stopped: { id: 'vm-outline' },
  stale: { id: 'warning', color: 'charts.yellow' },
};
const CONNECTED_ICON: IconDescriptor = { id: 'vm-connect', color: 'charts.green' };
const LOST_ICON: IconDescriptor = { id: 'vm-active', color: 'charts.orange' };

const stateText = (s: ClusterRecordState): string =>
  s === 'running' ? l10n.t('running') : s === 'stopped' ? l10n.t('stopped (no process recorded)') : l10n.t('stale: its files remain but its processes are gone');

/** Engines of a running cluster whose process died (0 when none, or not running). */
export function lostOf(c: Pick<ClusterInfo, 'state' | 'lostEngines'>): number {
  return c.state === 'running' ? (c.lostEngines ?? 0) : 0;
}

export function clusterIcon(c: Pick<ClusterInfo, 'state' | 'connected' | 'lostEngines'>): IconDescriptor {
  if (lostOf(c) > 0) return LOST_ICON;
  return c.connected ? CONNECTED_ICON : STATE_ICONS[c.state];
}

/** `cluster.running[.connected][.lost]`, `cluster.stale`, `cluster.stopped`: the menus key on it. */
export function clusterContext(c: Pick<ClusterInfo, 'state' | 'connected' | 'lostEngines'>): string {
  if (c.state !== 'running') return c.state === 'stale' ? TreeItemContexts.clusterStale : TreeItemContexts.clusterStopped;
  const base = c.connected ? TreeItemContexts.clusterConnected : TreeItemContexts.clusterRunning;
  return lostOf(c) > 0 ? base + TreeItemContexts.clusterLostSuffix : base;
}

/** `4 engines`, or `2 of 4 engines lost` when some died. */
function enginesText(c: Pick<ClusterInfo, 'state' | 'engineCount' | 'lostEngines'>): string {
  const lost = lostOf(c);
  if (lost > 0) return l10n.t('{0} of {1} engines lost', lost, c.engineCount);
  return c.engineCount ? (c.engineCount === 1 ? l10n.t('1 engine') : l10n.t('{0} engines', c.engineCount)) : '';
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `10:42` today (local time), `2025-03-01 10:42` another day. */
export function formatStartTime(ms: number, now: number): string {
  const d = new Date(ms);
  const today = new Date(now);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const sameDay = d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() && d.getDate() === today.getDate();
  return sameDay ? hm : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

export function clusterLabel(c: Pick<ClusterInfo, 'profile' | 'clusterId'>): string {
  return `${c.profile} / ${c.clusterId || l10n.t('(default)')}`;
}

function clusterTooltip(c: ClusterInfo): string {
  const state = c.connected ? l10n.t('connected, {0}', stateText(c.state)) : stateText(c.state);
  const lines = [`${clusterLabel(c)}: ${state}`, l10n.t('profile dir {0}', c.profileDir)];
  if (c.connectionFile) lines.push(l10n.t('connection file {0}', c.connectionFile));
  if (c.pids.length) {
    const live = c.livePids.length ? l10n.t('running: {0}', c.livePids.join(', ')) : l10n.t('none running');
    lines.push(l10n.t('processes {0} ({1})', c.pids.join(', '), live));
  }
  if (c.jobIds.length) lines.push(l10n.t('batch jobs {0}', c.jobIds.join(', ')));
  const lost = lostOf(c);
  if (lost > 0) lines.push(lost === 1 ? l10n.t('1 engine died: Restart Engines starts a new one in this cluster') : l10n.t('{0} engines died: Restart Engines starts new ones in this cluster', lost));
  if (c.python) lines.push(l10n.t('python {0}', c.python));
  return lines.join('\n');
}

export function clusterItem(c: ClusterInfo, now: number): ItemDescriptor {
  const parts = [
    c.connected ? l10n.t('connected') : c.state === 'running' ? '' : c.state,
    enginesText(c),
    c.launcher === 'other' ? '' : c.launcher,
    c.startTime !== undefined ? l10n.t('started {0}', formatStartTime(c.startTime, now)) : '',
  ];
  return {
    id: `cluster:${clusterKey(c)}`,
    label: clusterLabel(c),
    description: parts.filter(Boolean).join(' · '),
    tooltip: clusterTooltip(c),
    icon: clusterIcon(c),
    contextValue: clusterContext(c),
    collapsible: 'none',
  };
}

/**
 * The listing, plus the clusters listed before that are gone from it since: a clean stop removes every
 * file of a cluster (record and connection files), so without this a stopped cluster would vanish. Those
 * rows show as stopped, without files or live processes, until the view is refreshed by hand.
 */
export function withVanished(current: readonly ClusterInfo[], previous: readonly ClusterInfo[]): ClusterInfo[] {
  const listed = new Set(current.map(clusterKey));
  const gone = previous
    .filter((c) => !listed.has(clusterKey(c)))
    .map((c): ClusterInfo => {
      const { python: _python, connectionFile: _file, recordFile: _record, ...rest } = c;
      return { ...rest, state: 'stopped', connected: false, livePids: [] };
    });
  const order = (a: ClusterInfo, b: ClusterInfo) => a.profileDir.localeCompare(b.profileDir) || a.clusterId.localeCompare(b.clusterId);
  return gone.length ? [...current, ...gone].sort(order) : [...current];
}
