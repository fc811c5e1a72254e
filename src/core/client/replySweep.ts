/**
 * The lost-reply sweep: a task whose reply never reaches us (dropped on the way, a SUB or DEALER that
 * reconnected) would stay pending or running for ever. Every `intervalMs` (on a liveness probe tick) the
 * tasks that have waited that long without a reply are looked up in the hub (result_request): those the hub
 * finished are completed from its record, those it still runs are left alone, and those whose engine is no
 * longer registered, or that the hub has no record of, end `lost` with a reason that says why.
 */
import type { ClientContext } from './context';
import { HubError } from './errors';
import { completeFromRecord, results } from './hubOps';
import type { TaskInfo } from './types';
import { message } from '../messages';

/** Tasks looked up per sweep (the oldest first); the rest wait for the next sweep. */
const MAX_PER_SWEEP = 500;

/** What the sweep does with the tasks it asked the hub about. */
export interface SweepDecision {
  /** Finished at the hub: fetch the records and complete from them. */
  complete: string[];
  lost: { msgId: string; reason: string }[];
}

/**
 * Decides from the hub's status-only answer. `unknown` are ids the hub has no record of; `registered`
 * tells whether an engine uuid is still in the engine table.
 */
export function decideSweep(
  tasks: TaskInfo[],
  status: { pending: string[]; completed: string[]; unknown: string[] },
  registered: (uuid: string) => boolean,
): SweepDecision {
  const completed = new Set(status.completed);
  const pending = new Set(status.pending);
  const unknown = new Set(status.unknown);
  const decision: SweepDecision = { complete: [], lost: [] };
  for (const t of tasks) {
    if (completed.has(t.msgId)) decision.complete.push(t.msgId);
    else if (unknown.has(t.msgId)) {
      decision.lost.push({ msgId: t.msgId, reason: message('replyNeverCameNoRecord') });
    } else if (pending.has(t.msgId) && t.engineUuid !== undefined && !registered(t.engineUuid)) {
      const engine = message('engineN', t.engineId ?? t.engineUuid);
      decision.lost.push({ msgId: t.msgId, reason: message('replyNeverCameEngineGone', engine) });
    }
  }
  return decision;
}

/** The id in the hub's KeyError for an unknown msg_id ("No such message: <id>"), if it is one. */
function unknownId(e: unknown, asked: string[]): string | undefined {
  if (!(e instanceof HubError) || e.ename !== 'KeyError') return undefined;
  const id = /No such message: ([^\s'"]+)/.exec(e.evalue)?.[1];
  return id !== undefined && asked.includes(id) ? id : undefined;
}

/** status_only result_request; ids the hub does not know (it fails the whole request on the first) are set apart. */
async function statusOf(ctx: ClientContext, ids: string[]): Promise<{ pending: string[]; completed: string[]; unknown: string[] }> {
  const unknown: string[] = [];
  let asked = ids;
  while (asked.length > 0) {
    try {
      const s = await results(ctx, asked, { statusOnly: true });
      return { pending: s.pending, completed: s.completed, unknown };
    } catch (e) {
      const id = unknownId(e, asked);
      if (id === undefined) throw e;
      unknown.push(id);
      asked = asked.filter((x) => x !== id);
    }
  }
  return { pending: [], completed: [], unknown };
}

export class ReplySweep {
  #last = Date.now();
  #running = false;

  constructor(
    private readonly ctx: ClientContext,
    readonly intervalMs: number,
  ) {}

  /** Called on every liveness probe tick: sweeps once `intervalMs` has passed since the last sweep. */
  tick(now = Date.now()): Promise<void> {
    if (this.#running || now - this.#last < this.intervalMs) return Promise.resolve();
    this.#last = now;
    return this.sweep();
  }

  /** One sweep now. Errors are logged: the next sweep tries again. */
  async sweep(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const tasks = this.ctx.tasks.unanswered(this.intervalMs, MAX_PER_SWEEP);
      if (tasks.length === 0) return;
      const status = await statusOf(this.ctx, tasks.map((t) => t.msgId));
      const decision = decideSweep(tasks, status, (uuid) => this.ctx.engines.byUuid(uuid) !== undefined);
      if (decision.complete.length > 0) {
        const full = await results(this.ctx, decision.complete);
        for (const id of decision.complete) {
          const record = full.records[id];
          if (record && typeof record === 'object') completeFromRecord(this.ctx, id, record as Record<string, unknown>);
        }
        this.ctx.logger.info(`${decision.complete.length} task(s) whose reply never came were completed from the hub's records`);
      }
      for (const { msgId, reason } of decision.lost) {
        this.ctx.logger.warn(`task ${msgId} is lost: ${reason}`);
        this.ctx.tasks.finish(msgId, 'lost', reason);
      }
    } catch (e) {
      this.ctx.logger.debug(`sweeping tasks without replies: ${(e as Error).message}`);
    } finally {
      this.#running = false;
    }
  }
}
