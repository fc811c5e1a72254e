import { Emitter, type Event } from '../event';
import type { EngineInfo, EngineStatus, QueueStatus } from './types';

/**
 * The live engine table: ids and uuids from connection_reply and notifications, busy/idle from iopub
 * status, queue counts from queue_reply. Changes are coalesced: onDidChange fires once per turn of the
 * event loop with the full sorted list, however many status messages arrived.
 *
 * Busy/idle has two sources. An engine's own iopub `status` (busy/idle) is the prompt one, and once an
 * engine has sent one it is the only one. Until then the hub's queue counts decide, on every queue_reply
 * (after connect, on registration, and every liveness probe): busy when it has requests queued or
 * running, else idle. An engine sends no iopub status until it gets a request, so one registered before
 * we connected is silent until its first task (the GUI flow saw such engines shown `unknown`), and
 * one that said only `starting` says nothing more until it gets work.
 */
export class EnginesModel {
  readonly #byId = new Map<number, EngineInfo>();
  readonly #byUuid = new Map<string, EngineInfo>();
  /** Uuids of the engines whose busy/idle came from their own iopub status. */
  readonly #heard = new Set<string>();
  readonly #onDidChange = new Emitter<EngineInfo[]>();
  readonly onDidChange: Event<EngineInfo[]> = this.#onDidChange.event;
  #scheduled: NodeJS.Immediate | undefined;

  get size(): number {
    return this.#byId.size;
  }

  /** Copies of every engine, sorted by id. */
  list(): EngineInfo[] {
    return [...this.#byId.values()].sort((a, b) => a.id - b.id).map((e) => ({ ...e }));
  }

  get(id: number): EngineInfo | undefined {
    const e = this.#byId.get(id);
    return e && { ...e };
  }

  /** The live entry for a uuid (do not hand it out: use get() for copies). */
  byUuid(uuid: string): EngineInfo | undefined {
    return this.#byUuid.get(uuid);
  }

  uuidOf(id: number): string | undefined {
    return this.#byId.get(id)?.uuid;
  }

  idOf(uuid: string): number | undefined {
    return this.#byUuid.get(uuid)?.id;
  }

  ids(): number[] {
    return [...this.#byId.keys()].sort((a, b) => a - b);
  }

  /** Replaces the table with connection_reply's `engines` ({"0": uuid, ...}). */
  reset(engines: Record<string, unknown>): void {
    this.#byId.clear();
    this.#byUuid.clear();
    this.#heard.clear();
    for (const [id, uuid] of Object.entries(engines)) {
      const n = Number(id);
      if (Number.isInteger(n) && typeof uuid === 'string') this.#put(n, uuid, 'unknown');
    }
    this.#changed();
  }

  clear(): void {
    if (this.#byId.size === 0) return;
    this.#byId.clear();
    this.#byUuid.clear();
    this.#heard.clear();
    this.#changed();
  }

  /** A registration_notification: the engine has registered and is ready. */
  add(id: number, uuid: string): void {
    if (this.#byId.get(id)?.uuid === uuid) return;
    this.#put(id, uuid, 'idle');
    this.#changed();
  }

  /** An unregistration_notification. Returns the engine that left. */
  remove(id: number): EngineInfo | undefined {
    const e = this.#byId.get(id);
    if (!e) return undefined;
    this.#byId.delete(id);
    this.#byUuid.delete(e.uuid);
    this.#heard.delete(e.uuid);
    this.#changed();
    return e;
  }

  /** An iopub status message from the engine whose session (= uuid) sent it. */
  setStatus(uuid: string, state: unknown): void {
    const e = this.#byUuid.get(uuid);
    if (!e) return;
    const status: EngineStatus = state === 'busy' || state === 'idle' || state === 'starting' ? state : 'unknown';
    if (status === 'busy' || status === 'idle') this.#heard.add(uuid);
    if (e.status === status) return;
    e.status = status;
    this.#changed();
  }

  /** Applies queue_reply counts; the busy/idle of engines not heard from on iopub follows them. */
  applyQueue(status: QueueStatus): void {
    let changed = false;
    for (const e of this.#byId.values()) {
      const q = status.engines[e.id];
      if (!q) continue;
      if (e.queue !== q.queue || e.completed !== q.completed || e.tasks !== q.tasks) {
        e.queue = q.queue;
        e.completed = q.completed;
        e.tasks = q.tasks;
        changed = true;
      }
      const counted: EngineStatus = q.queue + q.tasks > 0 ? 'busy' : 'idle';
      if (!this.#heard.has(e.uuid) && e.status !== counted) {
        e.status = counted;
        changed = true;
      }
    }
    if (changed) this.#changed();
  }

  #put(id: number, uuid: string, status: EngineStatus): void {
    const old = this.#byId.get(id);
    if (old) {
      this.#byUuid.delete(old.uuid);
      this.#heard.delete(old.uuid);
    }
    const e: EngineInfo = { id, uuid, status, queue: 0, completed: 0, tasks: 0 };
    this.#byId.set(id, e);
    this.#byUuid.set(uuid, e);
  }

  #changed(): void {
    if (this.#scheduled) return;
    this.#scheduled = setImmediate(() => {
      this.#scheduled = undefined;
      this.#onDidChange.fire(this.list());
    });
  }

  dispose(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#onDidChange.dispose();
  }
}

/** QueueStatus from a queue_reply's content ({"0": {queue, completed, tasks}, ..., unassigned}). */
export function parseQueueReply(content: Record<string, unknown>): QueueStatus {
  const engines: QueueStatus['engines'] = {};
  for (const [key, value] of Object.entries(content)) {
    const id = Number(key);
    if (!Number.isInteger(id) || value === null || typeof value !== 'object') continue;
    const v = value as Record<string, unknown>;
    engines[id] = { queue: count(v.queue), completed: count(v.completed), tasks: count(v.tasks) };
  }
  return { engines, unassigned: count(content.unassigned) };
}

function count(v: unknown): number {
  if (typeof v === 'number') return v;
  if (Array.isArray(v)) return v.length;
  return 0;
}
