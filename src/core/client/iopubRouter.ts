import type { Message } from '../protocol/message';
import type { EnginesModel } from './engines';
import type { TasksModel } from './tasks';
import { remoteError } from './tasks';
import { decodeDataMessage } from './taskData';
import { streamItem } from './outputBounds';
import type { OutputItem } from './types';

/** Messages of our session that arrived before their task was known (resubmitted tasks), per msg_id. */
const MAX_ORPHAN_IDS = 256;
/** Other sessions whose tasks we re-attached to (an earlier window's), most recent kept. */
const MAX_ADOPTED_SESSIONS = 256;

/**
 * Routes iopub traffic: every engine's status updates the engines model (all clients' traffic counts);
 * messages whose parent is one of our requests update that task's state and outputs. Everything else
 * (other clients' outputs, unsolicited messages) is ignored after one cheap check.
 */
export class IopubRouter {
  readonly #orphans = new Map<string, Message[]>();
  /** Sessions of re-attached tasks (reattach.ts): their tracked tasks' traffic is applied like ours. */
  readonly #adopted = new Set<string>();

  constructor(
    private readonly sessionId: () => string,
    private readonly engines: EnginesModel,
    private readonly tasks: TasksModel,
    /** True for msg_ids of our internal requests (evaluate, complete): not tasks, not orphans. */
    private readonly isInternal: (msgId: string) => boolean,
  ) {}

  route(msg: Message): void {
    const type = msg.header.msg_type;
    if (type === 'status') this.engines.setStatus(msg.header.session, msg.content.execution_state);
    const parent = msg.parent;
    const ours = parent.session === this.sessionId();
    if (!ours && (this.#adopted.size === 0 || !this.#adopted.has(parent.session ?? ''))) return;
    const msgId = parent.msg_id;
    if (typeof msgId !== 'string') return;
    if (!this.tasks.get(msgId)) {
      // Parsed now (iopub content is parsed lazily): a malformed one is dropped here, not at adopt().
      if (ours && !this.isInternal(msgId) && msg.content) this.#keepOrphan(msgId, msg);
      return;
    }
    this.#apply(msgId, msg);
  }

  /** Replays messages that arrived for a task before it was added. */
  adopt(msgId: string): void {
    const early = this.#orphans.get(msgId);
    if (!early) return;
    this.#orphans.delete(msgId);
    for (const m of early) this.#apply(msgId, m);
  }

  /** Applies the iopub traffic of another session's tracked tasks too (tasks re-attached to by msg_id). */
  adoptSession(session: string): void {
    if (session === '' || session === this.sessionId()) return;
    this.#adopted.delete(session);
    this.#adopted.add(session);
    if (this.#adopted.size > MAX_ADOPTED_SESSIONS) this.#adopted.delete(this.#adopted.values().next().value as string);
  }

  clear(): void {
    this.#orphans.clear();
    this.#adopted.clear();
  }

  #apply(msgId: string, msg: Message): void {
    switch (msg.header.msg_type) {
      case 'status': {
        const state = msg.content.execution_state;
        if (state === 'busy') this.#running(msgId, msg, true);
        else if (state === 'idle') this.tasks.markIdle(msgId, msg.header.session);
        return;
      }
      case 'execute_input':
        this.#running(msgId, msg, false);
        return;
      case 'stream': {
        // Past the task's kept head, the content frame is held unparsed (most of a flood is never kept).
        const name = topicStream(msg);
        if (name && this.tasks.holdStream(msgId, name, msg.raw[3])) return;
        this.tasks.addOutput(msgId, streamItem(msg.content));
        return;
      }
      case 'execute_result': {
        const content = msg.content;
        this.tasks.addOutput(msgId, {
          kind: 'execute_result',
          executionCount: typeof content.execution_count === 'number' ? content.execution_count : null,
          data: objectOf(content.data),
        });
        return;
      }
      case 'display_data':
        this.tasks.addOutput(msgId, { kind: 'display_data', data: objectOf(msg.content.data), metadata: objectOf(msg.content.metadata) });
        return;
      case 'error': {
        const err = remoteError(msg.content);
        if (err) this.tasks.addOutput(msgId, { kind: 'error', ...err } satisfies OutputItem);
        return;
      }
      case 'data_message':
        this.tasks.publishData(msgId, decodeDataMessage(msg.content, msg.buffers));
        return;
      default:
        return;
    }
  }

  #running(msgId: string, msg: Message, busy: boolean): void {
    const uuid = msg.header.session;
    this.tasks.markRunning(msgId, this.engines.idOf(uuid) ?? topicEngineId(msg), uuid, busy);
  }

  #keepOrphan(msgId: string, msg: Message): void {
    const list = this.#orphans.get(msgId);
    if (list) {
      if (list.length < 1000) list.push(msg);
      return;
    }
    if (this.#orphans.size >= MAX_ORPHAN_IDS) {
      const oldest = this.#orphans.keys().next().value;
      if (oldest !== undefined) this.#orphans.delete(oldest);
    }
    this.#orphans.set(msgId, [msg]);
  }
}

function objectOf(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The stream an ipyparallel engine's stream topic names (`engine.<N>.stdout`, `engine.<N>.stderr`), if any. */
function topicStream(msg: Message): 'stdout' | 'stderr' | undefined {
  const topic = msg.routing[0];
  if (!topic || topic.length > 64) return undefined;
  const text = topic.toString('ascii');
  return text.endsWith('.stdout') ? 'stdout' : text.endsWith('.stderr') ? 'stderr' : undefined;
}

/** The engine id in an iopub topic `engine.<N>.<kind>`, if any. */
export function topicEngineId(msg: Message): number | undefined {
  const topic = msg.routing[0];
  if (!topic) return undefined;
  const m = /^engine\.(\d+)\./.exec(topic.toString('ascii', 0, Math.min(topic.length, 40)));
  return m ? Number(m[1]) : undefined;
}
