/**
 * The runs of this window and everything that follows from them: the runs table, the tasks/removed
 * notifications, remote-error diagnostics when a run finishes, and hover invalidation (a value shown on
 * hover is stale once code ran, an engine came or went, or the connection changed). The request handlers
 * and the server call these methods; none of them touches the table, the batcher or hover directly.
 */
import { isTerminal, type Run, type TaskInfo } from '../core/client/types';
import type { OutputParamsItem, RunIntro, RunSummary, TaskSelection, WaitResult } from '../shared/protocol';
import type { ClusterClientLike } from './clientApi';
import { unknownRun } from './errors';
import { RunsTable, runTitle, type RunRecord } from './runs';

export interface RunServiceDeps {
  client(): ClusterClientLike | undefined;
  /** The open document's version, to place diagnostics on the text that ran. */
  documentVersion(uri: string): number | undefined;
  notify: { runChanged(runId: string): void; runRemoved(runId: string): void; output?(item: OutputParamsItem): void };
  diagnostics: { runFinished(record: RunRecord, tasks: readonly TaskInfo[]): void; clearAll(): void };
  hover: { invalidate(): void };
}

export class RunService {
  readonly #table: RunsTable;
  readonly #deps: RunServiceDeps;

  constructor(deps: RunServiceDeps) {
    this.#deps = deps;
    this.#table = new RunsTable(deps.client);
  }

  /** Hover values are stale: code ran, engines or the connection changed, or hover was turned off. */
  valuesChanged(): void {
    this.#deps.hover.invalidate();
  }

