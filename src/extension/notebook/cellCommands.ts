/**
 * What a notebook on the cluster adds around its cells: a status-bar item per code cell naming its
 * targets (click: pick them, stored in the cell metadata), one to fold or unfold its per-engine outputs,
 * and the toolbar's Restart, which is honest: engines cannot be restarted through the client protocol, so
 * after a confirmation it restarts the engines of a cluster this window started (new processes in the same
 * cluster) or clears their namespaces with `%reset -f`, and says which it did.
 */
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { ExecuteRequest, WaitRequest, type Targets } from '../../shared/protocol';
import { pickTargets } from '../commands/run';
import { registerCommand } from '../commands/register';
import type { Ctx } from '../ctx';
import type { LocalCluster } from '../localCluster';
import { CancelledError, UserError } from '../errors';
import { Commands } from '../ids';
import { formatTargets } from '../output/pxFormat';
import { CellMagicError, parseCellMagic, targetsFromMetadata } from './cellMagic';
import { cellMeta, toCellOutput, updateCellMeta } from './cellRun';
import type { ClusterKernels } from './controller';
import { notebookOutputs } from './outputs';

/** The targets a cell will run on, and where that choice comes from. */
function targetsText(ctx: Ctx, cell: vscode.NotebookCell): { text: string; tooltip: string } {
  try {
    const magic = parseCellMagic(cell.document.getText());
    if (magic.targets) return { text: formatTargets(magic.targets), tooltip: vscode.l10n.t("Targets from the cell's %%px --targets line") };
  } catch (e) {
    if (e instanceof CellMagicError) return { text: '%%px: invalid', tooltip: e.message };
  }
  const picked = targetsFromMetadata(cellMeta(cell).targets);
  if (picked) return { text: formatTargets(picked), tooltip: vscode.l10n.t('Targets picked for this cell: click to change') };
  const d = ctx.config.settings.defaultTargets;
  return { text: d === 'pick' ? vscode.l10n.t('ask') : formatTargets(d), tooltip: vscode.l10n.t("The default targets (ipyparallel.defaultTargets): click to pick this cell's") };
}

class CellStatusBar implements vscode.NotebookCellStatusBarItemProvider {
  readonly #changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCellStatusBarItems = this.#changed.event;

  constructor(
    private readonly ctx: Ctx,
    private readonly kernels: ClusterKernels,
  ) {}

  refresh(): void {
    this.#changed.fire();
  }

  provideCellStatusBarItems(cell: vscode.NotebookCell): vscode.NotebookCellStatusBarItem[] {
    if (cell.kind !== vscode.NotebookCellKind.Code || !this.kernels.isSelected(cell.notebook)) return [];
    const { text, tooltip } = targetsText(this.ctx, cell);
    const targets = new vscode.NotebookCellStatusBarItem(`$(server-process) ${text}`, vscode.NotebookCellStatusBarAlignment.Right);
    targets.tooltip = tooltip;
    targets.command = { title: vscode.l10n.t('Pick Targets'), command: Commands.pickCellTargets, arguments: [cell] };
    const items = [targets];
    const outputs = this.kernels.lastOutputs(cell);
    if (outputs && outputs.some((o) => o.engineId !== outputs[0].engineId)) {
      const unfolded = this.kernels.isUnfolded(cell);
      const fold = new vscode.NotebookCellStatusBarItem(unfolded ? vscode.l10n.t('$(fold) Fold outputs') : vscode.l10n.t('$(unfold) Outputs per engine'), vscode.NotebookCellStatusBarAlignment.Right);
      fold.tooltip = unfolded ? vscode.l10n.t('Show identical outputs of several engines once') : vscode.l10n.t("Show every engine's outputs separately");
      fold.command = { title: vscode.l10n.t('Toggle Folding'), command: Commands.toggleCellOutputFolding, arguments: [cell] };
      items.push(fold);
    }
    return items;
  }

  dispose(): void {
    this.#changed.dispose();
  }
}

