/**
 * One parser per ipp/* `*Params` type: each takes what the client sent (unknown JSON) and returns the
 * typed value, or throws an InvalidParams ResponseError that names the field. Handlers use only these.
 */
import { isAbsolute, resolve } from 'node:path';
import { connectionFilePath, defaultIpythonDir } from '../core/protocol/discovery';
import { clampTimeoutMs } from '../core/timeouts';
import { parseSshServer } from '../core/transport/sshArgs';
import type {
  AbortParams,
  ExecuteParams,
  HistoryParams,
  InterruptParams,
  ClustersParams,
  ListClustersParams,
  PurgeParams,
  ReattachParams,
  ReattachRun,
  TaskSelection,
  TasksParams,
  WaitParams,
} from '../shared/protocol';
import type { Targets } from '../shared/types';
import type { ClientFactoryOptions } from './clientApi';
import { invalidParams } from './errors';
import { message } from '../core/messages';

type Fields = Record<string, unknown>;

function object(params: unknown): Fields {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) throw invalidParams('params', message('mustBeObject'));
  return params as Fields;
}

function optionalString(p: Fields, field: string): string | undefined {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParams(field, message('mustBeString'));
  return v;
}

function optionalInt(p: Fields, field: string, min = 0): number | undefined {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw invalidParams(field, message('mustBeIntegerAtLeast', min));
  return v;
}

function optionalBoolean(p: Fields, field: string): boolean | undefined {
  const v = p[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalidParams(field, message('mustBeBoolean'));
  return v;
}

function isEngineId(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

function optionalIds(p: Fields, field: string): number[] | undefined {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every(isEngineId)) throw invalidParams(field, message('mustBeEngineIds'));
  return v;
}

function optionalStrings(p: Fields, field: string): string[] | undefined {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) throw invalidParams(field, message('mustBeStrings'));
  return v;
}

function targets(v: unknown): Targets {
  if (v === 'all' || v === 'balanced') return v;
  if (Array.isArray(v) && v.length > 0 && v.every(isEngineId)) return v;
  throw invalidParams('targets', message('mustBeTargets'));
}

