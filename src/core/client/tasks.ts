import { Emitter, type Event } from '../event';
import { DEFAULTS } from '../defaults';
import { message } from '../messages';
import { boundError, OutputKeeper } from './outputBounds';
import { mergeData, progressOf } from './taskData';
import { isTerminal, type ExpressionValue, type OutputItem, type RemoteError, type Run, type TaskInfo, type TaskState } from './types';

/** Whether the task's idle came from the engine that replied (or either is unknown). */
function idleFromReplier(t: Tracked): boolean {
  return !t.idleFrom || !t.info.engineUuid || t.idleFrom === t.info.engineUuid;
}

/** Per-task bookkeeping beside the public TaskInfo. */
interface Tracked {
  info: TaskInfo;
  /** When it was added (Date.now()). */
  addedAt: number;
  /** The reply arrived; its state waits for the idle status. */
  replyState?: TaskState;
  /** The last iopub status for this request was idle (busy resets it: retries run again). */
  idle: boolean;
  /** The engine (session uuid) that sent that idle, when known. */
  idleFrom?: string;
  /** When the reply arrived (for the idle grace period). */
  repliedAt?: number;
  /**
   * When its last output arrived (Date.now()). The grace period counts from this too: while the iopub
   * backlog of a flood is still being read, the reply (on another socket) is long in, and the idle is
   * behind the output still queued.
   */
  outputAt?: number;
  waiters?: (() => void)[];
  /** Its kept outputs (beginning and end), made with the first output. */
  keeper?: OutputKeeper;
}


export interface TasksModelOptions {
  /** How long a replied task waits for its idle status before it completes anyway. Default 3000 ms. */
  idleGraceMs?: number;
  /** Oldest terminal tasks are forgotten beyond this many. Default 20,000. */
  maxTasks?: number;
  /** Output a task keeps: its first and last halves of this, a marker between. Default 32 MiB. */
  maxOutputBytesPerTask?: number;
  /** Output kept by all tasks; past it the oldest terminal tasks are forgotten. Default 512 MiB. */
  maxTotalOutputBytes?: number;
}

/**
 * Tasks and runs of this client. A task completes when both its reply and its iopub idle status have
 * arrived (the idle is the last output message), so callers see every output before the terminal state.
 * A reply that no engine made (scheduler errors) or an aborted one completes at once; a reply whose idle
 * never comes completes after a grace period.
 */
export class TasksModel {
  readonly #tasks = new Map<string, Tracked>();
  readonly #runs = new Map<string, Run>();
  readonly #awaitingIdle = new Set<Tracked>();
  #sweeper: NodeJS.Timeout | undefined;
  #runCounter = 0;
  #active = 0;
  /** Size at which the next eviction pass runs (raised when active tasks alone exceed the cap). */
  #evictAt: number;
  readonly #idleGraceMs: number;
  readonly #maxTasks: number;
  readonly #maxOutputBytesPerTask: number;
  readonly #maxTotalOutputBytes: number;
  /** Output bytes kept by all tasks. */
  #outputBytes = 0;
  readonly #onDidChangeTask = new Emitter<TaskInfo>();
  readonly onDidChangeTask: Event<TaskInfo> = this.#onDidChangeTask.event;
  readonly #onDidOutput = new Emitter<{ task: TaskInfo; output: OutputItem }>();
  readonly onDidOutput: Event<{ task: TaskInfo; output: OutputItem }> = this.#onDidOutput.event;
  readonly #onDidPublishData = new Emitter<{ task: TaskInfo; data: Record<string, unknown> }>();
  /** A task published data (datapub): `data` is what it published this time; the task holds the merge. */
  readonly onDidPublishData: Event<{ task: TaskInfo; data: Record<string, unknown> }> = this.#onDidPublishData.event;
  /** Called with each task added (the iopub router adopts early messages for it). */
  onAdd: ((task: TaskInfo) => void) | undefined;

  constructor(options: TasksModelOptions = {}) {
    this.#idleGraceMs = options.idleGraceMs ?? DEFAULTS.idleGraceMs;
    this.#maxTasks = options.maxTasks ?? DEFAULTS.maxTasks;
    this.#evictAt = this.#maxTasks;
    this.#maxOutputBytesPerTask = Math.max(1024, options.maxOutputBytesPerTask ?? DEFAULTS.maxOutputBytesPerTask);
    this.#maxTotalOutputBytes = Math.max(this.#maxOutputBytesPerTask, options.maxTotalOutputBytes ?? DEFAULTS.maxTotalOutputBytes);
  }

