import type { Logger } from '../log';
import { message } from '../messages';
import type { Channel } from '../protocol/connectionFile';
import type { Message } from '../protocol/message';
import type { EnginesModel } from './engines';
import { EngineGoneError } from './errors';
import type { IopubRouter } from './iopubRouter';
import type { PendingRequests } from './requests';
import { replyFacts, type TasksModel } from './tasks';
import type { QueueStatus } from './types';

/** A load-balanced task whose engine left is declared lost if the scheduler has not answered by then. */
const BALANCED_LOST_AFTER_MS = 15_000;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export interface DispatcherDeps {
  engines: EnginesModel;
  tasks: TasksModel;
  requests: PendingRequests;
  router: IopubRouter;
  logger: Logger;
  /** A shutdown_notification arrived. */
  onShutdown(): void;
  /** A registration_notification added an engine (the client then asks the hub for its queue counts). */
  onRegistered?(id: number): void;
}

/**
 * Applies what the cluster says to the models: replies settle tasks or pending requests, iopub goes to the
 * router, notifications add and remove engines. An engine that leaves takes its requests (EngineGoneError)
 * and its direct tasks (lost) with it; its load-balanced tasks get the scheduler's answer or end lost.
 */
export class Dispatcher {
  readonly #lostTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: DispatcherDeps) {}

  onMessage(channel: Channel, msg: Message): void {
    switch (channel) {
      case 'iopub':
        this.deps.router.route(msg);
        return;
      case 'mux':
      case 'task':
        this.#onShellReply(msg);
        return;
      case 'notification':
        this.#onNotification(msg);
        return;
      default:
        if (!this.deps.requests.settle(msg)) this.deps.logger.trace(`${channel}: unexpected ${msg.header.msg_type}`);
    }
  }

  #onShellReply(msg: Message): void {
    const { tasks, engines, requests } = this.deps;
    const id = msg.parent.msg_id;
    if (typeof id === 'string' && tasks.get(id)) {
      // Engines reply with their uuid as routing frame; the scheduler's own replies have none.
      const routed = msg.routing.length > 0;
      const uuid = routed ? msg.routing[0].toString('ascii') : str(msg.metadata.engine);
      const facts = replyFacts(msg.content, msg.metadata, msg.header.date);
      if (uuid) {
        facts.engineUuid = uuid;
        facts.engineId = engines.idOf(uuid);
      }
      tasks.applyReply(id, facts, routed && facts.state !== 'aborted');
      return;
    }
    if (!requests.settle(msg)) this.deps.logger.trace(`reply to an unknown request ${String(id)}`);
  }

  #onNotification(msg: Message): void {
    const c = msg.content;
    switch (msg.header.msg_type) {
      case 'registration_notification':
        if (typeof c.id === 'number' && typeof c.uuid === 'string') {
          this.deps.logger.info(`engine ${c.id} registered`);
          this.deps.engines.add(c.id, c.uuid);
          this.deps.onRegistered?.(c.id);
        }
        return;
      case 'unregistration_notification':
        if (typeof c.id === 'number') this.engineGone(c.id, typeof c.uuid === 'string' ? c.uuid : undefined);
        return;
      case 'shutdown_notification':
        this.deps.onShutdown();
        return;
    }
  }

  engineGone(id: number, uuidHint: string | undefined, reason = message('engineUnregistered', id)): void {
    const { engines, tasks, requests } = this.deps;
    const uuid = engines.remove(id)?.uuid ?? uuidHint;
    this.deps.logger.info(reason);
    if (!uuid) return;
    requests.failEngine(uuid, (what) => new EngineGoneError(id, message('whilePending', reason, what)));
    for (const t of tasks.active((t) => t.engineUuid === uuid)) {
      if (t.queue === 'mux') {
        tasks.finish(t.msgId, 'lost', reason);
        continue;
      }
      // The scheduler answers for a load-balanced task whose engine died (or retries it elsewhere).
      const timer = setTimeout(() => {
        this.#lostTimers.delete(timer);
        if (tasks.get(t.msgId)?.engineUuid === uuid) tasks.finish(t.msgId, 'lost', reason);
      }, BALANCED_LOST_AFTER_MS);
      this.#lostTimers.add(timer);
    }
  }

  /**
   * The hub's engine ids are the truth: an engine we hold that it no longer lists left without a
   * notification reaching us (a SUB that reconnected, a controller restarted on the same ports), and one
   * it lists that we lack registered unseen (`fetchEngines` asks the hub for the uuids).
   */
  async reconcile(status: QueueStatus, fetchEngines: () => Promise<Record<string, unknown>>): Promise<void> {
    const { engines } = this.deps;
    const listed = new Set(Object.keys(status.engines).map(Number));
    for (const id of engines.ids()) if (!listed.has(id)) this.engineGone(id, undefined, `engine ${id} is no longer registered`);
    if (![...listed].some((id) => engines.uuidOf(id) === undefined)) return;
    for (const [id, uuid] of Object.entries(await fetchEngines())) {
      if (typeof uuid === 'string' && engines.uuidOf(Number(id)) === undefined) engines.add(Number(id), uuid);
    }
  }

  /** Cancels the pending lost-timers (teardown: every task ends lost anyway). */
  clear(): void {
    for (const t of this.#lostTimers) clearTimeout(t);
    this.#lostTimers.clear();
  }
}
