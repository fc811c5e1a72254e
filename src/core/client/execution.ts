/**
 * Running code and talking to engines: execute (all, chosen, load-balanced), wait, evaluate, complete,
 * abort and interrupt. Functions over a ClientContext so the ClusterClient stays a thin lifecycle class.
 */
import type { Channel } from '../protocol/connectionFile';
import type { JsonObject } from '../protocol/message';
import type { ClientContext } from './context';
import { AbortedError, EngineGoneError, UnknownTaskError } from './errors';
import { FEATURES, requireFeature, unansweredError } from './features';
import { okContent, withDeadline } from './requests';
import { expressionValues } from './tasks';
import { isTerminal } from './types';
import { message } from '../messages';
import type {
  CompletionResult,
  Dependency,
  ExecuteOptions,
  ExpressionValue,
  RequestOptions,
  Run,
  TaskInfo,
} from './types';

const EMPTY = Buffer.from('{}', 'ascii');
/** The metadata of a load-balanced task without constraints (what Python's LoadBalancedView sends). */
const DEFAULT_BALANCED_METADATA = Buffer.from(JSON.stringify({ after: [], follow: [], timeout: null, targets: [], retries: 0 }), 'utf8');

/** Submits code; the Run and its tasks exist (pending) before this returns. */
export function execute(ctx: ClientContext, code: string, options: ExecuteOptions = {}): Run {
  ctx.requireConnected();
  if (options.signal?.aborted) throw new AbortedError(message('executeCancelledEarly'));
  const targets = options.targets ?? 'all';
  const silent = options.silent ?? false;
  const content = {
    code,
    silent,
    store_history: !silent,
    user_expressions: options.userExpressions ?? {},
    allow_stdin: false,
    stop_on_error: options.stopOnError ?? false,
  };
  // Serialize the content once, whatever the number of engines; each message still gets its own header
  // (and so its own msg_id and signature: never send identical signed frames twice).
  const contentBytes = Buffer.from(JSON.stringify(content), 'utf8');
  let sends: { channel: Channel; uuid?: string; engineId?: number; metadata: Buffer }[];
  if (targets === 'balanced') {
    const plain = !options.after && !options.follow && options.timeout === undefined && !options.balancedTargets?.length && !options.retries;
    const metadata = plain
      ? DEFAULT_BALANCED_METADATA
      : Buffer.from(
          JSON.stringify({
            after: dependency(options.after),
            follow: dependency(options.follow),
            timeout: options.timeout ?? null,
            targets: (options.balancedTargets ?? []).map((id) => ctx.engineUuid(id)),
            retries: options.retries ?? 0,
          }),
          'utf8',
        );
    sends = [{ channel: 'task', metadata }];
  } else {
    const ids = targets === 'all' ? ctx.engines.ids() : [...new Set(targets)];
    if (ids.length === 0) throw new EngineGoneError(undefined, message('noEngines'));
    sends = ids.map((id) => ({ channel: 'mux', uuid: ctx.engineUuid(id), engineId: id, metadata: EMPTY }));
  }

  const run: Run = { id: ctx.tasks.newRunId(), code, targets, msgIds: [], created: new Date().toISOString() };
  ctx.tasks.addRun(run);
  for (const s of sends) {
    const header = ctx.session.header('execute_request');
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const frames = ctx.session.frame([headerBytes, EMPTY, s.metadata, contentBytes], s.uuid ? [s.uuid] : []);
    const task: TaskInfo = {
      msgId: header.msg_id,
      runId: run.id,
      queue: s.channel === 'task' ? 'task' : 'mux',
      state: 'pending',
      code,
      submitted: header.date,
      outputs: [],
    };
    if (s.uuid !== undefined) {
      task.engineId = s.engineId;
      task.engineUuid = s.uuid;
    }
    run.msgIds.push(header.msg_id);
    ctx.tasks.add(task);
    ctx.send(s.channel, frames);
  }
  options.signal?.addEventListener(
    'abort',
    () => {
      const active = run.msgIds.filter((id) => {
        const t = ctx.tasks.get(id);
        return t !== undefined && !isTerminal(t.state);
      });
      if (active.length > 0) abort(ctx, active).catch((e: Error) => ctx.logger.debug(`aborting ${run.id}: ${e.message}`));
    },
    { once: true },
  );
  return run;
}

