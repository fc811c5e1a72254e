/** Abort, interrupt, resubmit, purge and inspect tasks: all of ours, or those selected in the Tasks view. */
import * as vscode from 'vscode';
import {
  AbortRequest,
  InterruptRequest,
  OutputRequest,
  PurgeRequest,
  ResubmitRequest,
  TasksRequest,
  type TaskSelection,
} from '../../shared/protocol';
import type { Ctx } from '../ctx';
import { CancelledError, UserError } from '../errors';
import { Commands } from '../ids';
import { msgIdsOf } from '../output/runInfo';
import { selectedNodes, taskSelection, type TasksTreeNode } from '../views/nodes';
import { registerCommand } from './register';

function selectionOf(ctx: Ctx, node: TasksTreeNode | undefined, nodes: TasksTreeNode[] | undefined): TaskSelection {
  const sel = taskSelection(selectedNodes(node, nodes), (runId) => msgIdsOf(ctx.model.run(runId)));
  if (!sel) throw new UserError(vscode.l10n.t('Select a run or a task in the Tasks view first.'));
  return sel;
}

/**
 * In an untrusted workspace a purge (which deletes results on the hub, for everyone) runs only after the
 * user confirms it: nothing that changes the cluster happens there without a person asking.
 */
export async function confirmPurgeIfUntrusted(what: string): Promise<void> {
  if (vscode.workspace.isTrusted) return;
  const purge = 'Purge';
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Purge {0} from the hub? This workspace is not trusted, so IPython Parallel asks first.', what),
    { modal: true, detail: vscode.l10n.t('Purged results are deleted on the hub and cannot be fetched again.') },
    purge,
  );
  if (choice !== purge) throw new CancelledError();
}

/**
 * Abort as a user means it: queued tasks never start (abort_request) and running ones stop. 7.x/8.x
 * engines handle abort_request only between cells, so the server also interrupts the running tasks of
 * the selection (ipp/abort's interruptRunning), which ends them with KeyboardInterrupt.
 */
async function abortAndInterrupt(ctx: Ctx, sel: TaskSelection): Promise<{ aborted: string[]; interrupted: number[] }> {
  const { aborted, interrupted } = await ctx.request(AbortRequest, { ...sel, interruptRunning: true });
  return { aborted, interrupted: interrupted ?? [] };
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

export function registerTaskCommands(ctx: Ctx): void {
  registerCommand(ctx, Commands.abortAll, async () => {
    const r = await abortAndInterrupt(ctx, {});
    vscode.window.setStatusBarMessage(vscode.l10n.t('IPython Parallel: aborted {0}', count(r.aborted.length, 'task')), 4000);
    return r;
  });
  registerCommand(ctx, Commands.interruptAll, async () => {
    const r = await ctx.request(InterruptRequest, {});
    vscode.window.setStatusBarMessage(vscode.l10n.t('IPython Parallel: interrupted {0}', count(r.engineIds.length, 'engine')), 4000);
    return r;
  });
  registerCommand(ctx, Commands.purgeResults, async () => {
    await confirmPurgeIfUntrusted(vscode.l10n.t('every finished result'));
    const finished = ctx.keptRuns.finishedMsgIds();
    const r = await ctx.request(PurgeRequest, { all: true });
    await ctx.keptRuns.forget(finished);
    ctx.tasksTree.reloadHistory();
    vscode.window.setStatusBarMessage(vscode.l10n.t('IPython Parallel: purged {0}', count(r.purged, 'result')), 4000);
    return r;
  });
  registerCommand(ctx, Commands.refreshTasks, async () => {
    const runs = await ctx.request(TasksRequest, {});
    ctx.output.ignoreFinished(runs);
    ctx.model.setRuns(runs);
    ctx.tasksTree.reloadHistory();
    return runs.length;
  });
  registerCommand(ctx, Commands.showTaskOutput, async (node?: TasksTreeNode) => {
    if (node?.kind !== 'run' && node?.kind !== 'task') throw new UserError(vscode.l10n.t('Select a run or a task in the Tasks view first.'));
    const result = await ctx.request(OutputRequest, { runId: node.runId });
    const run = ctx.model.run(node.runId);
    if (node.kind === 'run') ctx.output.showRun(run, result);
    else ctx.output.showRun(run, { ...result, engines: result.engines.filter((e) => e.msgId === node.msgId) });
    return result;
  });
  registerCommand(ctx, Commands.abortTask, (node?: TasksTreeNode, nodes?: TasksTreeNode[]) =>
    abortAndInterrupt(ctx, selectionOf(ctx, node, nodes)),
  );
  registerCommand(ctx, Commands.interruptTask, (node?: TasksTreeNode, nodes?: TasksTreeNode[]) =>
    ctx.request(InterruptRequest, selectionOf(ctx, node, nodes)),
  );
  registerCommand(ctx, Commands.resubmitTask, async (node?: TasksTreeNode, nodes?: TasksTreeNode[]) => {
    ctx.requireTrust(vscode.l10n.t('Resubmitting tasks'));
    const r = await ctx.request(ResubmitRequest, selectionOf(ctx, node, nodes));
    if (selectedNodes(node, nodes).some((n) => n.kind === 'historyTask')) ctx.tasksTree.reloadHistory();
    return r;
  });
  registerCommand(ctx, Commands.copyMsgId, async (node?: TasksTreeNode, nodes?: TasksTreeNode[]) => {
    const sel = selectionOf(ctx, node, nodes);
    const ids = sel.msgIds ?? msgIdsOf(ctx.model.run(sel.runId!));
    await vscode.env.clipboard.writeText(ids.join('\n'));
    vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', count(ids.length, 'msg_id')), 3000);
    return ids;
  });
  registerCommand(ctx, Commands.purgeTask, async (node?: TasksTreeNode, nodes?: TasksTreeNode[]) => {
    const sel = selectionOf(ctx, node, nodes);
    await confirmPurgeIfUntrusted(vscode.l10n.t('the selected results'));
    const finished = ctx.keptRuns.finishedMsgIds(sel.runId !== undefined ? [sel.runId] : []);
    const r = await ctx.request(PurgeRequest, sel);
    await ctx.keptRuns.forget(finished);
    return r;
  });
  registerCommand(ctx, Commands.loadHistory, async () => {
    ctx.tasksTree.reloadHistory();
    if (ctx.tasksView.visible) await ctx.tasksView.reveal(ctx.tasksTree.historyNode, { expand: true, select: false, focus: false });
  });
}
