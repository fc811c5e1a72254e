import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineInfo, RunSummary, TaskSummary } from '../../src/shared/protocol';
import { Commands, TreeItemContexts } from '../../src/extension/ids';
import { NodeCache, selectedNodes, taskSelection, type RunNode, type TaskNode } from '../../src/extension/views/nodes';
import { engineItem, historyItem, historyTaskItem, runElapsed, runItem, stateIcon, taskDuration, taskItem } from '../../src/extension/views/treeItems';

const engine = (over: Partial<EngineInfo> = {}): EngineInfo => ({
  id: 2,
  uuid: '5c9d1f3a-0c1e-4b7b-9c4e-1f2a3b4c5d6e',
  status: 'idle',
  queue: 1,
  completed: 12,
  tasks: 2,
  ...over,
});

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();

const task = (over: Partial<TaskSummary> = {}): TaskSummary => ({
  msgId: 'aaaaaaaa-1111-2222-3333-444444444444',
  runId: 'r1',
  queue: 'mux',
  engineId: 0,
  state: 'done',
  submitted: iso(0),
  started: iso(10),
  completed: iso(130),
  outputCount: 1,
  ...over,
});

const run = (over: Partial<RunSummary> = {}): RunSummary => ({
  runId: 'r1',
  title: 'import os',
  code: 'import os\nprint(os.getpid())',
  targets: 'all',
  created: iso(0),
  done: 3,
  total: 4,
  state: 'running',
  elapsedMs: 500,
  tasks: [task(), task({ msgId: 'b', engineId: 1, state: 'running', completed: undefined })],
  ...over,
});

describe('tree items: Engines view', () => {
  it('shows id, short uuid, status, queue depth and completed', () => {
    const d = engineItem(engine());
    assert.equal(d.id, 'engine:2');
    assert.equal(d.label, 'engine 2');
    assert.equal(d.description, 'idle · queue 3 · 12 done · 5c9d1f3a');
    assert.equal(d.contextValue, TreeItemContexts.engine);
    assert.equal(d.collapsible, 'none');
    assert.match(d.tooltip!, /uuid 5c9d1f3a-0c1e-4b7b-9c4e-1f2a3b4c5d6e/);
  });

  it('uses a spinning icon while busy and a green dot while idle', () => {
    assert.deepEqual(engineItem(engine({ status: 'busy' })).icon, { id: 'sync~spin', color: 'charts.yellow' });
    assert.deepEqual(engineItem(engine()).icon, { id: 'circle-filled', color: 'charts.green' });
    assert.equal(engineItem(engine({ status: 'unknown' })).icon?.id, 'question');
  });
});

