/**
 * A fake ClusterClient for driving the language server without a cluster: it keeps engines and tasks
 * in memory, records every call, and lets a test finish tasks, emit outputs or make a call fail.
 */
import { Emitter } from '../../../src/core/event';
import type { ClientState, ClusterVersion, EngineInfo, ExpressionValue, OutputItem, Run, TaskInfo, TaskState } from '../../../src/core/client/types';
import type { ClientFactoryOptions, ClusterClientLike } from '../../../src/server/clientApi';
import { emptyDropped } from '../../../src/core/transport/dropCounter';

type Method = 'connect' | 'disconnect' | 'wait' | 'abort' | 'interrupt' | 'resubmit' | 'reattach' | 'purge' | 'historyTasks' | 'queueStatus' | 'shutdown';

export class FakeClient implements ClusterClientLike {
  state: ClientState = 'disconnected';
  connectionInfo = undefined;
  readonly calls: { method: Method; args: unknown[] }[] = [];
  /** A method listed here rejects with the error instead of answering. */
  readonly failures = new Map<Method, Error>();
  /** A method listed here answers only once the promise settles (e.g. a wait the test ends by hand). */
  readonly holds = new Map<Method, Promise<void>>();
  #engines: EngineInfo[] = [0, 1].map((id) => ({ id, uuid: `uuid-${id}`, status: 'idle', queue: 0, completed: 0, tasks: 0 }));
  #tasks = new Map<string, TaskInfo>();
  #runs = new Map<string, Run>();
  #n = 0;
  readonly #state = new Emitter<{ state: ClientState; error?: Error }>();
  readonly #enginesChanged = new Emitter<EngineInfo[]>();
  readonly #task = new Emitter<TaskInfo>();
  readonly #output = new Emitter<{ task: TaskInfo; output: OutputItem }>();
  readonly onDidChangeState = this.#state.event;
  readonly onDidChangeEngines = this.#enginesChanged.event;
  readonly onDidChangeTask = this.#task.event;
  readonly onDidOutput = this.#output.event;
  readonly #data = new Emitter<{ task: TaskInfo; data: Record<string, unknown> }>();
  readonly onDidPublishData = this.#data.event;
  readonly #drop = new Emitter<{ channel: 'iopub'; reason: 'badSignature'; detail: string }>();
  readonly onDidDrop = this.#drop.event;
  #dropped = emptyDropped();
  #version: ClusterVersion | undefined;
  readonly #versionChanged = new Emitter<ClusterVersion | undefined>();
  readonly onDidChangeVersion = this.#versionChanged.event;

  constructor(readonly options: ClientFactoryOptions) {}

