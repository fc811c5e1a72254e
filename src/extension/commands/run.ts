/**
 * Running code: the selection (or current line), the `# %%` cell, or the file, on all engines, on
 * engines picked, or load-balanced. The default target comes from `ipyparallel.defaultTargets`; the
 * "…on Engines…" commands always ask.
 */
import * as vscode from 'vscode';
import { ExecuteRequest, type ExecuteResult, type Targets } from '../../shared/protocol';
import { cellAt, cellCode, dedent } from '../cells';
import type { Ctx } from '../ctx';
import { CancelledError, UserError } from '../errors';
import { Commands } from '../ids';
import { formatTargets } from '../output/pxFormat';
import { trackRun } from '../progress';
import type { DefaultTargets } from '../settings';
import { trace, tracing } from '../output/latencyTrace';
import { selectedNodes, type EngineNode } from '../views/nodes';
import { registerCommand, reportError } from './register';

/** Options a caller (a test, a keybinding's args) may pass instead of being asked. */
export interface RunOptions {
  targets?: Targets;
  /** Wait for the run to finish before the command resolves (default false). */
  wait?: boolean;
}

function isRunOptions(a: unknown): a is RunOptions {
  return typeof a === 'object' && a !== null && !(a instanceof vscode.Uri) && ('targets' in a || 'wait' in a);
}

export interface CodeToRun {
  code: string;
  uri?: string;
  /** Zero-based document line of the code's first line. */
  line?: number;
  title: string;
}

interface TargetPick extends vscode.QuickPickItem {
  targets?: Targets;
  choose?: boolean;
}

async function pickEngines(ctx: Ctx): Promise<number[]> {
  const engines = ctx.model.engines;
  if (!engines.length) throw new UserError(vscode.l10n.t('The cluster has no engines yet.'));
  const picks = await vscode.window.showQuickPick(
    engines.map((e) => ({ label: vscode.l10n.t('engine {0}', e.id), description: `${e.status} · ${vscode.l10n.t('queue {0}', e.queue + e.tasks)}`, id: e.id })),
    { title: vscode.l10n.t('Run on engines'), canPickMany: true, placeHolder: vscode.l10n.t('Pick the engines to run on') },
  );
  if (!picks?.length) throw new CancelledError();
  return picks.map((p) => p.id);
}

/** Asks where to run: all engines, load-balanced, or engines picked. */
export async function pickTargets(ctx: Ctx): Promise<Targets> {
  const n = ctx.model.engines.length;
  const pick = await vscode.window.showQuickPick<TargetPick>(
    [
      { label: vscode.l10n.t('All engines'), iconPath: new vscode.ThemeIcon('layers'), description: n === 1 ? vscode.l10n.t('1 engine, %px style') : vscode.l10n.t('{0} engines, %px style', n), targets: 'all' },
      { label: vscode.l10n.t('Load-balanced'), iconPath: new vscode.ThemeIcon('symbol-event'), description: vscode.l10n.t('one task, on whichever engine is free'), targets: 'balanced' },
      { label: vscode.l10n.t('Pick engines…'), iconPath: new vscode.ThemeIcon('checklist'), choose: true },
    ],
    { title: vscode.l10n.t('Run on the cluster'), placeHolder: vscode.l10n.t('Where should the code run?') },
  );
  if (!pick) throw new CancelledError();
  return pick.choose ? pickEngines(ctx) : pick.targets!;
}

export async function resolveTargets(ctx: Ctx, mode: DefaultTargets): Promise<Targets> {
  return mode === 'pick' ? pickTargets(ctx) : mode;
}

function activeEditor(uri?: vscode.Uri): vscode.TextEditor {
  const editor = uri
    ? vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString()) ?? vscode.window.activeTextEditor
    : vscode.window.activeTextEditor;
  if (!editor) throw new UserError(vscode.l10n.t('Open a Python file first.'));
  return editor;
}

function linesOf(doc: vscode.TextDocument): string[] {
  return Array.from({ length: doc.lineCount }, (_, i) => doc.lineAt(i).text);
}

const firstLine = (code: string) => code.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';

/** The selection, or the current line when nothing is selected. */
export function selectionCode(editor: vscode.TextEditor): CodeToRun {
  const doc = editor.document;
  const sel = editor.selection;
  if (sel.isEmpty) {
    const text = doc.lineAt(sel.active.line).text;
    return { code: text.trim(), uri: doc.uri.toString(), line: sel.active.line, title: text.trim() };
  }
  // From the start of the first selected line, so the document line of each code line is known.
  const range = new vscode.Range(sel.start.line, 0, sel.end.line, sel.end.character);
  const code = dedent(doc.getText(sel.start.character === 0 ? range : sel));
  return { code, uri: doc.uri.toString(), line: sel.start.line, title: firstLine(code) };
}

export function cellToRun(doc: vscode.TextDocument, line: number): CodeToRun {
  const lines = linesOf(doc);
  const cell = cellAt(lines, line);
  if (!cell) throw new UserError(vscode.l10n.t('No `# %%` cell here: mark cells with a `# %%` line.'));
  const { code, line: first } = cellCode(lines, cell);
  return { code, uri: doc.uri.toString(), line: first, title: cell.title || firstLine(code) };
}

export function fileToRun(doc: vscode.TextDocument): CodeToRun {
  const code = doc.getText();
  const name = doc.uri.path.split('/').pop() ?? doc.uri.toString();
  return { code, uri: doc.uri.toString(), line: 0, title: vscode.l10n.t('{0} (file)', name) };
}

