// Test workspaces: a fresh copy of test/e2e/workspace-template with the settings a test needs in
// .vscode/settings.json (which both code-server and the raw VS Code server read).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from './scripts';

export const WORKSPACE_TEMPLATE = path.join(REPO, 'test', 'e2e', 'workspace-template');

/** Copy the template to `dest` (default: a new temp folder) and merge `settings` into its settings.json. */
export function prepareWorkspace(settings: Record<string, unknown> = {}, dest?: string): string {
  const dir = dest ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-ws-'));
  fs.cpSync(WORKSPACE_TEMPLATE, dir, { recursive: true });
  const file = path.join(dir, '.vscode', 'settings.json');
  const current = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> : {};
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ ...current, ...settings }, null, 2)}\n`);
  return dir;
}
