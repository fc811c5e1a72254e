/**
 * Pure text of the status bar item (no `vscode`): cluster, engine count, running tasks, the cluster's
 * ipyparallel version (tooltip) and security posture (signed or not, dropped-message counts when any).
 */
import type { DroppedCounters, StatusResult } from '../shared/protocol';
import { l10n } from './l10n';

const transportLabel = (t: 'curve' | 'ssh' | 'plain'): string =>
  t === 'curve' ? l10n.t('CurveZMQ-encrypted') : t === 'ssh' ? l10n.t('SSH tunnel') : l10n.t('plain TCP');

/** ipp/status's result, with what the extension knows besides. */
export interface StatusInput extends StatusResult {
  /** Why the last state change happened, if because of an error. */
  message?: string;
  localCluster?: boolean;
  /** False until the language server is first started (lazily, on first use): the quiet idle state. */
  serverStarted?: boolean;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** 'warning' or 'error' background, or none. */
  severity?: 'warning' | 'error';
}

/** `default` for ipcontroller-client.json, `vscode-abc` for ipcontroller-vscode-abc-client.json, with the profile. */
export function clusterName(connectionFile: string | undefined): string {
  if (!connectionFile) return 'cluster';
  const parts = connectionFile.split(/[\\/]/);
  const name = parts[parts.length - 1];
  const m = /^ipcontroller(?:-(.+))?-client\.json$/.exec(name);
  const profile = parts.length >= 3 && parts[parts.length - 2] === 'security' ? /^profile_(.+)$/.exec(parts[parts.length - 3])?.[1] : undefined;
  if (!m) return name.replace(/\.json$/, '');
  const id = m[1];
  if (profile && profile !== 'default') return id ? `${profile}:${id}` : profile;
  return id ?? 'default';
}

export function totalDropped(d: DroppedCounters): number {
  return d.badSignature + d.replay + d.malformed;
}

/** "ipyparallel 9.2.0.dev0 (Python 3.11.2), as reported by an engine"; "ipyparallel: unknown"; '' while asking. */
export function versionLine(s: Pick<StatusResult, 'ipyparallelVersion' | 'pythonVersion'>): string {
  const v = s.ipyparallelVersion;
  if (v === undefined) return '';
  if (v === 'unknown') return l10n.t('ipyparallel: unknown (no engine could tell)');
  return s.pythonVersion
    ? l10n.t('ipyparallel {0} (Python {1}), as reported by an engine', v, s.pythonVersion)
    : l10n.t('ipyparallel {0}, as reported by an engine', v);
}

function securityLine(sec: NonNullable<StatusResult['security']>): string {
  const signed = sec.signed ? l10n.t('signed ({0})', sec.signatureScheme) : l10n.t('UNSIGNED: messages are not authenticated');
  const transport = sec.tunnel ? l10n.t('{0} via {1}', transportLabel(sec.transport), sec.tunnel) : transportLabel(sec.transport);
  return sec.loopback ? l10n.t('Security: {0}, {1} on loopback', signed, transport) : l10n.t('Security: {0}, {1}', signed, transport);
}

export function statusView(s: StatusInput): StatusView {
  const icon = '$(server-process)';
  if (s.state === 'connecting' || s.state === 'reconnecting') {
    return {
      text: `$(loading~spin) ${s.state === 'connecting' ? l10n.t('IPython Parallel: connecting…') : l10n.t('IPython Parallel: reconnecting…')}`,
      tooltip: s.state === 'connecting'
        ? l10n.t('Connecting to {0}', s.connectionFile ?? l10n.t('the cluster'))
        : l10n.t('Reconnecting to {0}', s.connectionFile ?? l10n.t('the cluster')),
    };
  }
  if (s.state !== 'connected' && s.serverStarted === false && !s.message) {
    return { text: 'IPython Parallel', tooltip: l10n.t('IPython Parallel: not connected. Click for actions (Connect, Start Local Cluster).') };
  }
  if (s.state !== 'connected') {
    return {
      text: `$(debug-disconnect) IPython Parallel`,
      tooltip: [l10n.t('Not connected to a cluster. Click for actions.'), s.message ?? ''].filter(Boolean).join('\n\n'),
      ...(s.message ? { severity: 'warning' as const } : {}),
    };
  }
  const parts = [`${icon} ${clusterName(s.connectionFile)}`, s.engines === 1 ? l10n.t('1 engine') : l10n.t('{0} engines', s.engines)];
  if (s.runningTasks) parts.push(`$(sync~spin) ${s.runningTasks}`);
  const sec = s.security;
  let severity: StatusView['severity'];
  if (sec && !sec.signed) {
    parts.push(`$(unlock) ${l10n.t('unsigned')}`);
    severity = 'warning';
  }
  const dropped = totalDropped(s.dropped);
  if (dropped) {
    parts.push(`$(warning) ${l10n.t('{0} dropped', dropped)}`);
    severity = 'error';
  }
  const tooltip = [
    s.localCluster
      ? l10n.t('Connected to {0} (local cluster started here)', clusterName(s.connectionFile))
      : l10n.t('Connected to {0}', clusterName(s.connectionFile)),
    s.connectionFile ? l10n.t('File: {0}', s.connectionFile) : '',
    l10n.t('Engines: {0}; running tasks: {1}', s.engines, s.runningTasks),
    ...[versionLine(s)].filter(Boolean),
    sec ? securityLine(sec) : '',
    ...(sec?.warnings ?? []).map((w) => `⚠ ${w}`),
    dropped
      ? l10n.t('Dropped messages: {0} bad signature, {1} replayed, {2} malformed', s.dropped.badSignature, s.dropped.replay, s.dropped.malformed)
      : '',
    '',
    l10n.t('Click for actions.'),
  ].filter((l, i, a) => l !== '' || (i > 0 && a[i - 1] !== ''));
  return { text: parts.join('  '), tooltip: tooltip.join('\n'), ...(severity ? { severity } : {}) };
}
