/**
 * The runs table: one entry per ipp/execute, with where its code came from (uri, line, document
 * version). It holds references to the client's own Run and TaskInfo objects and copies nothing, so
 * 10,000 tracked tasks cost the server only a map entry each; summaries are built on demand (once per
 * notification window for changed runs).
 */
import { isTerminal, type Run, type TaskInfo, type TaskState } from '../core/client/types';
import type { ClusterClientLike } from './clientApi';
import type { EngineOutputs, RunSummary, WaitResult } from '../shared/protocol';
import { toTaskSummary } from './toWire';

export interface RunRecord {
  run: Run;
  uri?: string;
  /** Zero-based document line of the code's first line. */
  line?: number;
  /** The document's version when the code was sent, when the server had it open. */
  version?: number;
  /** Tasks created by ipp/resubmit for this run's tasks. */
  resubmitted: string[];
  /** Set once the run's end was reported to diagnostics; cleared when a resubmission reopens it. */
  reported?: boolean;
  /** Set once the run's title and targets went out with its first output (ipp/output's `run`). */
  introduced?: boolean;
  /** Tracked again through ipp/reattach (an earlier session submitted it). */
  reattached?: boolean;
  /** codeHash of the code as submitted (ipp/reattach): the document must still hash the same at `line`. */
  codeHash?: string;
}

const TITLE_MAX = 200;

export function runTitle(code: string): string {
  const first = code.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
  return first.length > TITLE_MAX ? `${first.slice(0, TITLE_MAX - 1)}…` : first;
}

const STATE_RANK: Record<TaskState, number> = { error: 4, aborted: 3, lost: 2, done: 1, running: 0, pending: 0 };

/** running while any task is not terminal, then the worst terminal state: error > aborted > lost > done. */
export function overallState(tasks: readonly TaskInfo[]): TaskState {
  let worst: TaskState = 'done';
  for (const t of tasks) {
    if (!isTerminal(t.state)) return 'running';
    if (STATE_RANK[t.state] > STATE_RANK[worst]) worst = t.state;
  }
  return worst;
}

function ms(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

export class RunsTable {
  #runs = new Map<string, RunRecord>();
  #taskToRun = new Map<string, string>();

  constructor(private readonly client: () => ClusterClientLike | undefined) {}

  add(run: Run, where: { uri?: string; line?: number; version?: number; reattached?: boolean; codeHash?: string }): RunRecord {
    const record: RunRecord = { run, ...where, resubmitted: [] };
    this.#runs.set(run.id, record);
    for (const id of run.msgIds) this.#taskToRun.set(id, run.id);
    return record;
  }

  addResubmitted(runId: string, newMsgId: string): void {
    const r = this.#runs.get(runId);
    if (!r) return;
    r.resubmitted.push(newMsgId);
    r.reported = false;
    this.#taskToRun.set(newMsgId, runId);
  }

  get(runId: string): RunRecord | undefined {
    return this.#runs.get(runId);
  }

  get size(): number {
    return this.#runs.size;
  }

  /** Run ids, oldest first. */
  ids(): string[] {
    return [...this.#runs.keys()];
  }

  /** The run a task belongs to (also for resubmitted tasks). */
  runOf(msgId: string): string | undefined {
    return this.#taskToRun.get(msgId);
  }

  delete(runId: string): void {
    const r = this.#runs.get(runId);
    if (!r) return;
    for (const id of this.msgIds(r)) this.#taskToRun.delete(id);
    this.#runs.delete(runId);
  }

  /**
   * Forgets the oldest runs none of whose tasks the client still tracks (it drops the oldest terminal
   * tasks past its maxTasks). Stops at the first run with a live task, so the cost is what it removes.
   */
  pruneForgotten(): string[] {
    const client = this.client();
    if (!client) return [];
    const removed: string[] = [];
    for (const [id, r] of this.#runs) {
      if (this.msgIds(r).some((m) => client.task(m) !== undefined)) break;
      this.delete(id);
      removed.push(id);
    }
    return removed;
  }

  clear(): void {
    this.#runs.clear();
    this.#taskToRun.clear();
  }

  msgIds(record: RunRecord): string[] {
    return record.resubmitted.length ? [...record.run.msgIds, ...record.resubmitted] : record.run.msgIds;
  }

  /** Every task the client still tracks for the run, including the ones resubmitted. */
  allTasks(record: RunRecord): TaskInfo[] {
    const client = this.client();
    if (!client) return [];
    const out: TaskInfo[] = [];
    for (const id of this.msgIds(record)) {
      const t = client.task(id);
      if (t) out.push(t);
    }
    return out;
  }

  /** The tasks that count for the run's state: a resubmitted task is replaced by its resubmission. */
  effectiveTasks(record: RunRecord): TaskInfo[] {
    const all = this.allTasks(record);
    if (record.resubmitted.length === 0) return all;
    const present = new Set(all.map((t) => t.msgId));
    return all.filter((t) => !(t.resubmittedAs && present.has(t.resubmittedAs)));
  }

  summary(record: RunRecord, now = Date.now()): RunSummary {
    const all = this.allTasks(record);
    const effective = record.resubmitted.length ? this.effectiveTasks(record) : all;
    const state = overallState(effective);
    const created = ms(record.run.created) ?? now;
    let end = now;
    if (isTerminal(state)) {
      const ends = effective.map((t) => ms(t.completed) ?? ms(t.received)).filter((x): x is number => x !== undefined);
      end = ends.length ? Math.max(...ends) : now;
    }
    return {
      runId: record.run.id,
      title: runTitle(record.run.code),
      code: record.run.code,
      targets: record.run.targets,
      uri: record.uri,
      line: record.line,
      created: record.run.created,
      done: effective.filter((t) => isTerminal(t.state)).length,
      total: effective.length,
      state,
      elapsedMs: Math.max(0, end - created),
      tasks: all.map(toTaskSummary),
      ...(record.reattached && { reattached: true }),
    };
  }

  /** Summaries, oldest first; `limit` keeps the newest N. */
  summaries(limit?: number): RunSummary[] {
    let ids = this.ids();
    if (limit !== undefined && limit >= 0 && ids.length > limit) ids = ids.slice(ids.length - limit);
    const now = Date.now();
    return ids.flatMap((id) => {
      const r = this.#runs.get(id);
      return r ? [this.summary(r, now)] : [];
    });
  }

  outputs(record: RunRecord): WaitResult {
    const all = this.allTasks(record);
    const engines: EngineOutputs[] = all.map((t) => {
      const start = ms(t.started) ?? ms(t.submitted);
      const end = ms(t.completed);
      return {
        engineId: t.engineId,
        msgId: t.msgId,
        state: t.state,
        outputs: t.outputs,
        error: t.error,
        durationMs: start !== undefined && end !== undefined ? Math.max(0, end - start) : undefined,
      };
    });
    return { runId: record.run.id, state: overallState(this.effectiveTasks(record)), engines };
  }
}
