/**
 * Pure helpers for the hub's task database (PROTOCOL.md §4): query rewriting around DictDB's bugs, and
 * mapping hub records to TaskInfo.
 */
import { remoteError } from './tasks';
import type { OutputItem, TaskInfo, TaskState } from './types';

/** The record keys historyTasks asks for (every one exists in 7.1 to 9.1: asking for a missing key fails). */
export const TASK_RECORD_KEYS = [
  'msg_id',
  'header',
  'content',
  'submitted',
  'started',
  'completed',
  'received',
  'engine_uuid',
  'client_uuid',
  'queue',
  'result_content',
  'result_header',
  'execute_input',
  'execute_result',
  'error',
  'stdout',
  'stderr',
  'resubmitted',
] as const;

/** Request types that are tasks (the hub also records complete_request, inspect_request, ...). */
const TASK_TYPES = new Set(['execute_request', 'apply_request']);

const isOperatorObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'));

/**
 * Rewrites a mongo-style query so it means the same on every hub backend despite DictDB's bugs:
 * plain equalities become `$eq` (several plain equalities in one query break DictDB), and `$gt` becomes
 * `$gte`+`$ne` (DictDB's `$gt` behaves like `$lt`).
 */
export function rewriteDbQuery(query: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (!isOperatorObject(value)) {
      out[key] = { $eq: value };
      continue;
    }
    const ops: Record<string, unknown> = { ...value };
    // DictDB's $gt behaves like $lt: x > v is written as x >= v and x != v, which every backend gets right.
    if ('$gt' in ops && !('$gte' in ops) && !('$ne' in ops)) {
      ops.$gte = ops.$gt;
      ops.$ne = ops.$gt;
      delete ops.$gt;
    }
    out[key] = ops;
  }
  return out;
}

type HubRecord = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Outputs from a record's captured io (stdout, stderr, execute_result, error). display_data is not kept. */
export function recordOutputs(record: HubRecord): OutputItem[] {
  // result_request nests them under `io`; db_request returns them as top-level keys.
  const io = record.io !== undefined ? obj(record.io) : record;
  const outputs: OutputItem[] = [];
  const stdout = str(io.stdout);
  if (stdout) outputs.push({ kind: 'stream', name: 'stdout', text: stdout });
  const stderr = str(io.stderr);
  if (stderr) outputs.push({ kind: 'stream', name: 'stderr', text: stderr });
  const result = io.execute_result;
  if (result && typeof result === 'object') {
    const r = obj(result);
    outputs.push({
      kind: 'execute_result',
      executionCount: typeof r.execution_count === 'number' ? r.execution_count : null,
      data: obj(r.data),
    });
  }
  const err = io.error && typeof io.error === 'object' ? remoteError(obj(io.error)) : undefined;
  if (err) outputs.push({ kind: 'error', ...err });
  return outputs;
}

/** A task's state from a hub record: terminal from result_content, else running (started) or pending. */
export function recordState(record: HubRecord): TaskState {
  const rc = obj(record.result_content);
  if (record.completed || rc.status) {
    if (rc.status === 'ok') return 'done';
    if (rc.status === 'aborted') return 'aborted';
    return 'error';
  }
  return record.started ? 'running' : 'pending';
}

/**
 * Maps a hub record (from db_request, or result_request's record plus its msg_id) to a TaskInfo.
 * Returns undefined for records that are not tasks (complete_request and other editor requests).
 */
export function recordToTask(
  record: HubRecord,
  ourSession: string,
  engineIdOf: (uuid: string) => number | undefined,
): TaskInfo | undefined {
  const header = obj(record.header);
  const msgType = str(header.msg_type);
  if (msgType && !TASK_TYPES.has(msgType)) return undefined;
  const msgId = str(record.msg_id) ?? str(header.msg_id);
  if (!msgId) return undefined;
  const content = obj(record.content);
  const state = recordState(record);
  const engineUuid = str(record.engine_uuid);
  const clientSession = str(record.client_uuid) ?? str(header.session);
  const code = str(content.code) ?? str(record.execute_input) ?? (msgType === 'apply_request' ? '<apply_request>' : '');
  const task: TaskInfo = {
    msgId,
    queue: record.queue === 'task' ? 'task' : 'mux',
    state,
    code,
    submitted: str(record.submitted) ?? str(header.date) ?? '',
    outputs: recordOutputs(record),
  };
  if (engineUuid) {
    task.engineUuid = engineUuid;
    task.engineId = engineIdOf(engineUuid);
  }
  const started = str(record.started);
  if (started) task.started = started;
  const completed = str(record.completed) ?? str(obj(record.result_header).date);
  if (completed) task.completed = completed;
  const received = str(record.received);
  if (received) task.received = received;
  const rc = obj(record.result_content);
  if (state === 'error') task.error = remoteError(rc) ?? { ename: 'Error', evalue: 'the task failed', traceback: [] };
  if (typeof rc.execution_count === 'number') task.executionCount = rc.execution_count;
  if (clientSession !== ourSession) task.foreign = true;
  return task;
}
