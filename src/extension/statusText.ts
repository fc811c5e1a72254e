/**
 * Pure text of the status bar item (no `vscode`): cluster, engine count, running tasks, the cluster's
 * ipyparallel version (tooltip) and security posture (signed or not, dropped-message counts when any).
 */
import type { DroppedCounters, StatusResult } from '../shared/protocol';

const TRANSPORT_LABEL: Record<'curve' | 'ssh' | 'plain', string> = {
  curve: 'CurveZMQ-encrypted',
  ssh: 'SSH tunnel',
  plain: 'plain TCP',
};

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
  if (v === 'unknown') return 'ipyparallel: unknown (no engine could tell)';
  return `ipyparallel ${v}${s.pythonVersion ? ` (Python ${s.pythonVersion})` : ''}, as reported by an engine`;
}

export function statusView(s: StatusInput): StatusView {
  const icon = '$(server-process)';
  if (s.state === 'connecting' || s.state === 'reconnecting') {
    return {
      text: `$(loading~spin) IPython Parallel: ${s.state}…`,
      tooltip: `${s.state === 'connecting' ? 'Connecting to' : 'Reconnecting to'} ${s.connectionFile ?? 'the cluster'}`,
    };
  }
  if (s.state !== 'connected' && s.serverStarted === false && !s.message) {
    return { text: 'IPython Parallel', tooltip: 'IPython Parallel: not connected. Click for actions (Connect, Start Local Cluster).' };
  }
  if (s.state !== 'connected') {
    return {
      text: `$(debug-disconnect) IPython Parallel`,
      tooltip: ['Not connected to a cluster. Click for actions.', s.message ?? ''].filter(Boolean).join('\n\n'),
      ...(s.message ? { severity: 'warning' as const } : {}),
    };
  }
  const parts = [`${icon} ${clusterName(s.connectionFile)}`, `${s.engines} engine${s.engines === 1 ? '' : 's'}`];
  if (s.runningTasks) parts.push(`$(sync~spin) ${s.runningTasks}`);
  const sec = s.security;
  let severity: StatusView['severity'];
  if (sec && !sec.signed) {
    parts.push('$(unlock) unsigned');
    severity = 'warning';
  }
  const dropped = totalDropped(s.dropped);
  if (dropped) {
    parts.push(`$(warning) ${dropped} dropped`);
    severity = 'error';
  }
  const tooltip = [
    `Connected to ${clusterName(s.connectionFile)}${s.localCluster ? ' (local cluster started here)' : ''}`,
    s.connectionFile ? `File: ${s.connectionFile}` : '',
    `Engines: ${s.engines}; running tasks: ${s.runningTasks}`,
    ...[versionLine(s)].filter(Boolean),
    sec
      ? `Security: ${sec.signed ? `signed (${sec.signatureScheme})` : 'UNSIGNED: messages are not authenticated'}, ` +
        `${TRANSPORT_LABEL[sec.transport]}${sec.tunnel ? ` via ${sec.tunnel}` : ''}${sec.loopback ? ' on loopback' : ''}`
      : '',
    ...(sec?.warnings ?? []).map((w) => `⚠ ${w}`),
    dropped
      ? `Dropped messages: ${s.dropped.badSignature} bad signature, ${s.dropped.replay} replayed, ${s.dropped.malformed} malformed`
      : '',
    '',
    'Click for actions.',
  ].filter((l, i, a) => l !== '' || (i > 0 && a[i - 1] !== ''));
  return { text: parts.join('  '), tooltip: tooltip.join('\n'), ...(severity ? { severity } : {}) };
}
