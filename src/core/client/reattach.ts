/**
 * Re-attaching to tasks by msg_id (the ipyparallel feature request of the same name): tasks submitted by
 * an earlier session of ours (a window reloaded, a server restarted, a reconnect) become tracked again.
 * The hub's task database (db_request) gives each one's state, engine, timestamps and captured output;
 * tasks still running are then followed live: their iopub traffic is applied (the router adopts the old
 * session) and, as their replies went to the old session's sockets, the result poller completes them from
 * the hub's record. Tasks the hub has no record of end `lost`, with a reason that says so.
 */
import type { ClientContext } from './context';
import type { ResultPoller } from './hubOps';
import { db } from './hubOps';
import { recordToTask, TASK_RECORD_KEYS } from './hubQueries';
import type { IopubRouter } from './iopubRouter';
import { isTerminal, type RequestOptions, type Run, type Targets, type TaskInfo } from './types';
import { message } from '../messages';

/** A run to re-attach to, as the editor kept it. */
export interface ReattachSpec {
  msgIds: string[];
  targets: Targets;
  /** The code, when the editor kept it; otherwise the hub's record gives it. */
  code?: string;
  /** Stands in for the code when neither the editor nor the hub has it (every record gone). */
  title?: string;
  /** When the run was first submitted (ISO); default: now. */
  created?: string;
}

export interface ReattachResult {
  run: Run;
  /** msg_ids the hub has no record of (their tasks end `lost`). */
  unknown: string[];
}

/** Why a re-attached task without a hub record is shown as lost (the table's text, as loaded). */
export const NO_HUB_RECORD_REASON = message('noHubRecord');

/** The most msg_ids one run may re-attach to. */
export const MAX_REATTACH_TASKS = 10_000;

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The session that submitted a record's request (the one whose iopub traffic names it as parent). */
function recordSession(record: Record<string, unknown>): string | undefined {
  const s = obj(record.header).session ?? record.client_uuid;
  return typeof s === 'string' && s !== '' ? s : undefined;
}

/**
 * Tracks the listed tasks again under a new Run. Tasks this client already tracks are listed in the run
 * but left as they are. Resolves once every task is in the model (finished ones in their final state,
 * with the output the hub captured).
 */
export async function reattach(
  ctx: ClientContext,
  deps: { router: IopubRouter; poller: ResultPoller },
  spec: ReattachSpec,
  options: RequestOptions = {},
): Promise<ReattachResult> {
  ctx.requireConnected();
  const ids = [...new Set(spec.msgIds.filter((id) => typeof id === 'string' && id !== ''))].slice(0, MAX_REATTACH_TASKS);
  const wanted = ids.filter((id) => !ctx.tasks.get(id));
  const records = wanted.length > 0 ? await db(ctx, { msg_id: { $in: wanted } }, [...TASK_RECORD_KEYS], options) : [];
  const byId = new Map<string, Record<string, unknown>>();
  for (const r of records) if (typeof r.msg_id === 'string') byId.set(r.msg_id, r);

  const found = wanted.flatMap((id) => {
    const record = byId.get(id);
    const task = record && recordToTask(record, ctx.session.id, (uuid) => ctx.engines.idOf(uuid));
    return task ? [{ task, session: recordSession(record) }] : [];
  });
  const code = spec.code ?? found.find((f) => f.task.code !== '')?.task.code ?? spec.title ?? '';
  const run: Run = { id: ctx.tasks.newRunId(), code, targets: spec.targets, msgIds: ids, created: spec.created ?? new Date().toISOString() };
  ctx.tasks.addRun(run);

  const known = new Set(found.map((f) => f.task.msgId));
  const unknown = wanted.filter((id) => !known.has(id));
  for (const { task, session } of found) {
    if (session) deps.router.adoptSession(session);
    track(ctx, run, task);
    if (!isTerminal(task.state)) deps.poller.add(task.msgId);
  }
  for (const msgId of unknown) {
    ctx.tasks.add({ msgId, runId: run.id, queue: 'mux', state: 'pending', code, submitted: run.created, outputs: [], reattached: true });
    ctx.tasks.finish(msgId, 'lost', message('noHubRecord'));
  }
  return { run, unknown };
}

/** Adds a task from its hub record: running first, its captured output, then its final state if it ended. */
function track(ctx: ClientContext, run: Run, fromHub: TaskInfo): void {
  const { outputs, state, foreign: _foreign, ...rest } = fromHub;
  ctx.tasks.add({ ...rest, runId: run.id, state: state === 'pending' ? 'pending' : 'running', outputs: [], reattached: true });
  for (const output of outputs) ctx.tasks.addOutput(fromHub.msgId, output);
  if (isTerminal(state)) ctx.tasks.finish(fromHub.msgId, state);
}
