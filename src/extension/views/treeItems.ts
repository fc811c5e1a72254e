/**
 * Pure mapping from model data to tree item descriptors (no `vscode` here, so it is unit tested in
 * plain Node). toTreeItem.ts turns a descriptor into a vscode.TreeItem; the tree providers only
 * choose which descriptor to show.
 */
import { Commands, TreeItemContexts } from '../ids';
import { dataLines, progressBar } from './taskDataText';
import { l10n } from '../l10n';
import type { EngineInfo, RunSummary, TaskState, TaskSummary } from '../../shared/protocol';
import { formatDuration, formatTargets } from '../output/pxFormat';

export interface IconDescriptor {
  /** A codicon id, e.g. `sync~spin`. */
  id: string;
  /** A theme color id, e.g. `testing.iconPassed`. */
  color?: string;
}

export interface ItemDescriptor {
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  icon?: IconDescriptor;
  contextValue: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
  command?: { command: string; title: string; arguments?: unknown[] };
}

const STATE_ICONS: Record<TaskState, IconDescriptor> = {
  pending: { id: 'clock' },
  running: { id: 'sync~spin' },
  done: { id: 'pass', color: 'testing.iconPassed' },
  error: { id: 'error', color: 'testing.iconFailed' },
  aborted: { id: 'circle-slash', color: 'testing.iconSkipped' },
  lost: { id: 'debug-disconnect', color: 'testing.iconErrored' },
};

export function stateIcon(state: TaskState): IconDescriptor {
  return STATE_ICONS[state];
}

export function shortUuid(uuid: string): string {
  return uuid.slice(0, 8);
}

export function engineItem(e: EngineInfo): ItemDescriptor {
  const icon: IconDescriptor =
    e.status === 'busy'
      ? { id: 'sync~spin', color: 'charts.yellow' }
      : e.status === 'idle'
        ? { id: 'circle-filled', color: 'charts.green' }
        : e.status === 'starting'
          ? { id: 'clock' }
          : { id: 'question' };
  const queued = e.queue + e.tasks;
  return {
    id: `engine:${e.id}`,
    label: l10n.t('engine {0}', e.id),
    description: [e.status, l10n.t('queue {0}', queued), l10n.t('{0} done', e.completed), shortUuid(e.uuid)].join(' · '),
    tooltip: [
      l10n.t('Engine {0}: {1}', e.id, e.status),
      `uuid ${e.uuid}`,
      l10n.t('queued: {0} direct, {1} load-balanced', e.queue, e.tasks),
      l10n.t('completed: {0}', e.completed),
    ].join('\n'),
    icon,
    contextValue: TreeItemContexts.engine,
    collapsible: 'none',
  };
}

const terminal = (s: TaskState) => s !== 'pending' && s !== 'running';

/** ms a task took (completed - started, else - submitted), or has been running (now - started). */
export function taskDuration(t: Pick<TaskSummary, 'state' | 'submitted' | 'started' | 'completed'>, now: number): number | undefined {
  const start = Date.parse(t.started ?? t.submitted);
  if (Number.isNaN(start)) return undefined;
  const end = t.completed ? Date.parse(t.completed) : terminal(t.state) ? NaN : now;
  if (Number.isNaN(end)) return undefined;
  return Math.max(0, end - start);
}

/** ms a run took, or has been running (from its `created` to now). */
export function runElapsed(r: Pick<RunSummary, 'state' | 'created' | 'elapsedMs'>, now: number): number {
  if (terminal(r.state)) return r.elapsedMs;
  const created = Date.parse(r.created);
  return Number.isNaN(created) ? r.elapsedMs : Math.max(r.elapsedMs, now - created);
}

