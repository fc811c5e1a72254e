/**
 * The ipp/* request handlers (docs/server-protocol.md documents each one). Every handler validates its
 * params, and every failure becomes a ResponseError with an ipp ErrorCode (errors.ts): a bad request never
 * takes the server down.
 */
import { isAbsolute, resolve } from 'node:path';
import type { CancellationToken } from 'vscode-languageserver/node';
import { loadConnectionFile } from '../core/protocol/connectionFile';
import { connectionFilePath, defaultIpythonDir, listClusters } from '../core/protocol/discovery';
import type { Targets, TaskInfo } from '../core/client/types';
import type { ClientFactoryOptions, ClusterClientLike } from './clientApi';
import { invalidParams, toResponseError, unknownRun } from './errors';
import {
  AbortRequest,
  ConnectRequest,
  DisconnectRequest,
  EnginesRequest,
  ExecuteRequest,
  HistoryRequest,
  InterruptRequest,
  ListClustersRequest,
  OutputRequest,
  PurgeRequest,
  QueueStatusRequest,
  ResubmitRequest,
  ShutdownRequest,
  StatusRequest,
  TasksRequest,
  WaitRequest,
  type ConnectParams,
  type ConnectResult,
  type ExecuteParams,
  type StatusResult,
  type TaskSelection,
} from './protocol';
import { isTerminal, taskSummary, type RunRecord } from './runs';
import type { ClusterServer } from './server';

type Handler<P, R> = (params: P, token: CancellationToken) => Promise<R> | R;

/** Wraps a handler so that anything it throws reaches the caller as a ResponseError. */
function guarded<P, R>(handler: Handler<P, R>, connecting = false): Handler<P, R> {
  return async (params, token) => {
    try {
      return await handler(params, token);
    } catch (e) {
      throw toResponseError(e, connecting);
    }
  };
}

/** The same for requests without params (RequestType0 handlers get only the token). */
function guarded0<R>(handler: (token: CancellationToken) => Promise<R> | R): (token: CancellationToken) => Promise<R> {
  return async (token) => {
    try {
      return await handler(token);
    } catch (e) {
      throw toResponseError(e);
    }
  };
}

/** An AbortSignal that fires when the request is cancelled. */
function signalOf(token: CancellationToken): AbortSignal {
  const c = new AbortController();
  if (token.isCancellationRequested) c.abort();
  else token.onCancellationRequested(() => c.abort());
  return c.signal;
}

function optionalString(p: Record<string, unknown>, field: string): string | undefined {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParams(field, 'must be a string');
  return v;
}

function optionalInt(p: Record<string, unknown>, field: string, min = 0): number | undefined {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw invalidParams(field, `must be an integer >= ${min}`);
  return v;
}

function optionalIds(p: Record<string, unknown>, field: string): number[] | undefined {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 0)) throw invalidParams(field, 'must be a list of engine ids (integers)');
  return v as number[];
}

function optionalStrings(p: Record<string, unknown>, field: string): string[] | undefined {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidParams(field, 'must be a list of strings');
  return v as string[];
}

function paramsObject(params: unknown): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) throw invalidParams('params', 'must be an object');
  return params as Record<string, unknown>;
}

function parseTargets(v: unknown): Targets {
  if (v === 'all' || v === 'balanced') return v;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x) && x >= 0)) return v as number[];
  throw invalidParams('targets', 'must be "all", "balanced" or a non-empty list of engine ids');
}

/** The connection file ipp/connect means: the given path, or the one discovery names for a profile. */
export function resolveConnectionFile(params: ConnectParams): string {
  const p = paramsObject(params);
  const file = optionalString(p, 'connectionFile');
  if (file !== undefined) {
    if (file.trim() === '') throw invalidParams('connectionFile', 'must not be empty');
    return isAbsolute(file) ? file : resolve(file);
  }
  const ipythonDir = optionalString(p, 'ipythonDir') || defaultIpythonDir();
  return connectionFilePath(ipythonDir, optionalString(p, 'profile') || 'default', optionalString(p, 'clusterId') ?? '');
}

