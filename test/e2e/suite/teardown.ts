// Shared by the extension-host suites (not a test file: index.ts loads only *.test.js).
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension/extension';

/**
 * Hides the side bar and stops the language server a suite started, so that the next suite starts lean.
 * The Clusters view's hidden event comes a moment after the side bar closes; until then its timers may
 * list, which starts the server again, so this waits for it (up to 5 s) first.
 */
export async function hideViewsAndStopServer(api: ExtensionApi): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeSidebar');
  for (let i = 0; i < 50 && api.clusters.visible; i++) await new Promise((r) => setTimeout(r, 100));
  await api.ctx.stopServer();
}
