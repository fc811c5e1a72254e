/**
 * The cluster as a notebook kernel: one controller for `jupyter-notebook` and one for `interactive`
 * documents, labelled "IPython Parallel: <profile> (N engines)". They work with VS Code's built-in ipynb
 * support and renderers (no Jupyter extension needed) and sit beside the Jupyter extension's kernels.
 * Cells of a notebook run one after the other ("Run All": a cell starts once the one before it ended on
 * its engines); a cell that fails or is interrupted aborts the cells queued behind it. The interrupt
 * button interrupts the running cell's engines and aborts its queued tasks.
 */
import * as vscode from 'vscode';
import { AbortRequest, type TaskState } from '../../shared/protocol';
import { asDisposable, type Ctx } from '../ctx';
import { describeError } from '../errors';
import { EXTENSION_ID, NotebookControllers } from '../ids';
import { runCell, noteOutput } from './cellRun';
import type { TaskOutput } from './outputs';

export const CONTROLLER_IDS = NotebookControllers;
/** The id VS Code knows a controller by (`notebookKernel` context key, interactive.open). */
export const kernelId = (id: string) => `${EXTENSION_ID}/${id}`;

/** The profile of a connection file `…/profile_<name>/security/ipcontroller-client.json`. */
export function profileOf(connectionFile: string | undefined): string | undefined {
  return connectionFile ? /profile_([^/\\]+)[/\\]security[/\\][^/\\]+$/.exec(connectionFile)?.[1] : undefined;
}

/** The cells of one notebook waiting for, or on, the cluster. */
class NotebookQueue {
  tail: Promise<unknown> = Promise.resolve();
  readonly queued = new Set<vscode.NotebookCellExecution>();
  running?: { exec: vscode.NotebookCellExecution; runId?: string };
}

export class ClusterKernels implements vscode.Disposable {
  readonly controllers: vscode.NotebookController[];
  readonly #queues = new Map<string, NotebookQueue>();
  /** Notebooks that have one of our controllers selected. */
  readonly #selected = new Set<vscode.NotebookDocument>();
  readonly #lastOutputs = new WeakMap<vscode.NotebookCell, TaskOutput[]>();
  readonly #unfolded = new WeakSet<vscode.NotebookCell>();
  readonly #onDidChangeSelection = new vscode.EventEmitter<vscode.NotebookDocument>();
  readonly onDidChangeSelection = this.#onDidChangeSelection.event;
  readonly #disposables: vscode.Disposable[] = [];
  #order = 0;