describe('tree items: Tasks view', () => {
  it('a run row shows first line, target, progress and elapsed, and opens its output on click', () => {
    const d = runItem(run(), T0 + 2400);
    assert.equal(d.id, 'run:r1');
    assert.equal(d.label, 'import os');
    assert.equal(d.description, 'all engines · 3/4 done · 2.4 s');
    assert.equal(d.contextValue, TreeItemContexts.runRunning);
    assert.equal(d.collapsible, 'collapsed');
    assert.equal(d.icon?.id, 'sync~spin');
    assert.equal(d.command?.command, Commands.showTaskOutput);
    assert.deepEqual(d.command?.arguments, [{ kind: 'run', runId: 'r1' }]);
  });

  it('a finished run keeps its own elapsed time and a terminal context value', () => {
    const d = runItem(run({ state: 'error', done: 4, elapsedMs: 900, targets: [0, 1] }), T0 + 99999);
    assert.equal(d.description, 'engines 0,1 · 4/4 done · 900 ms');
    assert.equal(d.contextValue, TreeItemContexts.runFinished);
    assert.deepEqual(d.icon, { id: 'error', color: 'testing.iconFailed' });
  });

  it('a task row shows engine, state icon and duration', () => {
    const d = taskItem(task(), 'r1', T0 + 5000);
    assert.equal(d.label, 'engine 0');
    assert.equal(d.description, 'done · 120 ms');
    assert.equal(d.contextValue, TreeItemContexts.taskFinished);
    assert.deepEqual(d.icon, stateIcon('done'));
    assert.deepEqual(d.command?.arguments, [{ kind: 'task', runId: 'r1', msgId: task().msgId }]);
  });

  it('a running or unassigned task row', () => {
    const d = taskItem(task({ engineId: undefined, state: 'pending', started: undefined, completed: undefined, queue: 'task' }), 'r1', T0 + 1500);
    assert.equal(d.label, 'unassigned');
    assert.equal(d.description, 'pending · 1.5 s');
    assert.equal(d.contextValue, TreeItemContexts.taskRunning);
  });

  it('a failed task shows the exception name and the reason', () => {
    const d = taskItem(
      task({ state: 'error', error: { ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: [] } }),
      'r1',
      T0,
    );
    assert.equal(d.description, 'error · 120 ms · ZeroDivisionError');
    assert.match(d.tooltip!, /ZeroDivisionError: division by zero/);
    assert.equal(taskItem(task({ state: 'lost', reason: 'engine 1 unregistered', completed: undefined }), 'r1', T0).description, 'lost · engine 1 unregistered');
  });

  it('every task state has an icon', () => {
    for (const s of ['pending', 'running', 'done', 'error', 'aborted', 'lost'] as const) assert.ok(stateIcon(s).id);
  });

  it('the History node and its rows (other clients marked)', () => {
    assert.equal(historyItem(undefined).collapsible, 'collapsed');
    assert.equal(historyItem(7).description, '7 tasks from the hub');
    const d = historyTaskItem(task({ foreign: true, runId: undefined }), T0);
    assert.equal(d.label, 'engine 0 · aaaaaaaa');
    assert.match(d.description!, /other client/);
    assert.equal(d.contextValue, TreeItemContexts.historyTask);
  });

  it('durations: finished, running, and unknown', () => {
    assert.equal(taskDuration(task(), T0), 120);
    assert.equal(taskDuration(task({ state: 'running', completed: undefined }), T0 + 1010), 1000);
    assert.equal(taskDuration(task({ state: 'aborted', completed: undefined }), T0), undefined);
    assert.equal(runElapsed(run({ state: 'done', elapsedMs: 42 }), T0 + 1e6), 42);
    assert.equal(runElapsed(run({ elapsedMs: 0 }), T0 + 750), 750);
  });
});

describe('tree nodes', () => {
  it('NodeCache gives the same object for the same key until forgotten', () => {
    const c = new NodeCache<string, RunNode>((runId) => ({ kind: 'run', runId }));
    const a = c.get('a');
    assert.equal(c.get('a'), a);
    c.retain(['b']);
    assert.equal(c.peek('a'), undefined);
    assert.notEqual(c.get('a'), a);
  });

  it('selectedNodes prefers the multi-selection VS Code passes', () => {
    const a: RunNode = { kind: 'run', runId: 'a' };
    const b: RunNode = { kind: 'run', runId: 'b' };
    assert.deepEqual(selectedNodes(a, [a, b]), [a, b]);
    assert.deepEqual(selectedNodes(a, undefined), [a]);
    assert.deepEqual(selectedNodes(undefined, undefined), []);
  });

  it('taskSelection: a run alone by runId, anything else by msg_ids', () => {
    const ids = (runId: string) => (runId === 'r1' ? ['m1', 'm2'] : ['m3']);
    const r1: RunNode = { kind: 'run', runId: 'r1' };
    const t3: TaskNode = { kind: 'task', runId: 'r2', msgId: 'm3' };
    assert.deepEqual(taskSelection([r1], ids), { runId: 'r1' });
    assert.deepEqual(taskSelection([r1, t3], ids), { msgIds: ['m1', 'm2', 'm3'] });
    assert.deepEqual(taskSelection([t3, { kind: 'historyTask', msgId: 'h' }], ids), { msgIds: ['m3', 'h'] });
    assert.equal(taskSelection([{ kind: 'history' }], ids), undefined);
  });
});