/** The run's tasks selected by a TaskSelection (neither field: every task of every run). */
function selectTasks(server: ClusterServer, params: TaskSelection | undefined): TaskInfo[] {
  const p = paramsObject(params);
  const runId = optionalString(p, 'runId');
  const msgIds = optionalStrings(p, 'msgIds');
  const client = server.client;
  if (!client) return [];
  const out: TaskInfo[] = [];
  if (runId !== undefined) {
    const r = server.runs.get(runId);
    if (!r) throw unknownRun(runId);
    out.push(...server.runs.allTasks(r));
  }
  for (const id of msgIds ?? []) {
    const t = client.task(id);
    if (!t) throw unknownRun(id);
    if (!out.includes(t)) out.push(t);
  }
  if (runId === undefined && msgIds === undefined) {
    for (const id of server.runs.ids()) out.push(...server.runs.allTasks(server.runs.get(id) as RunRecord));
  }
  return out;
}

function requireRun(server: ClusterServer, params: unknown): RunRecord {
  const p = paramsObject(params);
  const runId = optionalString(p, 'runId');
  if (runId === undefined) throw invalidParams('runId', 'is required');
  const r = server.runs.get(runId);
  if (!r) throw unknownRun(runId);
  return r;
}

/** The SSH options of ipp/connect, in the client's shape (undefined fields when not given). */
function sshOptions(params: ConnectParams): Pick<ClientFactoryOptions, 'sshServer' | 'ssh'> {
  const p = paramsObject(params);
  const sshServer = optionalString(p, 'sshServer') || undefined;
  const sshPath = optionalString(p, 'sshPath') || undefined;
  const extraArgs = optionalStrings(p, 'sshArgs');
  return { sshServer, ssh: sshPath || extraArgs ? { sshPath, extraArgs } : undefined };
}

async function connect(server: ClusterServer, params: ConnectParams, token: CancellationToken): Promise<ConnectResult> {
  const file = resolveConnectionFile(params);
  const ssh = sshOptions(params);
  const key = JSON.stringify([file, ssh]);
  const current = server.client;
  if (current && current.state === 'connected' && server.connectKey === key) return connectResult(current, file);
  // Validate the file first: a missing or broken file gives a precise error (file, field) before any socket.
  const info = loadConnectionFile(file);
  await server.closeClient();
  const settings = server.settings();
  const client = server.createClient({
    connectionFile: file,
    logger: server.logger,
    connectTimeoutMs: settings.connectTimeoutMs,
    requestTimeoutMs: settings.requestTimeoutMs,
    ...ssh,
    confirmRedirect: (from, to, f) => server.confirmRedirect(from, to, f),
  });
  server.adoptClient(client, file, key);
  try {
    await client.connect({ timeoutMs: settings.connectTimeoutMs, signal: signalOf(token) });
  } catch (e) {
    server.logger.warn(`connect to ${file} failed: ${(e as Error).message}`);
    await server.closeClient();
    throw e;
  }
  server.logger.info(`connected to ${file}: ${client.engines().length} engines`);
  return connectResult(client, file, info.warnings);
}

function connectResult(client: ClusterClientLike, file: string, fileWarnings?: string[]): ConnectResult {
  const security = client.security() ?? { signed: false, signatureScheme: '', transport: 'plain', loopback: false, warnings: [] };
  return {
    state: client.state,
    connectionFile: file,
    engines: client.engines(),
    security,
    warnings: fileWarnings ?? client.connectionInfo?.warnings ?? [],
  };
}

