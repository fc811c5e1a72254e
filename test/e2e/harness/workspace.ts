// Test workspaces: a fresh copy of test/e2e/workspace-template with the settings a test needs in
// .vscode/settings.json (which both code-server and the raw VS Code server read).
import * as path from 'node:path';
import { REPO, startVscodeLib } from './scripts';

export const WORKSPACE_TEMPLATE = path.join(REPO, 'test', 'e2e', 'workspace-template');

/** Copy the template to `dest` (default: a new temp folder) and merge `settings` into its settings.json. */
export async function prepareWorkspace(settings: Record<string, unknown> = {}, dest?: string): Promise<string> {
  return (await startVscodeLib()).prepareWorkspace({ dest, settings });
}
