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

/** The same for requests without params (RequestType0 handlers get only the token). */
function guarded0<R>(handler: (token: CancellationToken) => Promise<R> | R): (token: CancellationToken) => Promise<R> {
  const g = guarded((_params, token) => handler(token));
  return (token) => g(undefined, token);
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

export function registerRequests(c: Connection, h: RequestHost): void {
  c.onRequest(P.ConnectRequest, guarded((p, token) => h.serialize(() => connect(h, parse.parseConnectParams(p), signalOf(token))), true));
  c.onRequest(P.DisconnectRequest, guarded0(() => h.serialize(() => disconnect(h))));
  c.onRequest(P.ListClustersRequest, guarded((p) => listClusters(parse.parseListClustersParams(p).ipythonDir).map(toFoundCluster)));
  c.onRequest(P.ClustersRequest, guarded((p) => listClusterInfos(h, parse.parseClustersParams(p))));
  c.onRequest(P.EnginesRequest, guarded0(() => toEngines(h.client()?.engines() ?? [])));
  c.onRequest(P.TasksRequest, guarded((p) => tasks(h, parse.parseTasksParams(p))));
  c.onRequest(P.ExecuteRequest, guarded((p, token) => execute(h, parse.parseExecuteParams(p), signalOf(token))));
  c.onRequest(P.WaitRequest, guarded((p, token) => wait(h, parse.parseWaitParams(p), signalOf(token))));
  c.onRequest(P.OutputRequest, guarded((p) => h.runs.outputs(h.runs.require(parse.parseRunId(p)))));
  c.onRequest(P.AbortRequest, guarded((p) => abort(h, parse.parseAbortParams(p))));
  c.onRequest(P.InterruptRequest, guarded((p) => interrupt(h, parse.parseInterruptParams(p))));
  c.onRequest(P.ResubmitRequest, guarded((p) => resubmit(h, parse.parseTaskSelection(p))));
  c.onRequest(P.PurgeRequest, guarded((p) => purge(h, parse.parsePurgeParams(p))));
  c.onRequest(P.StatusRequest, guarded0(() => h.status()));
  c.onRequest(P.QueueStatusRequest, guarded0(() => h.requireClient().queueStatus(timeout(h))));
  c.onRequest(P.HistoryRequest, guarded((p) => history(h, parse.parseHistoryParams(p))));
  c.onRequest(P.ShutdownRequest, guarded0(() => shutdown(h)));
  c.onRequest(P.ReattachRequest, guarded((p) => reattachRuns(h, parse.parseReattachParams(p))));
}