function dependency(dep: Dependency | undefined): unknown {
  return dep ?? [];
}

/** Resolves with the tasks once every one is terminal. No default timeout: tasks may run for hours. */
export async function wait(ctx: ClientContext, idsOrRun: string | string[], options: RequestOptions = {}): Promise<TaskInfo[]> {
  let ids: string[];
  if (typeof idsOrRun === 'string') {
    const run = ctx.tasks.run(idsOrRun);
    if (run) ids = run.msgIds;
    else if (ctx.tasks.get(idsOrRun)) ids = [idsOrRun];
    else throw new UnknownTaskError(message('runNotTracked', idsOrRun));
  } else {
    ids = idsOrRun;
    const unknown = ids.find((id) => !ctx.tasks.get(id));
    if (unknown !== undefined) throw new UnknownTaskError(message('taskNotTracked', unknown));
  }
  let cancel: (() => void) | undefined;
  const done = ctx.tasks.whenTerminal(ids, (c) => (cancel = c));
  await withDeadline(done, options, `waiting for ${ids.length} task(s)`, () => cancel?.());
  return ids.map((id) => ctx.tasks.get(id)).filter((t): t is TaskInfo => t !== undefined);
}

/**
 * Evaluates expressions on engines as text (user_expressions of a silent, empty execute: no output, no
 * execute_input, so it adds no re-creatable record to the hub's store). Busy engines answer after their
 * running cell.
 */
export async function evaluate(
  ctx: ClientContext,
  expressions: Record<string, string>,
  options: RequestOptions & { targets?: number[] } = {},
): Promise<Map<number, Record<string, ExpressionValue>>> {
  ctx.requireConnected();
  const ids = options.targets ?? ctx.engines.ids();
  const content = { code: '', silent: true, store_history: false, user_expressions: expressions, allow_stdin: false, stop_on_error: false };
  const entries = await Promise.all(
    ids.map(async (id): Promise<[number, Record<string, ExpressionValue>]> => {
      const uuid = ctx.engineUuid(id);
      const reply = await ctx.request('mux', 'execute_request', content, {
        routing: [uuid],
        engineUuid: uuid,
        what: `evaluating on engine ${id}`,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
      });
      return [id, expressionValues(reply.content.user_expressions)];
    }),
  );
  return new Map(entries);
}

/** UTF-16 index -> code-point index (the kernel counts code points). */
export function toCodePoints(text: string, utf16: number): number {
  let cp = 0;
  for (let i = 0; i < utf16 && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) i++;
    cp++;
  }
  return cp;
}