/** Executes code on the cluster, streams its output to the channel, and tracks its progress. */
export async function runCode(ctx: Ctx, what: CodeToRun, targets: Targets, wait = false): Promise<ExecuteResult> {
  ctx.requireTrust(vscode.l10n.t('Running code'));
  ctx.requireConnected();
  if (!what.code.trim()) throw new UserError(vscode.l10n.t('Nothing to run: the code is empty.'));
  if (tracing) trace('execute-sent');
  const result = await ctx.request(ExecuteRequest, { code: what.code, targets, uri: what.uri, line: what.line });
  ctx.log.info(`run ${result.runId}: ${what.title} on ${formatTargets(targets)} (${result.msgIds.length} tasks)`);
  ctx.keptRuns.keep({ ...what, targets }, result).catch((e: Error) => ctx.log.warn(`run ${result.runId} not kept for a reload: ${e.message}`));
  ctx.output.reveal();
  const tracked = trackRun(ctx, result.runId, what.title);
  if (wait) await tracked;
  return result;
}

/** Splits a command's arguments into an optional Uri/line (from code lenses, menus) and RunOptions. */
function parseArgs(args: unknown[]): { uri?: vscode.Uri; line?: number; options: RunOptions } {
  const uri = args.find((a): a is vscode.Uri => a instanceof vscode.Uri);
  const line = args.find((a): a is number => typeof a === 'number');
  const options = args.find(isRunOptions) ?? {};
  return { uri, line, options };
}

async function targetsFor(ctx: Ctx, options: RunOptions, ask: boolean): Promise<Targets> {
  ctx.requireTrust(vscode.l10n.t('Running code'));
  ctx.requireConnected();
  if (options.targets) return options.targets;
  return ask ? pickTargets(ctx) : resolveTargets(ctx, ctx.config.settings.defaultTargets);
}

/** Sends code to an Interactive Window on the cluster; resolves when its cell has ended. */
export type InteractiveSender = (what: CodeToRun, targets: Targets) => Promise<void>;

/**
 * Runs the selection or a `# %%` cell where `ipyparallel.outputSurface` says: the Results view or the output
 * channel (the run's ids are returned), or the Interactive Window. The one place that reads the setting.
 */
async function runOnSurface(ctx: Ctx, interactive: InteractiveSender, what: CodeToRun, targets: Targets, wait?: boolean): Promise<ExecuteResult | undefined> {
  switch (ctx.config.settings.outputSurface) {
    case 'interactiveWindow': {
      const sent = interactive(what, targets);
      if (wait) await sent;
      else sent.catch((e) => reportError(ctx, Commands.runInInteractiveWindow, e));
      return undefined;
    }
    case 'outputChannel':
    case 'resultsView':
      return runCode(ctx, what, targets, wait);
  }
}

/** The selection, or else the `# %%` cell at the cursor, of the active editor (or of `uri` at `line`). */
async function selectionOrCell(uri: vscode.Uri | undefined, line: number | undefined): Promise<CodeToRun> {
  if (uri && line !== undefined) return cellToRun(await vscode.workspace.openTextDocument(uri), line);
  const editor = activeEditor(uri);
  if (!editor.selection.isEmpty) return selectionCode(editor);
  const lines = linesOf(editor.document);
  return cellAt(lines, editor.selection.active.line) ? cellToRun(editor.document, editor.selection.active.line) : selectionCode(editor);
}

export function registerRunCommands(ctx: Ctx, interactive: InteractiveSender): void {
  const selection = (ask: boolean) => async (...args: unknown[]) => {
    const { uri, options } = parseArgs(args);
    const what = selectionCode(activeEditor(uri));
    return runOnSurface(ctx, interactive, what, await targetsFor(ctx, options, ask), options.wait);
  };
  const cell = (ask: boolean) => async (...args: unknown[]) => {
    const { uri, line, options } = parseArgs(args);
    const editor = uri && line !== undefined ? undefined : activeEditor(uri);
    const doc = editor?.document ?? (await vscode.workspace.openTextDocument(uri!));
    const what = cellToRun(doc, line ?? editor!.selection.active.line);
    return runOnSurface(ctx, interactive, what, await targetsFor(ctx, options, ask), options.wait);
  };
  registerCommand(ctx, Commands.runInInteractiveWindow, async (...args: unknown[]) => {
    const { uri, line, options } = parseArgs(args);
    return interactive(await selectionOrCell(uri, line), await targetsFor(ctx, options, false));
  });
  const file = (ask: boolean) => async (...args: unknown[]) => {
    const { uri, options } = parseArgs(args);
    const doc = uri ? await vscode.workspace.openTextDocument(uri) : activeEditor().document;
    return runCode(ctx, fileToRun(doc), await targetsFor(ctx, options, ask), options.wait);
  };
  registerCommand(ctx, Commands.runSelection, selection(false));
  registerCommand(ctx, Commands.runSelectionOnTargets, selection(true));
  registerCommand(ctx, Commands.runCell, cell(false));
  registerCommand(ctx, Commands.runCellOnTargets, cell(true));
  registerCommand(ctx, Commands.runFile, file(false));
  registerCommand(ctx, Commands.runFileOnTargets, file(true));
  registerCommand(ctx, Commands.runSelectionOnEngine, async (node?: EngineNode, nodes?: EngineNode[]) => {
    const engines = selectedNodes(node, nodes).filter((n) => n.kind === 'engine' && !n.sessionId).map((n) => n.engineId);
    const targets: Targets = engines.length ? engines : await pickEngines(ctx);
    return runCode(ctx, selectionCode(activeEditor()), targets);
  });
}
