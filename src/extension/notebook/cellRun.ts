/**
 * One notebook cell on the cluster: `%%px` parsed, ipp/execute with the cell's URI and line (so the
 * server's remote-error diagnostics land on the cell), outputs streamed into the cell as ipp/output
 * items arrive, then ipp/wait's complete outputs, success and duration; the tasks' msg_ids go to the
 * cell metadata (`metadata.ipyparallel.lastRun`), since nbformat keeps no metadata on streams and errors.
 */
import * as vscode from 'vscode';
import { ErrorCodes, ExecuteRequest, WaitRequest, type OutputParamsItem, type Targets, type TaskState, type WaitResult } from '../../shared/protocol';
import { resolveTargets } from '../commands/run';
import type { Ctx } from '../ctx';
import { describeError, isResponseError } from '../errors';
import { flattenOutputs } from '../output/outputChannel';
import { formatTargets } from '../output/pxFormat';
import { CellMagicError, parseCellMagic, targetsFromMetadata } from './cellMagic';
import { MIME, notebookOutputs, type NbOutput, type TaskOutput } from './outputs';

/** What we keep in a cell's nbformat metadata, under `ipyparallel`. */
export interface CellMeta {
  /** Targets picked with the cell's status-bar item. */
  targets?: unknown;
  /** Where the code came from when it is not the cell (the Interactive Window: a .py file). */
  origin?: { uri: string; line: number };
  lastRun?: { runId: string; msgIds: Record<string, string> };
}

export function cellMeta(cell: vscode.NotebookCell): CellMeta {
  const m = (cell.metadata?.metadata as { ipyparallel?: unknown } | undefined)?.ipyparallel;
  return typeof m === 'object' && m !== null ? (m as CellMeta) : {};
}

/** Writes `ipyparallel` fields into the cell's nbformat metadata, keeping everything else. */
export async function updateCellMeta(cell: vscode.NotebookCell, patch: Partial<CellMeta>): Promise<void> {
  if (cell.index < 0) return;
  const nb = (cell.metadata?.metadata ?? {}) as Record<string, unknown>;
  const metadata = { ...cell.metadata, metadata: { ...nb, ipyparallel: { ...cellMeta(cell), ...patch } } };
  const edit = new vscode.WorkspaceEdit();
  edit.set(cell.notebook.uri, [vscode.NotebookEdit.updateCellMetadata(cell.index, metadata)]);
  await vscode.workspace.applyEdit(edit);
}

export function toCellOutput(o: NbOutput): vscode.NotebookCellOutput {
  const items = o.items.map((i) =>
    'text' in i ? vscode.NotebookCellOutputItem.text(i.text, i.mime)
    : 'base64' in i ? new vscode.NotebookCellOutputItem(Buffer.from(i.base64, 'base64'), i.mime)
    : vscode.NotebookCellOutputItem.json(i.json, i.mime),
  );
  return new vscode.NotebookCellOutput(items, o.metadata as unknown as Record<string, unknown>);
}

/** A one-line note in a cell (not from the engines): an stderr stream. */
export function noteOutput(text: string): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(`${text}\n`, MIME.stderr)], { outputType: 'stream' });
}

/** The targets of a cell: its `%%px --targets`, else those picked in its status bar, else the default. */
export async function targetsOfCell(ctx: Ctx, cell: vscode.NotebookCell, magicTargets: Targets | undefined): Promise<Targets> {
  return magicTargets ?? targetsFromMetadata(cellMeta(cell).targets) ?? (await resolveTargets(ctx, ctx.config.settings.defaultTargets));
}

/** The live outputs of a running cell: every batch re-renders the folded view, in order. */
class LiveOutputs {
  items: TaskOutput[] = [];
  #chain: Thenable<void> = Promise.resolve();

  constructor(
    private readonly exec: vscode.NotebookCellExecution,
    private readonly fold: boolean,
  ) {}

  add(batch: readonly OutputParamsItem[]): void {
    for (const i of batch) this.items.push({ engineId: i.engineId, msgId: i.msgId, output: i.output });
    this.render();
  }

