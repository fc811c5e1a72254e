/**
 * Entry point: builds the Ctx, registers commands and code lenses, and connects automatically when
 * `ipyparallel.autoConnect` is set and the workspace is trusted. The language server is not started
 * here: it starts on first use (a connect, a run, auto-connect, or our views shown; see Ctx.startServer).
 */
import * as vscode from 'vscode';
import { CellCodeLensProvider } from './codeLens';
import { registerClusterCommands } from './commands/cluster';
import { registerClustersView } from './commands/clusters';
import { registerConnectionCommands } from './commands/connection';
import { lastErrors } from './commands/register';
import { registerRunCommands } from './commands/run';
import { registerTaskCommands } from './commands/tasks';
import { registerTimelineCommands } from './commands/timeline';
import { Ctx } from './ctx';
import { registerCellCommands } from './notebook/cellCommands';
import { ClusterKernels } from './notebook/controller';
import { InteractiveWindow } from './notebook/interactive';
import { describeError } from './errors';
import { l10n } from './l10n';
import type { ClustersTree } from './views/clustersTree';

/** What activate() returns: for the extension-host tests (and other extensions), not a stable API. */
export interface ExtensionApi {
  readonly ctx: Ctx;
  /** The last error a command showed to the user. */
  readonly lastError: { command?: string; message?: string };
  /** The Clusters view's provider (its rows, and refresh). */
  readonly clusters: ClustersTree;
}

// The only module-level state: deactivate() must await the Ctx's cleanup (the local cluster), and
// VS Code does not await the dispose() of subscriptions.
let current: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<ExtensionApi> {
  // The modules without `vscode` (status text, tree items, errors) translate through it from now on.
  l10n.use(vscode.l10n.t);
  const ctx = new Ctx(context);
  current = ctx;
  registerConnectionCommands(ctx);
  const kernels = new ClusterKernels(ctx);
  const interactive = new InteractiveWindow(ctx, kernels);
  context.subscriptions.push(kernels);
  registerCellCommands(ctx, kernels);
  registerRunCommands(ctx, (what, targets) => interactive.send(what, targets));
  registerTaskCommands(ctx);
  registerTimelineCommands(ctx);
  registerClusterCommands(ctx);
  const clusters = registerClustersView(ctx);

  const lenses = new CellCodeLensProvider(ctx.model, ctx.config);
  context.subscriptions.push(
    lenses,
    vscode.languages.registerCodeLensProvider({ language: 'python' }, lenses),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('ipyparallel.codeLens.enabled')) lenses.refresh();
    }),
  );

  // Starts the server only when auto-connect is on (and the workspace trusted); autoConnect logs its failures.
  ctx.autoConnect().catch((e) => ctx.log.error(`auto-connect: ${describeError(e)}`));

  return { ctx, lastError: lastErrors, clusters };
}

export async function deactivate(): Promise<void> {
  const ctx = current;
  current = undefined;
  await ctx?.dispose();
}