  /** Tracks a run from ipp/execute (and forgets runs whose tasks the client no longer keeps). */
  add(run: Run, where: { uri?: string; line?: number }): void {
    for (const id of this.#table.pruneForgotten()) this.#deps.notify.runRemoved(id);
    const version = where.uri !== undefined ? this.#deps.documentVersion(where.uri) : undefined;
    this.#table.add(run, { uri: where.uri, line: where.uri !== undefined ? (where.line ?? 0) : where.line, version });
    this.valuesChanged();
    this.#deps.notify.runChanged(run.id);
  }

  /**
   * Tracks a run re-attached to by msg_id (ipp/reattach): announces it, sends the output its tasks already
   * have (the hub's, which arrived before the run was in the table) and, when it has finished, reports it
   * to diagnostics (which check the document against `codeHash`).
   */
  addReattached(run: Run, where: { uri?: string; line?: number; codeHash?: string }): RunRecord {
    const line = where.uri !== undefined ? (where.line ?? 0) : where.line;
    const record = this.#table.add(run, { uri: where.uri, line, reattached: true, codeHash: where.codeHash });
    this.#deps.notify.runChanged(run.id);
    for (const task of this.#table.allTasks(record)) {
      for (const output of task.outputs) {
        const intro = this.introduce(run.id);
        this.#deps.notify.output?.({ runId: run.id, msgId: task.msgId, engineId: task.engineId, output, ...(intro && { run: intro }) });
      }
    }
    const tasks = this.#table.effectiveTasks(record);
    if (tasks.every((t) => isTerminal(t.state))) {
      record.reported = true;
      this.#deps.diagnostics.runFinished(record, tasks);
    }
    return record;
  }

  /** Adds the tasks ipp/resubmit created (old msg_id -> new) to their runs. */
  addResubmitted(resubmitted: Record<string, string>): void {
    for (const [oldId, newId] of Object.entries(resubmitted)) {
      const runId = this.#table.runOf(oldId);
      if (runId === undefined) continue;
      this.#table.addResubmitted(runId, newId);
      this.#deps.notify.runChanged(runId);
    }
    this.valuesChanged();
  }

  forget(runIds: readonly string[]): void {
    for (const id of runIds) {
      this.#table.delete(id);
      this.#deps.notify.runRemoved(id);
    }
  }

  /** Forgets every run and its diagnostics (the client is going away). */
  clear(): void {
    for (const id of this.#table.ids()) this.#deps.notify.runRemoved(id);
    this.#table.clear();
    this.#deps.diagnostics.clearAll();
    this.valuesChanged();
  }

  /** The run of one of our tasks (also resubmitted ones); undefined for hover, completion or history traffic. */
  runOf(task: TaskInfo): string | undefined {
    const runId = task.runId ?? this.#table.runOf(task.msgId);
    return runId !== undefined && this.#table.get(runId) ? runId : undefined;
  }

  /** A task of ours changed: notify, invalidate hover when code started or ended, report a finished run. */
  taskChanged(task: TaskInfo): void {
    const runId = this.runOf(task);
    const record = runId === undefined ? undefined : this.#table.get(runId);
    if (!record) return;
    this.#deps.notify.runChanged(record.run.id);
    if (task.state === 'running' || isTerminal(task.state)) this.valuesChanged();
    if (!isTerminal(task.state) || record.reported) return;
    const tasks = this.#table.effectiveTasks(record);
    if (tasks.every((t) => isTerminal(t.state))) {
      record.reported = true;
      this.#deps.diagnostics.runFinished(record, tasks);
    }
  }

  /** The run's title and targets the first time its output is sent (undefined afterwards). */
  introduce(runId: string): RunIntro | undefined {
    const r = this.#table.get(runId);
    if (!r || r.introduced) return undefined;
    r.introduced = true;
    return { title: runTitle(r.run.code), targets: r.run.targets, created: r.run.created, tasks: r.run.msgIds.length };
  }

  require(runId: string): RunRecord {
    const r = this.#table.get(runId);
    if (!r) throw unknownRun(runId);
    return r;
  }

  /** The tasks a TaskSelection names (neither field: every task of every run). */
  select(sel: TaskSelection): TaskInfo[] {
    const client = this.#deps.client();
    if (!client) return [];
    const out: TaskInfo[] = [];
    if (sel.runId !== undefined) out.push(...this.#table.allTasks(this.require(sel.runId)));
    for (const id of sel.msgIds ?? []) {
      const t = client.task(id);
      if (!t) throw unknownRun(id);
      if (!out.includes(t)) out.push(t);
    }
    if (sel.runId === undefined && sel.msgIds === undefined) for (const r of this.#records()) out.push(...this.#table.allTasks(r));
    return out;
  }

  isFinished(record: RunRecord): boolean {
    return this.#table.effectiveTasks(record).every((t) => isTerminal(t.state));
  }

  msgIds(record: RunRecord): string[] {
    return this.#table.msgIds(record);
  }

  /** Runs all of whose tracked tasks are terminal, among `runIds` (default: all). */
  finishedRuns(runIds: readonly string[] = this.#table.ids()): string[] {
    return runIds.filter((id) => {
      const r = this.#table.get(id);
      return r !== undefined && this.#table.allTasks(r).every((t) => isTerminal(t.state));
    });
  }

  /** The runs the given tasks belong to. */
  runsOf(tasks: readonly TaskInfo[]): string[] {
    return [...new Set(tasks.map((t) => this.#table.runOf(t.msgId)).filter((x): x is string => x !== undefined))];
  }

  taskCount(runIds: readonly string[]): number {
    return runIds.reduce((n, id) => n + this.#table.allTasks(this.require(id)).length, 0);
  }

  /** Engines with one of our tasks pending or running. */
  busyEngines(): Set<number> {
    const ours = new Set<number>();
    for (const r of this.#records()) for (const t of this.#table.allTasks(r)) if (!isTerminal(t.state) && t.engineId !== undefined) ours.add(t.engineId);
    return ours;
  }

  summary(runId: string): RunSummary | undefined {
    const r = this.#table.get(runId);
    return r ? this.#table.summary(r) : undefined;
  }

  summaries(limit?: number): RunSummary[] {
    return this.#table.summaries(limit);
  }

  outputs(record: RunRecord): WaitResult {
    return this.#table.outputs(record);
  }

  *#records(): Iterable<RunRecord> {
    for (const id of this.#table.ids()) {
      const r = this.#table.get(id);
      if (r) yield r;
    }
  }
}