  /**
   * With `fresh`, the outputs are cleared first: when a replacement has as many outputs as before,
   * VS Code replaces them output by output and the extension host's copy of the notebook (the one
   * that is saved) keeps the old output metadata, so engines that joined a folded output would be lost.
   */
  render(fresh = false): Thenable<void> {
    const outputs = notebookOutputs(this.items, this.fold).map(toCellOutput);
    this.#chain = this.#chain
      .then(() => (fresh ? this.exec.clearOutput() : undefined))
      .then(() => this.exec.replaceOutput(outputs))
      .then(undefined, () => undefined);
    return this.#chain;
  }
}

/** Waits for a run in slices shorter than the request deadline, until it ends or the token cancels. */
async function waitForRun(ctx: Ctx, runId: string, token: vscode.CancellationToken): Promise<WaitResult> {
  const slice = Math.max(1000, Math.min(20_000, (ctx.config.settings.requestTimeout * 1000) / 2));
  for (;;) {
    try {
      return await ctx.request(WaitRequest, { runId, timeoutMs: slice }, token);
    } catch (e) {
      if (!(isResponseError(e) && e.code === ErrorCodes.Timeout) || token.isCancellationRequested) throw e;
    }
  }
}

export interface CellRunHooks {
  /** The run was submitted (the interrupt button needs its id). */
  submitted(runId: string): void;
  /** The task outputs of the cell, as run last (for unfolding them later). */
  finished(cell: vscode.NotebookCell, items: TaskOutput[]): void;
  fold(cell: vscode.NotebookCell): boolean;
}

/** Runs one cell's execution to its end; returns the run's state ('error' for failures before it ran). */
export async function runCell(ctx: Ctx, exec: vscode.NotebookCellExecution, hooks: CellRunHooks): Promise<TaskState> {
  const cell = exec.cell;
  exec.start(Date.now());
  await exec.clearOutput();
  try {
    ctx.requireTrust(vscode.l10n.t('Running code'));
    ctx.requireConnected();
    const magic = parseCellMagic(cell.document.getText());
    if (!magic.code.trim()) {
      exec.end(true, Date.now());
      return 'done';
    }
    const targets = await targetsOfCell(ctx, cell, magic.targets);
    const origin = cellMeta(cell).origin;
    const uri = origin?.uri ?? cell.document.uri.toString();
    const line = (origin?.line ?? 0) + magic.lineOffset;
    const { runId, msgIds } = await ctx.request(ExecuteRequest, { code: magic.code, targets, uri, line });
    ctx.log.info(`notebook cell ${cell.index + 1}: run ${runId} on ${formatTargets(targets)} (${msgIds.length} tasks)`);
    if (!magic.block) {
      await exec.replaceOutput(noteOutput(`%%px --noblock: submitted as run ${runId} on ${formatTargets(targets)}; its output goes to the "IPython Parallel" output channel.`));
      exec.end(true, Date.now());
      return 'done';
    }
    return await followRun(ctx, exec, runId, hooks);
  } catch (e) {
    const message = e instanceof CellMagicError ? e.message : describeError(e);
    await exec.replaceOutput(noteOutput(message));
    exec.end(false, Date.now());
    return 'error';
  }
}

async function followRun(ctx: Ctx, exec: vscode.NotebookCellExecution, runId: string, hooks: CellRunHooks): Promise<TaskState> {
  const cell = exec.cell;
  ctx.output.ignoreRun(runId);
  const live = new LiveOutputs(exec, hooks.fold(cell));
  ctx.outputRouter.claim(runId, (items) => live.add(items));
  hooks.submitted(runId);
  let result: WaitResult;
  try {
    result = await waitForRun(ctx, runId, exec.token);
  } finally {
    ctx.outputRouter.release(runId);
  }
  live.items = flattenOutputs(result.engines);
  await live.render(true);
  hooks.finished(cell, live.items);
  // Before end(): on the execution's end the ipynb extension writes the cell's metadata (execution_count)
  // from what the cell holds then; an edit of ours racing with it was lost in Run All.
  const msgIds = Object.fromEntries(result.engines.map((e) => [String(e.engineId ?? '?'), e.msgId]));
  await updateCellMeta(cell, { lastRun: { runId, msgIds } }).then(undefined, (e) => ctx.log.warn(`cell metadata not written: ${describeError(e)}`));
  exec.end(result.state === 'done', Date.now());
  return result.state;
}
