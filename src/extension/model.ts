/**
 * The extension's mirror of what the language server reports: connection state, engines and runs.
 * Plain data and core Emitters (no `vscode`), so it is unit tested in plain Node; the views, the
 * status bar and the context keys subscribe to its events and only render.
 */
import { Emitter } from '../core/event';
import { isTerminal } from '../core/client/types';
import { emptyDropped } from '../core/transport/dropCounter';
import type {
  ClientState,
  DroppedCounters,
  EngineInfo,
  RunSummary,
  SecurityPosture,
  StateChangedParams,
  StatusResult,
  TaskDataParams,
  TasksChangedParams,
} from '../shared/protocol';

export interface EnginesChange {
  added: number[];
  removed: number[];
  changed: number[];
}

export interface RunsChange {
  added: string[];
  removed: string[];
  changed: string[];
}

export { isTerminal };


function sameEngine(a: EngineInfo, b: EngineInfo): boolean {
  return a.uuid === b.uuid && a.status === b.status && a.queue === b.queue && a.completed === b.completed && a.tasks === b.tasks;
}

export class ClusterModel {
  #state: ClientState = 'disconnected';
  #message: string | undefined;
  #connectionFile: string | undefined;
  #security: SecurityPosture | undefined;
  #dropped: DroppedCounters = emptyDropped();
  #version: Pick<StatusResult, 'ipyparallelVersion' | 'pythonVersion'> = {};
  #engines = new Map<number, EngineInfo>();
  #runs = new Map<string, RunSummary>();

  readonly #onDidChangeState = new Emitter<ClientState>();
  readonly #onDidChangeEngines = new Emitter<EnginesChange>();
  readonly #onDidChangeRuns = new Emitter<RunsChange>();
  readonly #onDidChangeStatus = new Emitter<void>();
  /** The connection state changed (connected, disconnected, ...). */
  readonly onDidChangeState = this.#onDidChangeState.event;
  readonly onDidChangeEngines = this.#onDidChangeEngines.event;
  readonly onDidChangeRuns = this.#onDidChangeRuns.event;
  /** Anything the status bar shows changed (state, engines, running tasks, security, dropped). */
  readonly onDidChangeStatus = this.#onDidChangeStatus.event;

  get state(): ClientState {
    return this.#state;
  }
  get connected(): boolean {
    return this.#state === 'connected';
  }
  /** Why the state last changed, when it changed because of an error. */
  get message(): string | undefined {
    return this.#message;
  }
  get connectionFile(): string | undefined {
    return this.#connectionFile;
  }
  get security(): SecurityPosture | undefined {
    return this.#security;
  }
  get dropped(): DroppedCounters {
    return this.#dropped;
  }
  /** The cluster's ipyparallel and Python versions as an engine reported them (ipp/status), when known. */
  get version(): Pick<StatusResult, 'ipyparallelVersion' | 'pythonVersion'> {
    return this.#version;
  }

