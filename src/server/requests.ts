/**
 * The ipp/* request handlers (docs/server-protocol.md documents each one): parse the params (params.ts),
 * call the run service or the client, map the answer (toWire.ts). Every failure becomes a ResponseError
 * with an ipp ErrorCode (errors.ts): a bad request never takes the server down.
 */
import type { CancellationToken, Connection } from 'vscode-languageserver/node';
import { listClusters } from '../core/protocol/discovery';
import { DEFAULTS } from '../core/defaults';
import { isTerminal } from '../core/client/types';
import { AbortedError, TimeoutError } from '../core/client/errors';
import * as P from '../shared/protocol';
import { listClusters as listClusterInfos } from './clusters';
import { invalidParams, toResponseError, unknownRun } from './errors';
import type { RequestHost } from './host';
import * as parse from './params';
import { reattachRuns } from './reattach';
import { connect, purgeWhenRecorded } from './session';
import type { Sessions } from './sessions';
import { toEngines, toFoundCluster, toTaskSummary } from './toWire';
import { message } from '../core/messages';

/** Wraps a handler so that anything it throws reaches the caller as a ResponseError. */
function guarded<R>(handler: (params: unknown, token: CancellationToken) => Promise<R> | R, connecting = false) {
  return async (params: unknown, token: CancellationToken): Promise<R> => {
    try {
      return await handler(params, token);
    } catch (e) {
      throw toResponseError(e, connecting);
    }
  };
}

/**
 * The same for the requests without params, which accept `{ sessionId }` all the same: registered by
 * method name, the handler gets (token) when no params came and (params, token) when some did.
 */
function guarded0<R>(handler: (params: unknown, token: CancellationToken) => Promise<R> | R) {
  const g = guarded(handler);
  return (...args: unknown[]): Promise<R> => (args.length > 1 ? g(args[0], args[1] as CancellationToken) : g(undefined, args[0] as CancellationToken));
}

/** An AbortSignal that fires when the request is cancelled. */
function signalOf(token: CancellationToken): AbortSignal {
  const c = new AbortController();
  if (token.isCancellationRequested) c.abort();
  else token.onCancellationRequested(() => c.abort());
  return c.signal;
}

function timeout(h: RequestHost): { timeoutMs: number } {
  return { timeoutMs: h.settings().requestTimeoutMs };
}

async function disconnect(h: RequestHost): Promise<null> {
  const client = h.client();
  if (client && client.state !== 'disconnected' && client.state !== 'closed') await client.disconnect();
  return null;
}

function tasks(h: RequestHost, p: P.TasksParams): P.RunSummary[] {
  if (p.runId === undefined) return h.runs.summaries(p.limit);
  const summary = h.runs.summary(h.runs.require(p.runId).run.id);
  return summary ? [summary] : [];
}

async function execute(h: RequestHost, p: P.ExecuteParams, signal: AbortSignal): Promise<P.ExecuteResult> {
  const client = h.requireClient();
  if (Array.isArray(p.targets)) {
    const known = new Set(client.engines().map((e) => e.id));
    const missing = p.targets.filter((id) => !known.has(id));
    if (missing.length) throw invalidParams('targets', message('unregisteredEngines', missing.join(', ')));
  }
  const { code, targets, silent, userExpressions, after, follow, timeout: seconds, retries } = p;
  const run = client.execute(code, { targets, silent, stopOnError: false, userExpressions, after, follow, timeout: seconds, retries });
  h.runs.add(run, { uri: p.uri, line: p.line });
  const sent = { runId: run.id, msgIds: [...run.msgIds] };
  if (!p.wait) return sent;
  try {
    return { ...sent, result: await wait(h, { runId: run.id, timeoutMs: p.waitTimeoutMs }, signal) };
  } catch (e) {
    // The run goes on: the caller gets its id and follows it with ipp/wait or notifications.
    if (e instanceof TimeoutError || e instanceof AbortedError) return sent;
    throw e;
  }
}

async function wait(h: RequestHost, p: P.WaitParams, signal: AbortSignal): Promise<P.WaitResult> {
  const record = h.runs.require(p.runId);
  const client = h.client();
  if (!client) throw unknownRun(p.runId);
  if (!h.runs.isFinished(record)) await client.wait(h.runs.msgIds(record), { timeoutMs: p.timeoutMs ?? DEFAULTS.waitTimeoutMs, signal });
  h.flushNotifications(); // the run's notifications arrive before this answer
  return h.runs.outputs(record);
}

/** Engines running the selected tasks, lowest first. */
function runningEngines(h: RequestHost, sel: P.TaskSelection): number[] {
  const ids = h.runs.select(sel).flatMap((t) => (t.state === 'running' && t.engineId !== undefined ? [t.engineId] : []));
  return [...new Set(ids)].sort((a, b) => a - b);
}

async function interrupt(h: RequestHost, p: P.InterruptParams): Promise<{ engineIds: number[] }> {
  const engineIds = p.engineIds ?? runningEngines(h, p);
  if (engineIds.length) await h.requireClient().interrupt(engineIds, timeout(h));
  return { engineIds };
}

/** Aborts the selected tasks that have not ended; with interruptRunning, then interrupts the running ones. */
async function abort(h: RequestHost, p: P.AbortParams): Promise<P.AbortResult> {
  const msgIds = h.runs.select(p).flatMap((t) => (isTerminal(t.state) ? [] : [t.msgId]));
  if (msgIds.length) await h.requireClient().abort(msgIds, timeout(h));
  if (!p.interruptRunning) return { aborted: msgIds };
  const { engineIds } = await interrupt(h, { runId: p.runId, msgIds: p.msgIds });
  return { aborted: msgIds, interrupted: engineIds };
}

