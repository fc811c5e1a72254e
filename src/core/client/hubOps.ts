/**
 * Hub queries (PROTOCOL.md §4) on the registration socket: queue status, results, history, the task
 * database, purge, resubmit (with result polling) and shutdown.
 */
import { DEFAULTS } from '../defaults';
import type { ClientContext } from './context';
import { parseQueueReply } from './engines';
import { ClientError } from './errors';
import { recordOutputs, recordState, recordToTask, rewriteDbQuery, TASK_RECORD_KEYS } from './hubQueries';
import { okContent } from './requests';
import { remoteError } from './tasks';
import { isTerminal, type QueueStatus, type RequestOptions, type TaskInfo } from './types';

type Rec = Record<string, unknown>;
const obj = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

function hubRequest(ctx: ClientContext, msgType: string, content: Rec, options: RequestOptions = {}): Promise<Rec> {
  ctx.requireConnected();
  return ctx
    .request('registration', msgType, content, { what: `${msgType} to the hub`, timeoutMs: options.timeoutMs, signal: options.signal })
    .then(okContent);
}

/** Per-engine queue counts; also refreshes the engines model. */
export async function queueStatus(ctx: ClientContext, options: RequestOptions = {}): Promise<QueueStatus> {
  const status = parseQueueReply(await hubRequest(ctx, 'queue_request', { targets: null, verbose: false }, options));
  ctx.engines.applyQueue(status);
  return status;
}

export async function results(
  ctx: ClientContext,
  msgIds: string[],
  options: RequestOptions & { statusOnly?: boolean } = {},
): Promise<{ pending: string[]; completed: string[]; records: Record<string, unknown> }> {
  const c = await hubRequest(ctx, 'result_request', { msg_ids: msgIds, status_only: options.statusOnly ?? false }, options);
  const records: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(c)) {
    if (key !== 'status' && key !== 'pending' && key !== 'completed') records[key] = value;
  }
  return { pending: strings(c.pending), completed: strings(c.completed), records };
}

export async function history(ctx: ClientContext, options: RequestOptions = {}): Promise<string[]> {
  return strings((await hubRequest(ctx, 'history_request', {}, options)).history);
}

/** db_request with the query rewritten around DictDB's bugs (see rewriteDbQuery). Buffers are not fetched. */
export async function db(
  ctx: ClientContext,
  query: Record<string, unknown>,
  keys: string[] | null = null,
  options: RequestOptions = {},
): Promise<Record<string, unknown>[]> {
  const c = await hubRequest(ctx, 'db_request', { query: rewriteDbQuery(query), keys }, options);
  return Array.isArray(c.records) ? (c.records as Record<string, unknown>[]) : [];
}

/** The newest `limit` (default 100) tasks of every client, from the hub, oldest first. */
export async function historyTasks(ctx: ClientContext, options: RequestOptions & { limit?: number } = {}): Promise<TaskInfo[]> {
  const limit = options.limit ?? DEFAULTS.historyLimit;
  const ids = await history(ctx, options);
  // The history also lists complete/inspect requests, which are filtered out below: ask for some extra.
  const recent = ids.slice(-Math.ceil(limit * 1.5) - 10);
  if (recent.length === 0) return [];
  const records = await db(ctx, { msg_id: { $in: recent } }, [...TASK_RECORD_KEYS], options);
  const order = new Map(recent.map((id, i) => [id, i]));
  const tasks = records
    .map((r) => recordToTask(r, ctx.session.id, (uuid) => ctx.engines.idOf(uuid)))
    .filter((t): t is TaskInfo => t !== undefined)
    .sort((a, b) => (order.get(a.msgId) ?? 0) - (order.get(b.msgId) ?? 0));
  return tasks.slice(-limit);
}

/** Drops completed records from the hub, then forgets those tasks here. */
export async function purge(
  ctx: ClientContext,
  msgIds: string[] | 'all',
  options: RequestOptions & { engineIds?: number[] } = {},
): Promise<void> {
  const engineIds = options.engineIds ?? [];
  await hubRequest(ctx, 'purge_request', { msg_ids: msgIds, engine_ids: engineIds }, options);
  const ids = msgIds === 'all' ? undefined : new Set(msgIds);
  const engines = new Set(engineIds);
  ctx.tasks.forget((t) => !ids || ids.has(t.msgId) || (t.engineId !== undefined && engines.has(t.engineId)));
}

/** Stops the whole cluster (under ipcluster the engines stop too). */
export async function shutdown(ctx: ClientContext, options: RequestOptions = {}): Promise<void> {
  await hubRequest(ctx, 'shutdown_request', {}, options);
}