  constructor(private readonly ctx: Ctx) {
    this.controllers = [
      this.#create(CONTROLLER_IDS.notebook, 'jupyter-notebook'),
      this.#create(CONTROLLER_IDS.interactive, 'interactive'),
    ];
    const update = () => this.#updateLabels();
    this.#disposables.push(
      this.#onDidChangeSelection,
      asDisposable(ctx.model.onDidChangeState(update)),
      asDisposable(ctx.model.onDidChangeEngines(update)),
      vscode.workspace.onDidCloseNotebookDocument((nb) => {
        this.#selected.delete(nb);
        this.#queues.delete(nb.uri.toString());
      }),
    );
    this.#updateLabels();
  }

  #create(id: string, type: string): vscode.NotebookController {
    const c = vscode.notebooks.createNotebookController(id, type, 'IPython Parallel');
    c.supportedLanguages = ['python'];
    c.supportsExecutionOrder = true;
    c.executeHandler = (cells, notebook) => this.run(c, cells, notebook);
    c.interruptHandler = (notebook) => this.interrupt(notebook);
    this.#disposables.push(
      c,
      c.onDidChangeSelectedNotebooks(({ notebook, selected }) => {
        if (selected) this.#selected.add(notebook);
        else this.#selected.delete(notebook);
        this.#onDidChangeSelection.fire(notebook);
        if (selected && !this.ctx.model.connected) void this.#offerConnect();
      }),
    );
    return c;
  }

  isSelected(notebook: vscode.NotebookDocument): boolean {
    return this.#selected.has(notebook);
  }

  #updateLabels(): void {
    const m = this.ctx.model;
    const profile = profileOf(m.connectionFile) ?? (this.ctx.config.settings.profile || 'default');
    const n = m.engines.length;
    const label = m.connected ? `IPython Parallel: ${profile} (${n} engine${n === 1 ? '' : 's'})` : `IPython Parallel: ${profile} (not connected)`;
    for (const c of this.controllers) {
      c.label = label;
      c.description = m.connected ? 'the cluster is the kernel (%px semantics)' : 'select to connect';
      c.detail = m.connected ? m.connectionFile : undefined;
    }
  }

  async #offerConnect(): Promise<void> {
    const choice = await vscode.window.showInformationMessage(
      'The IPython Parallel kernel runs cells on a cluster. Connect to one?',
      'Connect…',
      'Start Local Cluster…',
    );
    if (choice === 'Connect…') await vscode.commands.executeCommand('ipyparallel.connect');
    else if (choice === 'Start Local Cluster…') await vscode.commands.executeCommand('ipyparallel.startLocalCluster');
  }

  #queue(notebook: vscode.NotebookDocument): NotebookQueue {
    const key = notebook.uri.toString();
    let q = this.#queues.get(key);
    if (!q) this.#queues.set(key, (q = new NotebookQueue()));
    return q;
  }

  /** Queues cells behind those of the notebook already queued; resolves when the last has ended. */
  run(controller: vscode.NotebookController, cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> {
    const q = this.#queue(notebook);
    const execs = cells.map((cell) => controller.createNotebookCellExecution(cell));
    for (const exec of execs) {
      q.queued.add(exec);
      q.tail = q.tail.then(() => this.#runOne(q, exec)).catch((e) => this.ctx.log.error(`notebook queue: ${describeError(e)}`));
    }
    return q.tail.then(() => undefined);
  }

  async #runOne(q: NotebookQueue, exec: vscode.NotebookCellExecution): Promise<void> {
    if (!q.queued.delete(exec)) return; // aborted while it waited
    q.running = { exec };
    exec.executionOrder = ++this.#order;
    let state: TaskState = 'error';
    try {
      state = await runCell(this.ctx, exec, {
        submitted: (runId) => q.running && (q.running.runId = runId),
        finished: (cell, items) => this.#lastOutputs.set(cell, items),
        fold: (cell) => !this.#unfolded.has(cell),
      });
    } catch (e) {
      this.ctx.log.error(`notebook cell: ${describeError(e)}`);
    } finally {
      q.running = undefined;
    }
    if (state !== 'done') this.#abortQueued(q, state === 'error' ? 'failed' : `ended ${state}`);
  }

  /** Ends the cells waiting behind a failed or interrupted one, without running them. */
  #abortQueued(q: NotebookQueue, why: string): void {
    for (const exec of q.queued) {
      exec.start(Date.now());
      void exec.replaceOutput(noteOutput(`Aborted: not run, because a cell before it ${why}.`));
      exec.end(false, Date.now());
    }
    q.queued.clear();
  }

  /** The interrupt button: aborts the queued cells, then the running cell's tasks, interrupting its engines. */
  async interrupt(notebook: vscode.NotebookDocument): Promise<void> {
    const q = this.#queues.get(notebook.uri.toString());
    if (!q) return;
    this.#abortQueued(q, 'was interrupted');
    const runId = q.running?.runId;
    if (!runId) return;
    try {
      const r = await this.ctx.request(AbortRequest, { runId, interruptRunning: true });
      this.ctx.log.info(`notebook interrupt: run ${runId}, ${r.aborted.length} tasks aborted, engines ${r.interrupted?.join(', ') || 'none'} interrupted`);
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Interrupting the cell failed: {0}', describeError(e)));
    }
  }

  /** Restarts the execution count (after a namespace reset). */
  resetOrder(): void {
    this.#order = 0;
  }

  lastOutputs(cell: vscode.NotebookCell): TaskOutput[] | undefined {
    return this.#lastOutputs.get(cell);
  }

  isUnfolded(cell: vscode.NotebookCell): boolean {
    return this.#unfolded.has(cell);
  }

  setUnfolded(cell: vscode.NotebookCell, unfolded: boolean): void {
    if (unfolded) this.#unfolded.add(cell);
    else this.#unfolded.delete(cell);
  }

  dispose(): void {
    for (const d of this.#disposables.splice(0)) d.dispose();
  }
}