  async #call<T>(method: Method, args: unknown[], answer: () => T): Promise<T> {
    this.calls.push({ method, args });
    await this.holds.get(method);
    const failure = this.failures.get(method);
    if (failure) throw failure;
    return answer();
  }

  connect(): Promise<void> {
    return this.#call('connect', [], () => this.#setState('connected'));
  }
  disconnect(): Promise<void> {
    return this.#call('disconnect', [], () => this.#setState('disconnected'));
  }
  dispose(): void {
    this.state = 'closed';
  }
  #setState(state: ClientState): void {
    this.state = state;
    this.#state.fire({ state });
  }

  engines(): EngineInfo[] {
    return this.#engines;
  }
  task(msgId: string): TaskInfo | undefined {
    return this.#tasks.get(msgId);
  }
  tasks(): TaskInfo[] {
    return [...this.#tasks.values()];
  }
  run(runId: string): Run | undefined {
    return this.#runs.get(runId);
  }

  execute(code: string, options: { targets?: 'all' | 'balanced' | number[] } = {}): Run {
    const targets = options.targets ?? 'all';
    const engineIds = targets === 'all' ? this.#engines.map((e) => e.id) : targets === 'balanced' ? [undefined] : targets;
    const run: Run = { id: `run-${++this.#n}`, code, targets, msgIds: [], created: new Date().toISOString() };
    for (const engineId of engineIds) {
      const msgId = `msg-${++this.#n}`;
      const queue = targets === 'balanced' ? 'task' : 'mux';
      this.#tasks.set(msgId, { msgId, runId: run.id, queue, engineId, state: 'pending', code, submitted: run.created, outputs: [] });
      run.msgIds.push(msgId);
    }
    this.#runs.set(run.id, run);
    return run;
  }

  /** Moves a task to a state (as the cluster would), firing the change. */
  setTaskState(msgId: string, state: TaskState, extra: Partial<TaskInfo> = {}): void {
    const t = this.#tasks.get(msgId);
    if (!t) throw new Error(`no task ${msgId}`);
    Object.assign(t, { state, ...extra }, state === 'done' || state === 'error' ? { completed: new Date().toISOString() } : {});
    this.#task.fire(t);
  }

  emitOutput(msgId: string, output: OutputItem): void {
    const t = this.#tasks.get(msgId);
    if (!t) throw new Error(`no task ${msgId}`);
    t.outputs.push(output);
    this.#output.fire({ task: t, output });
  }

  /** What an engine answered about the cluster's versions (as core's VersionProbe would report it). */
  setVersion(version: ClusterVersion | undefined): void {
    this.#version = version;
    this.#versionChanged.fire(version);
  }

  setEngines(engines: EngineInfo[]): void {
    this.#engines = engines;
    this.#enginesChanged.fire(engines);
  }

  wait(msgIds: string | string[], options?: unknown): Promise<TaskInfo[]> {
    return this.#call('wait', [msgIds, options], () => (Array.isArray(msgIds) ? msgIds : [msgIds]).flatMap((id) => this.#tasks.get(id) ?? []));
  }
  /** What evaluate() answers: expression -> its repr on every asked engine (none by default). */
  readonly values = new Map<string, string>();
  /** The names complete() offers for the word before the cursor (none by default). */
  readonly completions: string[] = [];

  evaluate(expressions: Record<string, string>, options: { targets?: number[] } = {}): Promise<Map<number, Record<string, ExpressionValue>>> {
    const ids = options.targets ?? this.#engines.map((e) => e.id);
    const answer = (): Record<string, ExpressionValue> => {
      const out: Record<string, ExpressionValue> = {};
      for (const [key, expr] of Object.entries(expressions)) {
        const repr = this.values.get(expr);
        if (repr !== undefined) out[key] = { status: 'ok', data: { 'text/plain': repr } };
      }
      return out;
    };
    return Promise.resolve(new Map(ids.map((id) => [id, answer()])));
  }
  complete(code: string, cursorPos: number): Promise<{ matches: string[]; cursorStart: number; cursorEnd: number }> {
    const start = cursorPos - (/[A-Za-z_]\w*$/.exec(code.slice(0, cursorPos))?.[0].length ?? 0);
    const word = code.slice(start, cursorPos);
    const matches = this.completions.filter((c) => c.startsWith(word));
    return Promise.resolve({ matches, cursorStart: matches.length ? start : cursorPos, cursorEnd: cursorPos });
  }
  abort(msgIds?: string[], options?: unknown): Promise<void> {
    return this.#call('abort', [msgIds, options], () => undefined);
  }
  interrupt(engineIds?: number[], options?: unknown): Promise<void> {
    return this.#call('interrupt', [engineIds, options], () => undefined);
  }
  resubmit(msgIds: string[], options?: unknown): Promise<Record<string, string>> {
    return this.#call('resubmit', [msgIds, options], () => {
      const out: Record<string, string> = {};
      for (const id of msgIds) {
        const old = this.#tasks.get(id);
        if (!old) continue;
        const msgId = `msg-${++this.#n}`;
        old.resubmittedAs = msgId;
        this.#tasks.set(msgId, { ...old, msgId, state: 'pending', outputs: [], resubmittedFrom: id, resubmittedAs: undefined, completed: undefined });
        out[id] = msgId;
      }
      return out;
    });
  }
  /** The hub's records that reattach() finds (a test fills it); other msg_ids are unknown to the "hub". */
  readonly hubRecords = new Map<string, TaskInfo>();
  reattach(spec: { msgIds: string[]; targets: Run['targets']; code?: string; title?: string; created?: string }, options?: unknown) {
    return this.#call('reattach', [spec, options], () => {
      const found = spec.msgIds.flatMap((id) => this.hubRecords.get(id) ?? []);
      const code = spec.code ?? found[0]?.code ?? spec.title ?? '';
      const run: Run = { id: `run-${++this.#n}`, code, targets: spec.targets, msgIds: [...spec.msgIds], created: spec.created ?? new Date().toISOString() };
      const unknown = spec.msgIds.filter((id) => !this.hubRecords.has(id));
      for (const t of found) this.#tasks.set(t.msgId, { ...t, runId: run.id, reattached: true });
      for (const msgId of unknown) {
        this.#tasks.set(msgId, { msgId, runId: run.id, queue: 'mux', state: 'lost', reason: 'no record', code, submitted: run.created, outputs: [], reattached: true });
      }
      this.#runs.set(run.id, run);
      return { run, unknown };
    });
  }
  purge(msgIds: string[] | 'all', options?: unknown): Promise<void> {
    return this.#call('purge', [msgIds, options], () => undefined);
  }
  historyTasks(options?: { limit?: number }): Promise<TaskInfo[]> {
    return this.#call('historyTasks', [options], () => this.tasks().slice(-(options?.limit ?? 100)));
  }
  queueStatus(options?: unknown): Promise<{ engines: Record<number, { queue: number; completed: number; tasks: number }>; unassigned: number }> {
    return this.#call('queueStatus', [options], () => ({ engines: { 0: { queue: 0, completed: 1, tasks: 0 } }, unassigned: 0 }));
  }
  shutdown(options?: unknown): Promise<void> {
    return this.#call('shutdown', [options], () => undefined);
  }
  dropped() {
    return { ...this.#dropped, byChannel: { ...this.#dropped.byChannel } };
  }

  /** A forged message dropped on iopub, as the read loop would count it. */
  dropForged(): void {
    this.#dropped.badSignature++;
    this.#dropped.byChannel.iopub = { badSignature: this.#dropped.badSignature };
    this.#drop.fire({ channel: 'iopub', reason: 'badSignature', detail: 'bad signature' });
  }
  security() {
    return this.state === 'connected' ? { signed: true, signatureScheme: 'hmac-sha256', transport: 'plain' as const, loopback: true, warnings: [] } : undefined;
  }
  status() {
    const runningTasks = this.tasks().filter((t) => t.state === 'running').length;
    const version = this.#version && { ipyparallelVersion: this.#version.ipyparallel, ...(this.#version.python && { pythonVersion: this.#version.python }) };
    return { state: this.state, engines: this.#engines.length, runningTasks, ...version, security: this.security(), dropped: this.dropped() };
  }
}
