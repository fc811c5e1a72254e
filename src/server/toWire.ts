/**
 * The one place where core's types become the wire contract's (src/shared). Each mapper names the fields
 * it sends, so a field added to a core type stays off the wire until it is added to the contract and here.
 * Optional fields are copied only when present, so a message carries no `"field": undefined` holes.
 */
import type { ClientStatus, EngineInfo as CoreEngine, SecurityPosture as CoreSecurity, TaskInfo } from '../core/client/types';
import { resolve } from 'node:path';
import type { ClusterRecord } from '../core/protocol/clusterRecords';
import type { FoundCluster as CoreFoundCluster } from '../core/protocol/discovery';
import type { ClusterInfo, EngineInfo, FoundCluster, SecurityPosture, TaskSummary } from '../shared/types';
import type { StatusResult } from '../shared/protocol';

/** Copies the keys of `from` listed in `keys` whose value is not undefined. */
function copyDefined<S extends object, K extends keyof S>(to: Partial<Pick<S, K>>, from: S, keys: readonly K[]): void {
  for (const k of keys) if (from[k] !== undefined) to[k] = from[k];
}

const TASK_OPTIONAL = [
  'runId',
  'engineId',
  'engineUuid',
  'started',
  'completed',
  'received',
  'error',
  'reason',
  'executionCount',
  'userExpressions',
  'resubmittedAs',
  'resubmittedFrom',
  'reattached',
  'foreign',
  'data',
  'progress',
] as const;

/** A task without its code and outputs. */
export function toTaskSummary(task: TaskInfo): TaskSummary {
  const out: TaskSummary = { msgId: task.msgId, queue: task.queue, state: task.state, submitted: task.submitted, outputCount: task.outputs.length };
  copyDefined(out, task, TASK_OPTIONAL);
  return out;
}

export function toEngineInfo(e: CoreEngine): EngineInfo {
  return { id: e.id, uuid: e.uuid, status: e.status, queue: e.queue, completed: e.completed, tasks: e.tasks };
}

export function toEngines(engines: readonly CoreEngine[]): EngineInfo[] {
  return engines.map(toEngineInfo);
}

export function toSecurity(s: CoreSecurity): SecurityPosture {
  const out: SecurityPosture = { signed: s.signed, signatureScheme: s.signatureScheme, transport: s.transport, loopback: s.loopback, warnings: [...s.warnings] };
  if (s.tunnel !== undefined) out.tunnel = s.tunnel;
  return out;
}

/** The posture of a session that has none yet (no connection): unsigned, plain, not loopback. */
export const NO_SECURITY: SecurityPosture = { signed: false, signatureScheme: '', transport: 'plain', loopback: false, warnings: [] };

export function toStatus(s: ClientStatus, connectionFile: string | undefined): StatusResult {
  const out: StatusResult = { state: s.state, engines: s.engines, runningTasks: s.runningTasks, dropped: s.dropped };
  const file = s.connectionFile ?? connectionFile;
  if (file !== undefined) out.connectionFile = file;
  if (s.ipyparallelVersion !== undefined) out.ipyparallelVersion = s.ipyparallelVersion;
  if (s.pythonVersion !== undefined) out.pythonVersion = s.pythonVersion;
  if (s.security) out.security = toSecurity(s.security);
  return out;
}

export function toFoundCluster(c: CoreFoundCluster): FoundCluster {
  const out: FoundCluster = { profile: c.profile, clusterId: c.clusterId, profileDir: c.profileDir, connectionFile: c.connectionFile, modified: c.modified };
  copyDefined(out, c, ['controllerPid', 'engineCount'] as const);
  return out;
}

/** A cluster record; `connected` when its connection file is the one the session uses. */
export function toClusterInfo(r: ClusterRecord, connectedFile: string | undefined): ClusterInfo {
  const out: ClusterInfo = {
    profile: r.profile,
    profileDir: r.profileDir,
    clusterId: r.clusterId,
    state: r.state,
    engineCount: r.engineCount,
    launcher: r.launcher,
    pids: [...r.pids],
    livePids: [...r.livePids],
    jobIds: [...r.jobIds],
    lostEngines: r.lostEngines,
    logFiles: [...r.outputFiles],
    connected: connectedFile !== undefined && r.connectionFile !== undefined && resolve(r.connectionFile) === resolve(connectedFile),
  };
  copyDefined(out, r, ['startTime', 'connectionFile', 'recordFile', 'controllerPid', 'python'] as const);
  return out;
}