export function runItem(r: RunSummary, now: number): ItemDescriptor {
  const running = !terminal(r.state);
  const elapsed = formatDuration(runElapsed(r, now));
  return {
    id: `run:${r.runId}`,
    label: r.title || l10n.t('(empty)'),
    description: [formatTargets(r.targets), l10n.t('{0}/{1} done', r.done, r.total), elapsed].filter(Boolean).join(' · '),
    tooltip: [l10n.t('{0}: {1}, {2}/{3} tasks done', r.state, formatTargets(r.targets), r.done, r.total), '', r.code].join('\n'),
    icon: stateIcon(r.state),
    contextValue: running ? TreeItemContexts.runRunning : TreeItemContexts.runFinished,
    collapsible: 'collapsed',
    command: { command: Commands.showTaskOutput, title: l10n.t('Show Output'), arguments: [{ kind: 'run', runId: r.runId }] },
  };
}

function taskDescription(t: TaskSummary, now: number): string {
  const took = taskDuration(t, now);
  const progress = t.progress !== undefined ? progressBar(t.progress) : '';
  return [progress, t.state, took !== undefined ? formatDuration(took) : '', t.error ? t.error.ename : '', t.reason ?? '']
    .filter(Boolean)
    .join(' · ');
}

function taskTooltip(t: TaskSummary): string {
  const lines = [`msg_id ${t.msgId}`, t.queue === 'task' ? l10n.t('load-balanced, {0}', t.state) : l10n.t('direct, {0}', t.state), l10n.t('submitted {0}', t.submitted)];
  if (t.started) lines.push(l10n.t('started {0}', t.started));
  if (t.completed) lines.push(l10n.t('completed {0}', t.completed));
  if (t.error) lines.push('', `${t.error.ename}: ${t.error.evalue}`);
  if (t.reason) lines.push('', t.reason);
  if (t.resubmittedAs) lines.push(l10n.t('resubmitted as {0}', t.resubmittedAs));
  if (t.resubmittedFrom) lines.push(l10n.t('resubmitted from {0}', t.resubmittedFrom));
  const data = dataLines(t);
  if (t.progress !== undefined || data.length) lines.push('', l10n.t('published data:'), ...(t.progress !== undefined ? [l10n.t('progress {0}', progressBar(t.progress))] : []), ...data);
  return lines.join('\n');
}

export function engineLabel(engineId: number | undefined): string {
  return engineId === undefined ? l10n.t('unassigned') : l10n.t('engine {0}', engineId);
}

export function taskItem(t: TaskSummary, runId: string, now: number): ItemDescriptor {
  return {
    id: `task:${t.msgId}`,
    label: engineLabel(t.engineId),
    description: taskDescription(t, now),
    tooltip: taskTooltip(t),
    icon: stateIcon(t.state),
    contextValue: terminal(t.state) ? TreeItemContexts.taskFinished : TreeItemContexts.taskRunning,
    collapsible: 'none',
    command: { command: Commands.showTaskOutput, title: l10n.t('Show Output'), arguments: [{ kind: 'task', runId, msgId: t.msgId }] },
  };
}

export function historyItem(loaded: number | undefined): ItemDescriptor {
  return {
    id: 'history',
    label: l10n.t('History'),
    description: loaded === undefined ? l10n.t('tasks recorded by the hub') : l10n.t('{0} tasks from the hub', loaded),
    tooltip: l10n.t('Tasks the hub has recorded, including those of other clients. Expand to load.'),
    icon: { id: 'history' },
    contextValue: TreeItemContexts.history,
    collapsible: 'collapsed',
  };
}

export function historyTaskItem(t: TaskSummary, now: number): ItemDescriptor {
  const who = t.foreign ? l10n.t('other client') : '';
  return {
    id: `history:${t.msgId}`,
    label: `${engineLabel(t.engineId)} · ${t.msgId.slice(0, 8)}`,
    description: [taskDescription(t, now), who, t.submitted.slice(11, 19)].filter(Boolean).join(' · '),
    tooltip: taskTooltip(t),
    icon: stateIcon(t.state),
    contextValue: TreeItemContexts.historyTask,
    collapsible: 'none',
  };
}

export function messageItem(id: string, text: string, icon?: string): ItemDescriptor {
  return { id: `message:${id}`, label: text, contextValue: TreeItemContexts.message, collapsible: 'none', ...(icon ? { icon: { id: icon } } : {}) };
}