  /** Engines by id, ascending. */
  get engines(): EngineInfo[] {
    return [...this.#engines.values()].sort((a, b) => a.id - b.id);
  }
  engine(id: number): EngineInfo | undefined {
    return this.#engines.get(id);
  }

  /** Runs, newest first. */
  get runs(): RunSummary[] {
    return [...this.#runs.values()].sort((a, b) => b.created.localeCompare(a.created) || b.runId.localeCompare(a.runId));
  }
  run(runId: string): RunSummary | undefined {
    return this.#runs.get(runId);
  }
  get runningTasks(): number {
    let n = 0;
    for (const r of this.#runs.values()) for (const t of r.tasks) if (!isTerminal(t.state)) n++;
    return n;
  }
  get hasRunningTasks(): boolean {
    for (const r of this.#runs.values()) if (!isTerminal(r.state)) return true;
    return false;
  }

  setState(p: StateChangedParams): void {
    const changed = p.state !== this.#state;
    this.#state = p.state;
    this.#message = p.message;
    if (p.connectionFile !== undefined) this.#connectionFile = p.connectionFile;
    if (p.state === 'disconnected' || p.state === 'closed') {
      this.#security = undefined;
      this.#dropped = emptyDropped();
      this.#version = {};
      this.setEngines([]);
    }
    if (changed) this.#onDidChangeState.fire(p.state);
    this.#onDidChangeStatus.fire();
  }

  setConnected(connectionFile: string, security: SecurityPosture, engines: EngineInfo[]): void {
    this.#security = security;
    this.setEngines(engines);
    this.setState({ state: 'connected', connectionFile });
  }

  setStatus(s: StatusResult): void {
    this.#security = s.security ?? this.#security;
    this.#dropped = s.dropped ?? emptyDropped();
    this.#version = {
      ...(s.ipyparallelVersion !== undefined && { ipyparallelVersion: s.ipyparallelVersion }),
      ...(s.pythonVersion !== undefined && { pythonVersion: s.pythonVersion }),
    };
    if (s.connectionFile) this.#connectionFile = s.connectionFile;
    if (s.state !== this.#state) this.setState({ state: s.state, connectionFile: s.connectionFile });
    else this.#onDidChangeStatus.fire();
  }

  /** Replaces the engine table; fires only when something differs. */
  setEngines(engines: readonly EngineInfo[]): void {
    const next = new Map(engines.map((e) => [e.id, e]));
    const change: EnginesChange = { added: [], removed: [], changed: [] };
    for (const [id, e] of next) {
      const old = this.#engines.get(id);
      if (!old) change.added.push(id);
      else if (!sameEngine(old, e)) change.changed.push(id);
    }
    for (const id of this.#engines.keys()) if (!next.has(id)) change.removed.push(id);
    this.#engines = next;
    if (change.added.length || change.removed.length || change.changed.length) {
      this.#onDidChangeEngines.fire(change);
      this.#onDidChangeStatus.fire();
    }
  }

  /** Applies an ipp/tasksChanged delta. */
  applyTasks(p: TasksChangedParams): void {
    const change: RunsChange = { added: [], removed: [], changed: [] };
    for (const r of p.runs) {
      (this.#runs.has(r.runId) ? change.changed : change.added).push(r.runId);
      this.#runs.set(r.runId, r);
    }
    for (const id of p.removed) if (this.#runs.delete(id)) change.removed.push(id);
    if (change.added.length || change.removed.length || change.changed.length) {
      this.#onDidChangeRuns.fire(change);
      this.#onDidChangeStatus.fire();
    }
  }

  /** Applies an ipp/taskData batch: each task's published data and progress, in place. */
  applyTaskData(p: TaskDataParams): void {
    const changed = new Set<string>();
    for (const item of p.items) {
      const task = this.#runs.get(item.runId)?.tasks.find((t) => t.msgId === item.msgId);
      if (!task) continue;
      task.data = item.data;
      if (item.progress === undefined) delete task.progress;
      else task.progress = item.progress;
      changed.add(item.runId);
    }
    if (changed.size) this.#onDidChangeRuns.fire({ added: [], removed: [], changed: [...changed] });
  }

  /** Replaces every run (an ipp/tasks snapshot). */
  setRuns(runs: readonly RunSummary[]): void {
    const removed = [...this.#runs.keys()].filter((id) => !runs.some((r) => r.runId === id));
    this.applyTasks({ runs: [...runs], removed });
  }

  /** Back to disconnected with nothing known (the server went away). */
  reset(message?: string): void {
    this.setRuns([]);
    this.setState({ state: 'disconnected', message });
  }

  dispose(): void {
    this.#onDidChangeState.dispose();
    this.#onDidChangeEngines.dispose();
    this.#onDidChangeRuns.dispose();
    this.#onDidChangeStatus.dispose();
  }
}
