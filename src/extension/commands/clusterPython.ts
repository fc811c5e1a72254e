/**
 * The Python that Start Local Cluster and the Clusters view run ipcluster with (when a record does not
 * name one): the Python extension's selected interpreter where it is installed, else the search of
 * python.ts (pythonEnv.ts decides). If the selected interpreter lacks ipyparallel, offers to install it
 * there (in a visible terminal) or to select another interpreter.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { CancelledError, describeError } from '../errors';
import { decidePython, pipInstallCommand, PYTHON_EXTENSION_ID, type PythonExtensionApi } from '../pythonEnv';

/** The windows (Ctx) that already follow the Python extension's selection. */
const following = new WeakSet<Ctx>();

/** The Python extension's exports (activating it), or undefined when it is not installed or fails. */
async function pythonExtensionApi(ctx: Ctx): Promise<PythonExtensionApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    if (!following.has(ctx) && api?.environments?.onDidChangeActiveEnvironmentPath) {
      following.add(ctx);
      const sub = api.environments.onDidChangeActiveEnvironmentPath((e) => ctx.log.info(`the Python extension selected ${e.path}: clusters start with it`));
      ctx.extension.subscriptions.push(new vscode.Disposable(() => sub.dispose()));
    }
    return api;
  } catch (e) {
    ctx.log.warn(`the Python extension did not activate (${describeError(e)}): searching for a Python instead`);
    return undefined;
  }
}

export async function findPython(ctx: Ctx): Promise<string> {
  const api = await pythonExtensionApi(ctx);
  const resource = vscode.window.activeTextEditor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  const d = await decidePython({ setting: ctx.config.settings.pythonPath, api, resource });
  if (d.kind === 'found') {
    ctx.log.info(`using ${d.python.command} (${d.python.source}), ipyparallel ${d.python.ipyparallelVersion}`);
    return d.python.command;
  }
  ctx.log.warn(`the Python extension's interpreter ${d.command} has no ipyparallel: ${d.reason}`);
  const install = vscode.l10n.t('Install ipyparallel');
  const select = vscode.l10n.t('Select Interpreter');
  vscode.window
    .showWarningMessage(vscode.l10n.t('The Python selected for this workspace ({0}) does not have ipyparallel. Install it there, or select another interpreter.', d.command), install, select)
    .then((choice) => {
      if (choice === install) {
        const terminal = vscode.window.createTerminal({ name: vscode.l10n.t('Install ipyparallel') });
        terminal.show();
        terminal.sendText(pipInstallCommand(d.command));
      } else if (choice === select) {
        void vscode.commands.executeCommand('python.setInterpreter');
      }
    });
  throw new CancelledError();
}