function stringMap(p: Fields, field: string, what: string): Record<string, string> | undefined {
  const v = p[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidParams(field, message('mustBeObjectOf', what));
  return v as Record<string, string>;
}

/** ipp/connect: the connection file it means (the given path, or the one discovery names), and SSH options. */
export interface ParsedConnect extends Pick<ClientFactoryOptions, 'sshServer' | 'ssh'> {
  connectionFile: string;
}
/** A malformed sshServer is a bad parameter (InvalidParams naming it), not a failed connect. */
function checkSshServer(spec: string): void {
  try {
    parseSshServer(spec);
  } catch (e) {
    throw invalidParams('sshServer', message('notUsable', (e as Error).message));
  }
}

export function parseConnectParams(params: unknown): ParsedConnect {
  const p = object(params);
  const sshServer = optionalString(p, 'sshServer') || undefined;
  if (sshServer !== undefined) checkSshServer(sshServer);
  const sshPath = optionalString(p, 'sshPath') || undefined;
  const extraArgs = optionalStrings(p, 'sshArgs');
  const ssh = sshPath || extraArgs ? { sshPath, extraArgs } : undefined;
  const file = optionalString(p, 'connectionFile');
  if (file !== undefined) {
    if (file.trim() === '') throw invalidParams('connectionFile', message('mustNotBeEmpty'));
    return { connectionFile: isAbsolute(file) ? file : resolve(file), sshServer, ssh };
  }
  const ipythonDir = optionalString(p, 'ipythonDir') || defaultIpythonDir();
  const connectionFile = connectionFilePath(ipythonDir, optionalString(p, 'profile') || 'default', optionalString(p, 'clusterId') ?? '');
  return { connectionFile, sshServer, ssh };
}

/** The optional `sessionId` any ipp/* request may carry. */
export function parseSessionId(params: unknown): string | undefined {
  if (params === undefined || params === null || typeof params !== 'object' || Array.isArray(params)) return undefined;
  const id = optionalString(params as Fields, 'sessionId');
  if (id !== undefined && id.trim() === '') throw invalidParams('sessionId', message('mustNotBeEmpty'));
  return id;
}

export function parseListClustersParams(params: unknown): Required<ListClustersParams> {
  return { ipythonDir: optionalString(object(params), 'ipythonDir') || defaultIpythonDir() };
}

export function parseClustersParams(params: unknown): { ipythonDir: string; extraDirs: string[] } {
  const p = object(params);
  const extraDirs = optionalStrings(p, 'extraDirs') ?? [];
  if (extraDirs.some((d) => !isAbsolute(d))) throw invalidParams('extraDirs', message('mustBeAbsolute'));
  return { ipythonDir: optionalString(p, 'ipythonDir') || defaultIpythonDir(), extraDirs } satisfies Required<ClustersParams>;
}

export function parseTasksParams(params: unknown): TasksParams {
  const p = object(params);
  return { runId: optionalString(p, 'runId'), limit: optionalInt(p, 'limit') };
}

export function parseExecuteParams(params: unknown): ExecuteParams {
  const p = object(params);
  if (typeof p.code !== 'string') throw invalidParams('code', message('mustBeString'));
  const t = targets(p.targets);
  const timeout = p.timeout;
  if (timeout !== undefined && timeout !== null && (typeof timeout !== 'number' || timeout < 0)) throw invalidParams('timeout', message('mustBeSeconds'));
  return {
    code: p.code,
    targets: t,
    uri: optionalString(p, 'uri'),
    line: optionalInt(p, 'line'),
    silent: optionalBoolean(p, 'silent'),
    userExpressions: stringMap(p, 'userExpressions', 'name -> expression'),
    after: optionalStrings(p, 'after'),
    follow: optionalStrings(p, 'follow'),
    timeout: typeof timeout === 'number' ? timeout : undefined,
    retries: optionalInt(p, 'retries'),
    ...executeWait(p),
  };
}

/** ipp/execute's `wait` and `waitTimeoutMs`, present only when given. */
function executeWait(p: Fields): Pick<ExecuteParams, 'wait' | 'waitTimeoutMs'> {
  const wait = optionalBoolean(p, 'wait');
  const ms = optionalInt(p, 'waitTimeoutMs');
  if (ms !== undefined && !wait) throw invalidParams('waitTimeoutMs', message('waitTimeoutOnlyWithWait'));
  return { ...(wait !== undefined && { wait }), ...(ms !== undefined && { waitTimeoutMs: clampTimeoutMs(ms) }) };
}

/** ipp/output (and the runId of ipp/wait): a required run id. */
export function parseRunId(params: unknown): string {
  const runId = optionalString(object(params), 'runId');
  if (runId === undefined) throw invalidParams('runId', message('isRequired'));
  return runId;
}

export function parseWaitParams(params: unknown): WaitParams {
  const timeoutMs = optionalInt(object(params), 'timeoutMs');
  return { runId: parseRunId(params), timeoutMs: timeoutMs === undefined ? undefined : clampTimeoutMs(timeoutMs) };
}

export function parseTaskSelection(params: unknown): TaskSelection {
  const p = object(params);
  return { runId: optionalString(p, 'runId'), msgIds: optionalStrings(p, 'msgIds') };
}

export function parseAbortParams(params: unknown): AbortParams {
  return { ...parseTaskSelection(params), interruptRunning: optionalBoolean(object(params), 'interruptRunning') };
}

export function parseInterruptParams(params: unknown): InterruptParams {
  return { ...parseTaskSelection(params), engineIds: optionalIds(object(params), 'engineIds') };
}

export function parsePurgeParams(params: unknown): PurgeParams {
  return { ...parseTaskSelection(params), all: object(params).all === true };
}

export function parseHistoryParams(params: unknown): HistoryParams {
  return { limit: optionalInt(object(params), 'limit', 1) };
}

/** Runs one ipp/reattach may name. */
export const MAX_REATTACH_RUNS = 1000;

function parseReattachRun(v: unknown, i: number): ReattachRun {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidParams(`runs[${i}]`, message('mustBeObject'));
  const p = v as Fields;
  const msgIds = optionalStrings(p, 'msgIds');
  if (!msgIds?.length) throw invalidParams(`runs[${i}].msgIds`, message('mustBeMsgIds'));
  const run: ReattachRun = { msgIds, targets: targets(p.targets) };
  for (const field of ['title', 'code', 'uri', 'created', 'codeHash'] as const) {
    const value = optionalString(p, field);
    if (value !== undefined) run[field] = value;
  }
  const line = optionalInt(p, 'line');
  if (line !== undefined) run.line = line;
  return run;
}

export function parseReattachParams(params: unknown): ReattachParams {
  const runs = object(params).runs;
  if (!Array.isArray(runs)) throw invalidParams('runs', message('mustBeRuns'));
  if (runs.length > MAX_REATTACH_RUNS) throw invalidParams('runs', message('tooManyRuns', MAX_REATTACH_RUNS));
  return { runs: runs.map(parseReattachRun) };
}