function execute(server: ClusterServer, params: ExecuteParams) {
  const p = paramsObject(params);
  if (typeof p.code !== 'string') throw invalidParams('code', 'must be a string');
  const targets = parseTargets(p.targets);
  const uri = optionalString(p, 'uri');
  const line = optionalInt(p, 'line');
  const timeout = p.timeout;
  if (timeout !== undefined && timeout !== null && (typeof timeout !== 'number' || timeout < 0)) throw invalidParams('timeout', 'must be seconds >= 0');
  if (p.silent !== undefined && typeof p.silent !== 'boolean') throw invalidParams('silent', 'must be a boolean');
  const userExpressions = p.userExpressions;
  if (userExpressions !== undefined && (typeof userExpressions !== 'object' || userExpressions === null || Array.isArray(userExpressions))) {
    throw invalidParams('userExpressions', 'must be an object of name -> expression');
  }
  const client = server.requireClient();
  if (Array.isArray(targets)) {
    const known = new Set(client.engines().map((e) => e.id));
    const missing = targets.filter((id) => !known.has(id));
    if (missing.length) throw invalidParams('targets', `names engines that are not registered (${missing.join(', ')}); ipp/engines lists them`);
  }
  const run = client.execute(p.code as string, {
    targets,
    silent: p.silent as boolean | undefined,
    stopOnError: false,
    userExpressions: userExpressions as Record<string, string> | undefined,
    after: optionalStrings(p, 'after'),
    follow: optionalStrings(p, 'follow'),
    timeout: timeout as number | undefined,
    retries: optionalInt(p, 'retries'),
  });
  for (const id of server.runs.pruneForgotten()) server.batcher.runRemoved(id);
  const version = uri !== undefined ? server.documents.get(uri)?.version : undefined;
  server.runs.add(run, { uri, line: uri !== undefined ? (line ?? 0) : line, version });
  server.hoverProvider.invalidate();
  server.batcher.runChanged(run.id);
  return { runId: run.id, msgIds: [...run.msgIds] };
}

/** True for the hub's refusal to purge a task whose reply it has not recorded yet. */
function isPendingOnHub(e: unknown): boolean {
  const err = e as { code?: unknown; ename?: unknown; evalue?: unknown };
  return err.code === 'ERR_HUB' && err.ename === 'IndexError' && typeof err.evalue === 'string' && err.evalue.startsWith('msg pending');
}

/**
 * Purges tasks we saw finish. The hub records a reply a moment after we see it, and refuses (atomically)
 * to purge a task it still counts as pending, so that refusal is retried briefly with backoff.
 */