/**
 * Resubmits tasks through the hub (which re-sends them with fresh ids and dates, so no signature
 * repeats). The new tasks are tracked; their replies go to the hub, so the poller fetches results.
 */
export async function resubmit(
  ctx: ClientContext,
  poller: ResultPoller,
  msgIds: string[],
  options: RequestOptions = {},
): Promise<Record<string, string>> {
  const c = await hubRequest(ctx, 'resubmit_request', { msg_ids: msgIds }, options);
  const mapping: Record<string, string> = {};
  for (const [oldId, newId] of Object.entries(obj(c.resubmitted))) {
    if (typeof newId !== 'string') continue;
    mapping[oldId] = newId;
    const old = ctx.tasks.get(oldId);
    if (old) ctx.tasks.update(oldId, (t) => (t.resubmittedAs = newId));
    ctx.tasks.add({
      msgId: newId,
      runId: old?.runId,
      queue: 'task',
      state: 'pending',
      code: old?.code ?? '',
      submitted: new Date().toISOString(),
      outputs: [],
      resubmittedFrom: oldId,
    });
    poller.add(newId);
  }
  return mapping;
}

/**
 * Polls result_request (status only, then the full record once completed) for tasks whose replies go
 * to the hub, and completes them from the record: timestamps, state, error and, when iopub delivered
 * nothing, the outputs the hub captured.
 */
export class ResultPoller {
  readonly #ids = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #delayMs: number;
  #polling = false;

  constructor(
    private readonly ctx: ClientContext,
    private readonly minDelayMs = 200,
    private readonly maxDelayMs = 2000,
  ) {
    this.#delayMs = minDelayMs;
  }

  add(msgId: string): void {
    this.#ids.add(msgId);
    this.#delayMs = this.minDelayMs;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#polling || this.#ids.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#poll();
    }, this.#delayMs);
  }

  async #poll(): Promise<void> {
    this.#polling = true;
    try {
      for (const id of this.#ids) {
        const t = this.ctx.tasks.get(id);
        if (!t || isTerminal(t.state)) this.#ids.delete(id);
      }
      const ids = [...this.#ids];
      if (ids.length === 0) return;
      const status = await results(this.ctx, ids, { statusOnly: true });
      const completed = status.completed.filter((id) => this.#ids.has(id));
      if (completed.length > 0) {
        const full = await results(this.ctx, completed);
        for (const id of completed) {
          completeFromRecord(this.ctx, id, obj(full.records[id]));
          this.#ids.delete(id);
        }
        this.#delayMs = this.minDelayMs;
      } else {
        for (const id of status.pending) this.ctx.tasks.markRunning(id, undefined, undefined, false);
        this.#delayMs = Math.min(this.maxDelayMs, this.#delayMs * 1.5);
      }
    } catch (e) {
      if (e instanceof ClientError && (e.code === 'ERR_NOT_CONNECTED' || e.code === 'ERR_CONTROLLER_GONE')) {
        this.#ids.clear();
        return;
      }
      this.ctx.logger.debug(`polling results: ${(e as Error).message}`);
      this.#delayMs = Math.min(this.maxDelayMs, this.#delayMs * 1.5);
    } finally {
      this.#polling = false;
      this.#schedule();
    }
  }

  clear(): void {
    this.#ids.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Completes a task from the hub's record (result_request's full answer), as its reply would have: timestamps,
 * engine, state, error and, when iopub delivered nothing, the outputs the hub captured.
 */
export function completeFromRecord(ctx: ClientContext, msgId: string, record: Rec): void {
  const meta = obj(record.result_metadata);
  const rc = obj(record.result_content);
  const engineUuid = typeof meta.engine === 'string' ? meta.engine : undefined;
  const hadOutputs = (ctx.tasks.get(msgId)?.outputs.length ?? 0) > 0;
  ctx.tasks.update(msgId, (t) => {
    const header = obj(record.header);
    if (typeof header.date === 'string') t.submitted = header.date;
    if (engineUuid) {
      t.engineUuid = engineUuid;
      t.engineId = ctx.engines.idOf(engineUuid);
    }
    if (typeof meta.started === 'string') t.started = meta.started;
    const rh = obj(record.result_header);
    if (typeof rh.date === 'string') t.completed = rh.date;
    t.received = typeof record.received === 'string' ? record.received : new Date().toISOString();
    if (typeof rc.execution_count === 'number') t.executionCount = rc.execution_count;
    if (rc.status === 'error') t.error = remoteError(rc);
  });
  if (!hadOutputs) for (const output of recordOutputs(record)) ctx.tasks.addOutput(msgId, output);
  ctx.tasks.finish(msgId, recordState({ ...record, completed: true }));
}