function activeCell(arg: unknown): vscode.NotebookCell {
  if (arg && typeof arg === 'object' && 'notebook' in arg && 'document' in arg) return arg as vscode.NotebookCell;
  const editor = vscode.window.activeNotebookEditor;
  const cell = editor?.notebook.cellAt(editor.selection.start);
  if (!cell) throw new UserError(vscode.l10n.t('Select a notebook cell first.'));
  return cell;
}

async function pickCellTargets(ctx: Ctx, cell: vscode.NotebookCell, given?: Targets | 'default'): Promise<void> {
  let targets: Targets | 'default' | undefined = given;
  if (targets === undefined) {
    const pick = await vscode.window.showQuickPick(
      [{ label: vscode.l10n.t('Use the default'), description: `ipyparallel.defaultTargets: ${ctx.config.settings.defaultTargets}`, value: 'default' as const }, { label: vscode.l10n.t('Choose…'), value: 'choose' as const }],
      { title: vscode.l10n.t('Targets of cell {0}', cell.index + 1) },
    );
    if (!pick) throw new CancelledError();
    targets = pick.value === 'default' ? 'default' : await pickTargets(ctx);
  }
  await updateCellMeta(cell, { targets: targets === 'default' ? undefined : targets });
}

/** Re-renders a cell's last outputs folded or per engine (an execution is the only way to set outputs). */
async function toggleFolding(kernels: ClusterKernels, cell: vscode.NotebookCell): Promise<void> {
  const items = kernels.lastOutputs(cell);
  if (!items) throw new UserError(vscode.l10n.t('Run the cell again to unfold its outputs: only outputs of this session are kept per engine.'));
  const controller = kernels.controllers.find((c) => c.notebookType === cell.notebook.notebookType);
  if (!controller) return;
  const unfolded = !kernels.isUnfolded(cell);
  kernels.setUnfolded(cell, unfolded);
  const summary = cell.executionSummary;
  const exec = controller.createNotebookCellExecution(cell);
  exec.executionOrder = summary?.executionOrder;
  exec.start(summary?.timing?.startTime ?? Date.now());
  await exec.replaceOutput(notebookOutputs(items, !unfolded).map(toCellOutput));
  exec.end(summary?.success, summary?.timing?.endTime ?? Date.now());
}

/** What the toolbar's Restart does: restart the engines (a cluster this window started) or clear their namespaces. */
export type RestartHow = 'restartEngines' | 'clearNamespaces';

/** The cluster this window started, when it is the one connected: only its engines can really be restarted. */
function ownCluster(ctx: Ctx): LocalCluster | undefined {
  const own = ctx.localCluster;
  const file = ctx.model.connectionFile;
  return own?.running && file && resolve(own.connectionFile) === resolve(file) ? own : undefined;
}

/** Asks how to restart; a cluster started elsewhere can only have its namespaces cleared. */
async function askHow(n: number, own: LocalCluster | undefined): Promise<RestartHow> {
  const restartEngines = vscode.l10n.t('Restart Engines');
  const clear = vscode.l10n.t('Clear Namespaces');
  const detail = vscode.l10n.t('Every variable and import on the engines is lost, for every notebook and editor using this cluster.');
  const answer = own
    ? await vscode.window.showWarningMessage(
        vscode.l10n.t('Restart the {0} engines of {1}, which this window started? New engine processes replace them (their ids change). Or clear their namespaces with %reset -f and keep the processes.', n, own.clusterId),
        { modal: true, detail },
        restartEngines,
        clear,
      )
    : await vscode.window.showWarningMessage(
        vscode.l10n.t('Engines of a cluster this window did not start cannot be restarted through the client protocol. Clear the namespace of all {0} engines with %reset -f instead?', n),
        { modal: true, detail },
        clear,
      );
  if (answer === restartEngines) return 'restartEngines';
  if (answer === clear) return 'clearNamespaces';
  throw new CancelledError();
}

