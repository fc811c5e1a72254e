/** Small pure facts about runs, shared by the output channel, progress and commands. */
import type { RunSummary, TaskState } from '../../shared/protocol';
import type { StreamRunInfo } from './pxStream';

export function stateCounts(r: Pick<RunSummary, 'tasks'>): Record<TaskState, number> {
  const c: Record<TaskState, number> = { pending: 0, running: 0, done: 0, error: 0, aborted: 0, lost: 0 };
  for (const t of r.tasks) c[t.state]++;
  return c;
}

/** `3/4 done`, `3/4 done, 1 failed`. */
export function progressText(r: Pick<RunSummary, 'tasks' | 'done' | 'total'>): string {
  const c = stateCounts(r);
  const failed = c.error + c.aborted + c.lost;
  return `${r.done}/${r.total} done${failed ? `, ${failed} failed` : ''}`;
}

/** The msg_ids of a run's tasks. */
export function msgIdsOf(r: Pick<RunSummary, 'tasks'> | undefined): string[] {
  return r ? r.tasks.map((t) => t.msgId) : [];
}

/** What the streaming surfaces (output channel, Results view) need of a run's summary. */
export function streamInfo(r: RunSummary): StreamRunInfo {
  const counts = stateCounts(r);
  return {
    runId: r.runId,
    title: r.title,
    targets: r.targets,
    created: r.created,
    state: r.state,
    done: r.done,
    total: r.total,
    elapsedMs: r.elapsedMs,
    failed: counts.error + counts.aborted + counts.lost,
  };
}