/** Code-point index -> UTF-16 index. */
export function toUtf16(text: string, codePoints: number): number {
  let i = 0;
  for (let cp = 0; cp < codePoints && i < text.length; cp++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}

/**
 * Completions from an engine's IPython (complete_request on mux). `cursorPos` and the returned offsets
 * are UTF-16 indexes into `code` (JavaScript string indexes). Default engine: the first idle one.
 * The hub records every complete_request, so callers should not fire one per keystroke.
 */
export async function complete(
  ctx: ClientContext,
  code: string,
  cursorPos: number,
  options: RequestOptions & { engineId?: number } = {},
): Promise<CompletionResult> {
  ctx.requireConnected();
  const id = options.engineId ?? pickEngine(ctx);
  const uuid = ctx.engineUuid(id);
  const reply = await ctx.request(
    'mux',
    'complete_request',
    { code, cursor_pos: toCodePoints(code, cursorPos) },
    { routing: [uuid], engineUuid: uuid, what: `complete_request to engine ${id}`, timeoutMs: options.timeoutMs, signal: options.signal },
  );
  const c = okContent(reply);
  const result: CompletionResult = {
    matches: Array.isArray(c.matches) ? c.matches.map(String) : [],
    cursorStart: toUtf16(code, Number(c.cursor_start ?? cursorPos)),
    cursorEnd: toUtf16(code, Number(c.cursor_end ?? cursorPos)),
  };
  const meta = (c.metadata ?? {}) as JsonObject;
  const types = meta._jupyter_types_experimental;
  if (Array.isArray(types)) {
    result.types = types.map((t: JsonObject) => {
      const item: { text: string; type: string; signature?: string } = { text: String(t.text ?? ''), type: String(t.type ?? '') };
      if (typeof t.signature === 'string' && t.signature !== '') item.signature = t.signature;
      return item;
    });
  }
  return result;
}

function pickEngine(ctx: ClientContext): number {
  const engines = ctx.engines.list();
  if (engines.length === 0) throw new EngineGoneError(undefined, message('noEngines'));
  return (engines.find((e) => e.status === 'idle') ?? engines[0]).id;
}

/**
 * Aborts queued requests (control abort_request; `[]` = everything queued). Goes to the engines of the
 * listed tasks, or to every engine when a task's engine is not known (load-balanced, unassigned).
 * Resolves when idle engines have answered; an engine running a cell (7.x/8.x) answers only after it,
 * so busy engines are not waited for (the abort still applies before their next request).
 */
export async function abort(
  ctx: ClientContext,
  msgIds: string[] = [],
  options: RequestOptions & { engineIds?: number[] } = {},
): Promise<void> {
  ctx.requireConnected();
  let engineIds = options.engineIds;
  if (!engineIds) {
    const known = msgIds.map((id) => ctx.tasks.get(id)?.engineId);
    engineIds = msgIds.length > 0 && known.every((e) => e !== undefined) ? [...new Set(known as number[])] : ctx.engines.ids();
  }
  await Promise.all(
    engineIds.map((id) => {
      const uuid = ctx.engineUuid(id);
      const busy = ctx.engines.byUuid(uuid)?.status === 'busy';
      const reply = ctx.request('control', 'abort_request', { msg_ids: msgIds }, {
        routing: [uuid],
        engineUuid: uuid,
        what: `abort_request to engine ${id}`,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
      });
      if (busy) {
        reply.catch((e: Error) => ctx.logger.debug(`abort_request to busy engine ${id}: ${e.message}`));
        return undefined;
      }
      return reply;
    }),
  );
}

/**
 * Interrupts running cells: the nanny's signal_request {sig: "SIGINT"} (answered at once, with the
 * literal reply type "_request"). Default engines: those running this client's tasks. An engine without
 * a nanny (ipyparallel < 7.0, or enable_nanny off) never answers: refused at once when the cluster's
 * version is known to be older, and the timeout says so otherwise (features.ts).
 */
export async function interrupt(ctx: ClientContext, engineIds?: number[], options: RequestOptions = {}): Promise<void> {
  ctx.requireConnected();
  requireFeature(FEATURES.interrupt, ctx.version());
  const ids = engineIds ?? [...new Set(ctx.tasks.active((t) => t.state === 'running' && t.engineId !== undefined).map((t) => t.engineId as number))];
  const timeoutMs = options.timeoutMs ?? ctx.requestTimeoutMs;
  await Promise.all(
    ids.map(async (id) => {
      const uuid = ctx.engineUuid(id);
      const what = `signal_request (SIGINT) to engine ${id}`;
      const reply = await ctx.request('control', 'signal_request', { sig: 'SIGINT' }, {
        routing: [uuid],
        engineUuid: uuid,
        what,
        timeoutMs,
        signal: options.signal,
        onTimeout: () => unansweredError(FEATURES.interrupt, ctx.version(), what, timeoutMs),
      });
      okContent(reply);
    }),
  );
}