async function resubmit(h: RequestHost, sel: P.TaskSelection): Promise<{ resubmitted: Record<string, string> }> {
  const msgIds = h.runs.select(sel).flatMap((t) => (isTerminal(t.state) && !t.resubmittedAs ? [t.msgId] : []));
  if (msgIds.length === 0) return { resubmitted: {} };
  const resubmitted = await h.requireClient().resubmit(msgIds, timeout(h));
  h.runs.addResubmitted(resubmitted);
  return { resubmitted };
}

async function purge(h: RequestHost, p: P.PurgeParams): Promise<{ purged: number }> {
  const client = h.requireClient();
  if (p.all) {
    const forget = h.runs.finishedRuns();
    const purged = h.runs.taskCount(forget);
    await client.purge('all', timeout(h));
    h.runs.forget(forget);
    return { purged };
  }
  const done = h.runs.select(p).filter((t) => isTerminal(t.state));
  if (done.length === 0) return { purged: 0 };
  await purgeWhenRecorded(client, done.map((t) => t.msgId), timeout(h).timeoutMs);
  h.runs.forget(h.runs.finishedRuns(h.runs.runsOf(done)));
  return { purged: done.length };
}

async function history(h: RequestHost, p: P.HistoryParams): Promise<P.TaskSummary[]> {
  const found = await h.requireClient().historyTasks({ limit: p.limit ?? DEFAULTS.historyLimit, ...timeout(h) });
  return found.map(toTaskSummary);
}

async function shutdown(h: RequestHost): Promise<null> {
  await h.requireClient().shutdown(timeout(h));
  return null;
}

/** Which session a request is for: the one its params name, else the active one. */
function at(sessions: Sessions, params: unknown): RequestHost {
  return sessions.host(parse.parseSessionId(params));
}

async function connectIn(sessions: Sessions, params: unknown, token: CancellationToken): Promise<P.ConnectResult> {
  const sessionId = parse.parseSessionId(params);
  const h = sessions.forConnect(sessionId);
  const result = await h.serialize(() => connect(h, parse.parseConnectParams(params), signalOf(token)));
  if (sessionId !== undefined) sessions.activate(sessionId);
  return result;
}

async function disconnectIn(sessions: Sessions, params: unknown): Promise<null> {
  const sessionId = parse.parseSessionId(params);
  const h = at(sessions, params);
  await h.serialize(() => disconnect(h));
  if (sessionId !== undefined && sessionId !== P.DEFAULT_SESSION_ID) await sessions.remove(sessionId);
  return null;
}

/** Every connected session's connection file (ipp/clusters marks those clusters connected). */
function clustersOf(sessions: Sessions, params: unknown): P.ClusterInfo[] {
  return listClusterInfos(sessions.all(), parse.parseClustersParams(params));
}

export function registerRequests(c: Connection, sessions: Sessions): void {
  const s = sessions;
  c.onRequest(P.ConnectRequest, guarded((p, token) => connectIn(s, p, token), true));
  c.onRequest(P.DisconnectRequest.method, guarded0((p) => disconnectIn(s, p)));
  c.onRequest(P.ListClustersRequest, guarded((p) => listClusters(parse.parseListClustersParams(p).ipythonDir).map(toFoundCluster)));
  c.onRequest(P.ClustersRequest, guarded((p) => clustersOf(s, p)));
  c.onRequest(P.EnginesRequest.method, guarded0((p) => toEngines(at(s, p).client()?.engines() ?? [])));
  c.onRequest(P.TasksRequest, guarded((p) => tasks(at(s, p), parse.parseTasksParams(p))));
  c.onRequest(P.ExecuteRequest, guarded((p, token) => execute(at(s, p), parse.parseExecuteParams(p), signalOf(token))));
  c.onRequest(P.WaitRequest, guarded((p, token) => wait(at(s, p), parse.parseWaitParams(p), signalOf(token))));
  c.onRequest(P.OutputRequest, guarded((p) => ((h) => h.runs.outputs(h.runs.require(parse.parseRunId(p))))(at(s, p))));
  c.onRequest(P.AbortRequest, guarded((p) => abort(at(s, p), parse.parseAbortParams(p))));
  c.onRequest(P.InterruptRequest, guarded((p) => interrupt(at(s, p), parse.parseInterruptParams(p))));
  c.onRequest(P.ResubmitRequest, guarded((p) => resubmit(at(s, p), parse.parseTaskSelection(p))));
  c.onRequest(P.PurgeRequest, guarded((p) => purge(at(s, p), parse.parsePurgeParams(p))));
  c.onRequest(P.StatusRequest.method, guarded0((p) => at(s, p).status()));
  c.onRequest(P.QueueStatusRequest.method, guarded0((p) => at(s, p).requireClient().queueStatus(timeout(at(s, p)))));
  c.onRequest(P.HistoryRequest, guarded((p) => history(at(s, p), parse.parseHistoryParams(p))));
  c.onRequest(P.ShutdownRequest.method, guarded0((p) => shutdown(at(s, p))));
  c.onRequest(P.ReattachRequest, guarded((p) => reattachRuns(at(s, p), parse.parseReattachParams(p))));
  c.onRequest(P.SessionsRequest.method, guarded0(() => s.list()));
  c.onRequest(P.ActivateSessionRequest, guarded((p) => {
    const sessionId = parse.parseSessionId(p);
    if (sessionId === undefined) throw invalidParams('sessionId', message('isRequired'));
    s.activate(sessionId);
    return null;
  }));
}