export async function purgeWhenRecorded(client: Pick<ClusterClientLike, 'purge'>, msgIds: string[], timeoutMs: number, patienceMs = 5000): Promise<void> {
  const deadline = Date.now() + patienceMs;
  for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
    try {
      await client.purge(msgIds, { timeoutMs });
      return;
    } catch (e) {
      if (!isPendingOnHub(e) || Date.now() + delay > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export function registerRequests(server: ClusterServer): void {
  const c = server.connection;
  c.onRequest(ConnectRequest, guarded((params, token) => server.serialize(() => connect(server, params, token)), true));

  c.onRequest(DisconnectRequest, guarded0(() =>
    server.serialize(async () => {
      const client = server.client;
      if (client && client.state !== 'disconnected' && client.state !== 'closed') await client.disconnect();
      return null;
    }),
  ));

  c.onRequest(ListClustersRequest, guarded((params) => {
    const dir = optionalString(paramsObject(params), 'ipythonDir') || defaultIpythonDir();
    return listClusters(dir);
  }));

  c.onRequest(EnginesRequest, guarded0(() => server.client?.engines() ?? []));

  c.onRequest(TasksRequest, guarded((params) => {
    const p = paramsObject(params);
    const runId = optionalString(p, 'runId');
    if (runId !== undefined) return [server.runs.summary(requireRun(server, p))];
    return server.runs.summaries(optionalInt(p, 'limit'));
  }));

  c.onRequest(ExecuteRequest, guarded((params) => execute(server, params)));

  c.onRequest(WaitRequest, guarded(async (params, token) => {
    const record = requireRun(server, params);
    const timeoutMs = optionalInt(paramsObject(params), 'timeoutMs') ?? 30_000;
    const client = server.client;
    if (!client) throw unknownRun(record.run.id);
    if (!server.runs.effectiveTasks(record).every((t) => isTerminal(t.state))) {
      await client.wait(server.runs.msgIds(record), { timeoutMs, signal: signalOf(token) });
    }
    server.batcher.flush(); // the run's notifications arrive before this answer
    return server.runs.outputs(record);
  }));

  c.onRequest(OutputRequest, guarded((params) => server.runs.outputs(requireRun(server, params))));

  c.onRequest(AbortRequest, guarded(async (params) => {
    const tasks = selectTasks(server, params).filter((t) => !isTerminal(t.state));
    if (tasks.length === 0) return { aborted: [] };
    const msgIds = tasks.map((t) => t.msgId);
    await server.requireClient().abort(msgIds, { timeoutMs: server.settings().requestTimeoutMs });
    return { aborted: msgIds };
  }));

  c.onRequest(InterruptRequest, guarded(async (params) => {
    const p = paramsObject(params);
    let engineIds = optionalIds(p, 'engineIds');
    if (engineIds === undefined) {
      const running = selectTasks(server, params).filter((t) => t.state === 'running' && t.engineId !== undefined);
      engineIds = [...new Set(running.map((t) => t.engineId as number))].sort((a, b) => a - b);
    }
    if (engineIds.length === 0) return { engineIds: [] };
    await server.requireClient().interrupt(engineIds, { timeoutMs: server.settings().requestTimeoutMs });
    return { engineIds };
  }));

  c.onRequest(ResubmitRequest, guarded(async (params) => {
    const tasks = selectTasks(server, params).filter((t) => isTerminal(t.state) && !t.resubmittedAs);
    if (tasks.length === 0) return { resubmitted: {} };
    const resubmitted = await server.requireClient().resubmit(tasks.map((t) => t.msgId), { timeoutMs: server.settings().requestTimeoutMs });
    for (const [oldId, newId] of Object.entries(resubmitted)) {
      const runId = server.runs.runOf(oldId);
      if (runId === undefined) continue;
      server.runs.addResubmitted(runId, newId);
      server.batcher.runChanged(runId);
    }
    server.hoverProvider.invalidate();
    return { resubmitted };
  }));

  c.onRequest(PurgeRequest, guarded(async (params) => {
    const p = paramsObject(params);
    const client = server.requireClient();
    const timeoutMs = server.settings().requestTimeoutMs;
    const finishedRuns = (ids: string[]) =>
      ids.filter((id) => server.runs.allTasks(server.runs.get(id) as RunRecord).every((t) => isTerminal(t.state)));
    let purged: number;
    let forget: string[];
    if (p.all === true) {
      forget = finishedRuns(server.runs.ids());
      purged = forget.reduce((n, id) => n + server.runs.allTasks(server.runs.get(id) as RunRecord).length, 0);
      await client.purge('all', { timeoutMs });
    } else {
      const tasks = selectTasks(server, p).filter((t) => isTerminal(t.state));
      if (tasks.length === 0) return { purged: 0 };
      const runIds = [...new Set(tasks.map((t) => server.runs.runOf(t.msgId)).filter((x): x is string => x !== undefined))];
      await purgeWhenRecorded(client, tasks.map((t) => t.msgId), timeoutMs);
      purged = tasks.length;
      forget = runIds.filter((id) => server.runs.allTasks(server.runs.get(id) as RunRecord).every((t) => isTerminal(t.state)));
    }
    for (const id of forget) {
      server.runs.delete(id);
      server.batcher.runRemoved(id);
    }
    return { purged };
  }));

  c.onRequest(StatusRequest, guarded0((): StatusResult => {
    const client = server.client;
    if (!client) {
      return {
        state: 'disconnected',
        engines: 0,
        runningTasks: 0,
        dropped: { badSignature: 0, replay: 0, malformed: 0, byChannel: {} },
      };
    }
    const s = client.status();
    return { ...s, connectionFile: s.connectionFile ?? server.connectionFile };
  }));

  c.onRequest(QueueStatusRequest, guarded0(() => server.requireClient().queueStatus({ timeoutMs: server.settings().requestTimeoutMs })));

  c.onRequest(HistoryRequest, guarded(async (params) => {
    const limit = optionalInt(paramsObject(params), 'limit', 1) ?? 100;
    const tasks = await server.requireClient().historyTasks({ limit, timeoutMs: server.settings().requestTimeoutMs });
    return tasks.map(taskSummary);
  }));

  c.onRequest(ShutdownRequest, guarded0(async () => {
    await server.requireClient().shutdown({ timeoutMs: server.settings().requestTimeoutMs });
    return null;
  }));
}
