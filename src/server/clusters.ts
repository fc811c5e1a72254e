/**
 * ipp/clusters: every cluster of every profile, from ipyparallel's own records (core's clusterRecords),
 * with `connected` set for those a session of this server uses. Read on each request: the records are a
 * few small files, and their state (pids) changes under us.
 */
import { listClusterRecords } from '../core/protocol/clusterRecords';
import type { ClusterInfo } from '../shared/types';
import type { RequestHost } from './host';
import { toClusterInfo } from './toWire';

/** The connection file of a connected (or reconnecting) session, else undefined. */
function sessionFile(h: RequestHost): string | undefined {
  const state = h.client()?.state;
  return state === 'connected' || state === 'reconnecting' ? h.connectionFile() : undefined;
}

/** `connected` is set for the clusters any of the sessions uses. */
export function listClusters(sessions: readonly RequestHost[], p: { ipythonDir: string; extraDirs: string[] }): ClusterInfo[] {
  const files = sessions.flatMap((h) => sessionFile(h) ?? []);
  return listClusterRecords({ ipythonDir: p.ipythonDir, extraDirs: p.extraDirs }).map((r) => {
    const info = toClusterInfo(r, undefined);
    info.connected = files.some((f) => toClusterInfo(r, f).connected);
    return info;
  });
}