/** Resolves with the ids of `n` engines not in `old` once they have registered (the Engines view shows them). */
function newEngines(ctx: Ctx, old: ReadonlySet<number>, n: number, timeoutMs: number): Promise<number[]> {
  return new Promise((done, fail) => {
    const check = () => {
      const ids = ctx.model.engines.map((e) => e.id).filter((id) => !old.has(id));
      if (ids.length < n) return false;
      finish();
      done(ids);
      return true;
    };
    const sub = ctx.model.onDidChangeEngines(check);
    const timer = setTimeout(() => {
      finish();
      const k = ctx.model.engines.filter((e) => !old.has(e.id)).length;
      fail(new UserError(vscode.l10n.t('The engines were restarted, but only {0} of {1} new engines registered within {2} s: see the Engines view and the cluster log.', k, n, timeoutMs / 1000)));
    }, timeoutMs);
    const finish = () => {
      sub.dispose();
      clearTimeout(timer);
    };
    check();
  });
}

async function restartEngines(ctx: Ctx, own: LocalCluster, n: number): Promise<string> {
  const old = new Set(ctx.model.engines.map((e) => e.id));
  const title = vscode.l10n.t('Restarting the {0} engines of {1}…', n, own.clusterId);
  const ids = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, async () => {
    await own.restartEngines(n);
    return newEngines(ctx, old, n, 90_000);
  });
  return vscode.l10n.t('Restarted the {0} engines of {1}: now {2}, with empty namespaces.', n, own.clusterId, formatTargets(ids));
}

async function clearNamespaces(ctx: Ctx, n: number): Promise<string> {
  const { runId } = await ctx.request(ExecuteRequest, { code: '%reset -f', targets: 'all', silent: true });
  ctx.output.ignoreRun(runId);
  const result = await ctx.request(WaitRequest, { runId });
  if (result.state !== 'done') throw new UserError(vscode.l10n.t('%reset -f ended {0} on some engines: see the Tasks view.', result.state));
  return vscode.l10n.t('Cleared the namespace of all {0} engines with %reset -f (the engines were not restarted).', n);
}

/**
 * Restart, honestly: a cluster this window started can have its engines restarted (new processes in the same
 * cluster); any cluster can have its namespaces cleared with `%reset -f`. Asks first unless `how` is given.
 */
async function restart(ctx: Ctx, kernels: ClusterKernels, how?: RestartHow): Promise<string> {
  ctx.requireTrust(vscode.l10n.t('Running code'));
  ctx.requireConnected();
  const n = ctx.model.engines.length;
  const own = ownCluster(ctx);
  const chosen = how ?? (await askHow(n, own));
  if (chosen === 'restartEngines' && !own) {
    throw new UserError(vscode.l10n.t('Only the engines of a cluster this window started can be restarted: clear their namespaces instead.'));
  }
  const message = chosen === 'restartEngines' ? await restartEngines(ctx, own!, n) : await clearNamespaces(ctx, n);
  kernels.resetOrder();
  ctx.log.info(message);
  void vscode.window.showInformationMessage(message);
  return message;
}

export function registerCellCommands(ctx: Ctx, kernels: ClusterKernels): void {
  const bar = new CellStatusBar(ctx, kernels);
  ctx.extension.subscriptions.push(
    bar,
    vscode.notebooks.registerNotebookCellStatusBarItemProvider('jupyter-notebook', bar),
    vscode.notebooks.registerNotebookCellStatusBarItemProvider('interactive', bar),
    kernels.onDidChangeSelection(() => bar.refresh()),
    vscode.workspace.onDidChangeNotebookDocument(() => bar.refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('ipyparallel.defaultTargets') && bar.refresh()),
  );
  registerCommand(ctx, Commands.pickCellTargets, (cell?: unknown, targets?: Targets | 'default') => pickCellTargets(ctx, activeCell(cell), targets));
  registerCommand(ctx, Commands.toggleCellOutputFolding, async (cell?: unknown) => {
    await toggleFolding(kernels, activeCell(cell));
    bar.refresh();
  });
  registerCommand(ctx, Commands.restartNotebookKernel, (how?: RestartHow) => restart(ctx, kernels, how));
}