  /** Output bytes kept by all tasks (bounded by maxTotalOutputBytes, give or take the active tasks). */
  get outputBytes(): number {
    return this.#outputBytes;
  }

  /** Tasks not yet in a terminal state. */
  get activeCount(): number {
    return this.#active;
  }

  newRunId(): string {
    return `r${++this.#runCounter}`;
  }

  addRun(run: Run): void {
    this.#runs.set(run.id, run);
  }

  run(id: string): Run | undefined {
    return this.#runs.get(id);
  }

  runs(): Run[] {
    return [...this.#runs.values()];
  }

  get(msgId: string): TaskInfo | undefined {
    return this.#tasks.get(msgId)?.info;
  }

  list(): TaskInfo[] {
    return [...this.#tasks.values()].map((t) => t.info);
  }

  /** Non-terminal tasks, optionally only those matching. */
  active(filter?: (task: TaskInfo) => boolean): TaskInfo[] {
    const out: TaskInfo[] = [];
    for (const t of this.#tasks.values()) if (!isTerminal(t.info.state) && (!filter || filter(t.info))) out.push(t.info);
    return out;
  }

  /**
   * Active tasks added at least `olderThanMs` ago whose reply has not come (oldest first, at most `limit`):
   * the ones the reply sweep asks the hub about.
   */
  unanswered(olderThanMs: number, limit: number, now = Date.now()): TaskInfo[] {
    const out: TaskInfo[] = [];
    for (const t of this.#tasks.values()) {
      if (out.length >= limit) break;
      if (!isTerminal(t.info.state) && t.replyState === undefined && now - t.addedAt >= olderThanMs) out.push(t.info);
    }
    return out;
  }

  add(info: TaskInfo): void {
    this.#tasks.set(info.msgId, { info, addedAt: Date.now(), idle: false });
    if (!isTerminal(info.state)) this.#active++;
    if (this.#tasks.size > this.#evictAt) this.#evict();
    this.onAdd?.(info);
    this.#onDidChangeTask.fire(info);
  }

  /** busy or execute_input: the task started on an engine. */
  markRunning(msgId: string, engineId: number | undefined, engineUuid: string | undefined, busy: boolean): void {
    const t = this.#tasks.get(msgId);
    if (!t) return;
    if (busy) t.idle = false;
    const info = t.info;
    if (isTerminal(info.state)) return;
    let changed = false;
    if (engineUuid && info.engineUuid !== engineUuid) {
      info.engineUuid = engineUuid;
      info.engineId = engineId;
      changed = true;
    }
    if (info.state === 'pending') {
      info.state = 'running';
      changed = true;
    }
    if (changed) this.#onDidChangeTask.fire(info);
  }

  /** The idle status for this request: the last iopub message it causes. */
  markIdle(msgId: string, engineUuid?: string): void {
    const t = this.#tasks.get(msgId);
    if (!t) return;
    t.idle = true;
    t.idleFrom = engineUuid;
    if (t.replyState && !isTerminal(t.info.state) && idleFromReplier(t)) this.#finish(t, t.replyState);
  }

  /**
   * Keeps an output within the task's bound (OutputKeeper) and announces what is shown now. Past the
   * head, output is held and shown when the task ends, so a flood costs neither memory nor notifications.
   */
  addOutput(msgId: string, output: OutputItem): void {
    const t = this.#tasks.get(msgId);
    if (!t) return;
    if (t.replyState) t.outputAt = Date.now();
    const keeper = (t.keeper ??= new OutputKeeper(t.info.outputs, this.#maxOutputBytesPerTask));
    const before = keeper.bytes;
    const shown = keeper.add(output.kind === 'error' ? boundError(output) : output);
    this.#outputBytes += keeper.bytes - before;
    this.#announce(t, shown);
    if (this.#outputBytes > this.#maxTotalOutputBytes) this.#evictForOutput();
  }

  /**
   * Holds a stream message's raw content frame when the task is past its kept head (OutputKeeper.hold):
   * it is parsed only if still kept when the task ends. Returns false, holding nothing, when the output
   * is shown now instead (the caller then parses it and calls addOutput).
   */
  holdStream(msgId: string, name: 'stdout' | 'stderr', frame: Buffer): boolean {
    const t = this.#tasks.get(msgId);
    if (!t?.keeper) return false;
    const before = t.keeper.bytes;
    if (!t.keeper.hold(name, frame)) return false;
    if (t.replyState) t.outputAt = Date.now();
    this.#outputBytes += t.keeper.bytes - before;
    if (this.#outputBytes > this.#maxTotalOutputBytes) this.#evictForOutput();
    return true;
  }

  /** Data the task published (a decoded data_message): merged into its `data`, `progress` updated. */
  publishData(msgId: string, data: Record<string, unknown>): void {
    const t = this.#tasks.get(msgId);
    if (!t) return;
    t.info.data = mergeData(t.info.data, data);
    const progress = progressOf(t.info.data);
    if (progress === undefined) delete t.info.progress;
    else t.info.progress = progress;
    this.#onDidPublishData.fire({ task: t.info, data });
  }

  #announce(t: Tracked, shown: OutputItem[]): void {
    if (shown.length === 0) return;
    for (const output of shown) this.#onDidOutput.fire({ task: t.info, output });
    this.#onDidChangeTask.fire(t.info);
  }

  /** Shows a task's held output (its end, after the markers): when it ends. */
  #flushOutput(t: Tracked): void {
    if (!t.keeper?.holding) return;
    const before = t.keeper.bytes;
    const shown = t.keeper.flush();
    this.#outputBytes += t.keeper.bytes - before;
    for (const output of shown) this.#onDidOutput.fire({ task: t.info, output });
  }

  /** Forgets the oldest terminal tasks until the kept output is within maxTotalOutputBytes. */
  #evictForOutput(): void {
    for (const [id, t] of this.#tasks) {
      if (this.#outputBytes <= this.#maxTotalOutputBytes) break;
      if (!isTerminal(t.info.state) || !t.keeper) continue;
      this.#delete(id);
    }
    this.#dropEmptyRuns();
  }

  #delete(id: string): void {
    const t = this.#tasks.get(id);
    if (!t) return;
    this.#outputBytes -= t.keeper?.bytes ?? 0;
    this.#tasks.delete(id);
  }

  #dropEmptyRuns(): void {
    for (const [id, run] of this.#runs) if (!run.msgIds.some((m) => this.#tasks.has(m))) this.#runs.delete(id);
  }

  /**
   * An execute_reply (or a scheduler's apply_reply). `expectIdle` is false for replies no engine will
   * follow with an idle status (scheduler-made, aborted).
   */
  applyReply(msgId: string, reply: ReplyFacts, expectIdle: boolean): void {
    const t = this.#tasks.get(msgId);
    if (!t || isTerminal(t.info.state)) return;
    const info = t.info;
    if (reply.engineUuid) {
      info.engineUuid = reply.engineUuid;
      info.engineId = reply.engineId;
    }
    if (reply.started) info.started = reply.started;
    if (reply.completed) info.completed = reply.completed;
    info.received = new Date().toISOString();
    if (reply.executionCount !== undefined) info.executionCount = reply.executionCount;
    if (reply.userExpressions) info.userExpressions = reply.userExpressions;
    if (reply.error) info.error = boundError(reply.error);
    if (reply.state === 'aborted' && !info.reason) info.reason = reply.reason ?? message('abortedBeforeRun');
    else if (reply.reason) info.reason = reply.reason;
    t.replyState = reply.state;
    // A retried load-balanced task has the same msg_id on both engines: the first attempt's idle does
    // not end the retry, whose reply may come before its own busy, stream and idle.
    if (!expectIdle || (t.idle && idleFromReplier(t))) {
      this.#finish(t, reply.state);
      return;
    }
    if (info.state === 'pending') info.state = 'running';
    t.repliedAt = Date.now();
    this.#awaitingIdle.add(t);
    this.#onDidChangeTask.fire(info);
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(100, Math.min(1000, this.#idleGraceMs / 2)));
  }

  /** Ends a task in a terminal state (lost, or a state learnt from the hub). No-op if it already ended. */
  finish(msgId: string, state: TaskState, reason?: string): void {
    const t = this.#tasks.get(msgId);
    if (!t || isTerminal(t.info.state)) return;
    if (reason) t.info.reason = reason;
    this.#finish(t, state);
  }

  /** Updates fields of a task from outside (resubmit polling) and announces the change. */
  update(msgId: string, fn: (info: TaskInfo) => void): void {
    const t = this.#tasks.get(msgId);
    if (!t) return;
    fn(t.info);
    this.#onDidChangeTask.fire(t.info);
  }

  /** Resolves when every listed task is terminal. Unknown ids are the caller's to check first. */
  whenTerminal(msgIds: string[], register: (cancel: () => void) => void): Promise<void> {
    let remaining = 0;
    return new Promise<void>((resolve) => {
      const waiter = (): void => {
        if (--remaining === 0) resolve();
      };
      const registered: Tracked[] = [];
      for (const id of msgIds) {
        const t = this.#tasks.get(id);
        if (!t || isTerminal(t.info.state)) continue;
        remaining++;
        (t.waiters ??= []).push(waiter);
        registered.push(t);
      }
      if (remaining === 0) resolve();
      register(() => {
        for (const t of registered) {
          const i = t.waiters?.indexOf(waiter) ?? -1;
          if (i >= 0) t.waiters?.splice(i, 1);
        }
      });
    });
  }

  /** Forgets terminal tasks (purge). Runs whose tasks are all forgotten go too. */
  forget(filter: (task: TaskInfo) => boolean): number {
    let n = 0;
    for (const [id, t] of this.#tasks) {
      if (isTerminal(t.info.state) && filter(t.info)) {
        this.#delete(id);
        n++;
      }
    }
    if (n > 0) this.#dropEmptyRuns();
    return n;
  }

  #finish(t: Tracked, state: TaskState): void {
    this.#awaitingIdle.delete(t);
    this.#flushOutput(t);
    t.info.state = state;
    this.#active--;
    this.#onDidChangeTask.fire(t.info);
    const waiters = t.waiters;
    t.waiters = undefined;
    if (waiters) for (const w of waiters) w();
  }

  #sweep(): void {
    const now = Date.now();
    for (const t of this.#awaitingIdle) {
      const since = Math.max(t.repliedAt ?? now, t.outputAt ?? 0);
      if (now - since >= this.#idleGraceMs && t.replyState) this.#finish(t, t.replyState);
    }
    if (this.#awaitingIdle.size === 0 && this.#sweeper) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  #evict(): void {
    const target = Math.floor(this.#maxTasks * 0.9);
    if (this.#tasks.size - this.#active > 0) {
      for (const [id, t] of this.#tasks) {
        if (this.#tasks.size <= target) break;
        if (isTerminal(t.info.state)) this.#delete(id);
      }
      this.#dropEmptyRuns();
    }
    // Active tasks are never forgotten: when they alone keep us over the cap, scan again only after another
    // tenth of the cap has been added, so add() stays O(1) amortized.
    this.#evictAt = Math.max(this.#maxTasks, this.#tasks.size + Math.ceil(this.#maxTasks / 10));
  }

  dispose(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#onDidChangeTask.dispose();
    this.#onDidOutput.dispose();
    this.#onDidPublishData.dispose();
  }
}

/** What a reply tells about its task. */
export interface ReplyFacts {
  state: TaskState;
  engineUuid?: string;
  engineId?: number;
  started?: string;
  completed?: string;
  executionCount?: number;
  userExpressions?: Record<string, ExpressionValue>;
  error?: RemoteError;
  reason?: string;
}

/** A RemoteError from {ename, evalue, traceback}, if the content has one. */
export function remoteError(content: Record<string, unknown>): RemoteError | undefined {
  if (typeof content.ename !== 'string') return undefined;
  return boundError({
    ename: content.ename,
    evalue: String(content.evalue ?? ''),
    traceback: Array.isArray(content.traceback) ? content.traceback.map(String) : [],
  });
}

/** Maps an execute_reply's user_expressions to ExpressionValues. */
export function expressionValues(raw: unknown): Record<string, ExpressionValue> {
  const out: Record<string, ExpressionValue> = {};
  if (raw === null || typeof raw !== 'object') return out;
  for (const [name, v] of Object.entries(raw as Record<string, Record<string, unknown>>)) {
    if (v && v.status === 'ok') out[name] = { status: 'ok', data: (v.data as Record<string, unknown>) ?? {} };
    else if (v) out[name] = { status: 'error', ...(remoteError(v) ?? { ename: 'Error', evalue: '', traceback: [] }) };
  }
  return out;
}

/** Reply facts from an execute_reply/apply_reply message's metadata and content. */
export function replyFacts(
  content: Record<string, unknown>,
  metadata: Record<string, unknown>,
  replyDate: string | undefined,
): ReplyFacts {
  const status = content.status;
  const state: TaskState = status === 'ok' ? 'done' : status === 'aborted' ? 'aborted' : 'error';
  const facts: ReplyFacts = { state, completed: replyDate };
  if (typeof metadata.started === 'string') facts.started = metadata.started;
  if (typeof content.execution_count === 'number') facts.executionCount = content.execution_count;
  if (content.user_expressions && typeof content.user_expressions === 'object') {
    const values = expressionValues(content.user_expressions);
    if (Object.keys(values).length > 0) facts.userExpressions = values;
  }
  if (state === 'error') {
    facts.error = remoteError(content) ?? { ename: 'Error', evalue: `reply status ${String(status)}`, traceback: [] };
  }
  return facts;
}
