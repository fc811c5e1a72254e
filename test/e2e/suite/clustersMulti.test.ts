// Named to run right after clusters.test.js and before commands.test.js, whose last test deactivates the extension.
// Several clusters at once inside the extension host, against two real local clusters it starts: connect
// the first from the Clusters view, connect the second beside it (a new language-server session, made
// active), see the views and the status bar follow the active one, run a selection on it, switch back
// with Switch Active Cluster, and disconnect the second (its session closes; the first stays connected).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StartedCluster } from '../../../src/extension/commands/startCluster';
import type { ExtensionApi } from '../../../src/extension/extension';
import { Commands, ContextKeys, EXTENSION_ID, Views } from '../../../src/extension/ids';
import type { TasksTreeNode } from '../../../src/extension/views/nodes';
import type { ExecuteResult } from '../../../src/shared/protocol';
import { runPidSelection } from './runSelection';
import { hideViewsAndStopServer } from './teardown';

/** Resolves when check() gives a value (checked every 200 ms); fails after `ms`. */
function until<T>(what: string, check: () => T | undefined, ms = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const v = check();
      if (v !== undefined) {
        clearInterval(poll);
        resolve(v);
      } else if (Date.now() - started > ms) {
        clearInterval(poll);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }
    }, 200);
  });
}

describe('Several clusters at once', function () {
  this.timeout(240_000);
  let api: ExtensionApi;
  let ipythonDir: string;
  const started: StartedCluster[] = [];
  const ref = (id: string) => ({ profileDir: started[0].profileDir, clusterId: id });

  before(async () => {
    api = await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate();
    ipythonDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-ext-multi-'));
    await vscode.workspace.getConfiguration('ipyparallel').update('ipythonDir', ipythonDir, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand(`${Views.clusters}.focus`);
  });

  after(async () => {
    for (const c of started.reverse()) await vscode.commands.executeCommand(Commands.stopCluster, { profileDir: c.profileDir, clusterId: c.clusterId });
    await hideViewsAndStopServer(api);
    await vscode.workspace.getConfiguration('ipyparallel').update('ipythonDir', undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(ipythonDir, { recursive: true, force: true });
  });

  it('starts two local clusters (1 and 2 engines)', async () => {
    // A window runs one cluster of its own: the second is started beside it as a user would, with ipcluster.
    const c = await vscode.commands.executeCommand<StartedCluster>(Commands.startCluster, { profile: 'default', clusterId: 'multi-a', engines: 1, launcher: 'local' });
    assert.ok(c, `start failed: ${api.lastError.message}`);
    started.push(c);
    const python = process.env.IPP_PYTHON || 'python3';
    const r = spawnSync(python, ['-m', 'ipyparallel.cluster', 'start', '--n=2', '--cluster-id=multi-b', '--daemonize', `--ipython-dir=${ipythonDir}`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `ipcluster start: ${r.stderr}`);
    started.push({ ...c, clusterId: 'multi-b' });
    await until('both clusters running', () => {
      const rows = api.clusters.clusters.filter((c) => c.clusterId?.startsWith('multi-') && c.state === 'running');
      return rows.length === 2 ? rows : undefined;
    }, 120_000);
  });

  it('connects the second beside the first: a new session, made active; views and status bar name it', async () => {
    assert.ok(await vscode.commands.executeCommand(Commands.connectCluster, ref('multi-a')), `connect a failed: ${api.lastError.message}`);
    await until('1 engine of a', () => (api.ctx.model.engines.length === 1 ? true : undefined));
    assert.equal(api.ctx.sessions.several, false);
    assert.equal(api.ctx.enginesView.description, undefined);
    const b = await vscode.commands.executeCommand(Commands.connectCluster, ref('multi-b'));
    assert.ok(b, `connect b failed: ${api.lastError.message}`);
    assert.equal(api.ctx.sessions.active, 'c:multi-b');
    await until('2 engines of b', () => (api.ctx.model.engines.length === 2 ? true : undefined));
    const sessions = await api.ctx.sessionsCtl.list();
    assert.deepEqual(sessions.map((s) => [s.sessionId, s.state, s.active]), [['default', 'connected', false], ['c:multi-b', 'connected', true]]);
    assert.equal(api.ctx.enginesView.description, 'cluster multi-b');
    assert.equal(api.ctx.tasksView.description, 'cluster multi-b');
    assert.match(api.ctx.statusBar.text, /multi-b {2}2 engines/);
    assert.equal(api.ctx.contextValue(ContextKeys.severalClusters), true);
    // The Engines view groups by cluster: the first one's engine under its node, the active one's two under its.
    const tree = api.ctx.enginesTree;
    const roots = tree.getChildren();
    assert.deepEqual(roots.map((n) => tree.getTreeItem(n).label), ['default/multi-a', 'default/multi-b (active)']);
    const a = await until('the engine of a under its node', () => (tree.getChildren(roots[0]).length === 1 ? tree.getChildren(roots[0]) : undefined));
    assert.equal(tree.getTreeItem(a[0]).id, `default/${tree.getTreeItem(tree.node(0)).id}`);
    assert.equal(tree.getChildren(roots[1]).length, 2);
  });

  it('runs a selection on the active cluster only (its 2 engines)', async () => {
    const { result, run } = await runPidSelection(api, 'multi-cluster.py');
    assert.equal(result.msgIds.length, 2);
    assert.equal(run.state, 'done');
  });

  it('a second connect that fails leaves no session behind and the active cluster shown', async () => {
    const missing = path.join(ipythonDir, 'profile_default', 'security', 'ipcontroller-nope-client.json');
    assert.equal(await vscode.commands.executeCommand(Commands.connectAnother, missing), undefined);
    assert.match(String(api.lastError.message), /nope/);
    const sessions = await api.ctx.sessionsCtl.list();
    assert.deepEqual(sessions.map((s) => [s.sessionId, s.active]), [['default', false], ['c:multi-b', true]]);
    assert.equal(api.ctx.sessions.active, 'c:multi-b');
    assert.equal(api.ctx.model.connected, true);
    assert.equal(api.ctx.model.engines.length, 2);
    assert.equal(api.ctx.model.runs.length, 1);
  });

  it('switches back to the first: its engine and no run of the second in the model', async () => {
    assert.equal(await vscode.commands.executeCommand(Commands.switchCluster, 'default'), 'default');
    assert.equal(api.ctx.sessions.active, 'default');
    assert.equal(api.ctx.model.engines.length, 1);
    assert.equal(api.ctx.model.runs.length, 0);
    assert.equal(api.ctx.enginesView.description, 'cluster multi-a');
    assert.match(api.ctx.statusBar.text, /multi-a {2}1 engine/);
    // The second cluster's run is kept under its node in the Tasks view.
    const tasks = api.ctx.tasksTree;
    const roots = tasks.getChildren() as TasksTreeNode[];
    assert.deepEqual(roots.map((n) => tasks.getTreeItem(n).label), ['default/multi-a (active)', 'default/multi-b']);
    const bRuns = await until('the run of b under its node', () => {
      const runs = tasks.getChildren(roots[1]) as TasksTreeNode[];
      return runs.length === 1 ? runs : undefined;
    });
    assert.match(String(tasks.getTreeItem(bRuns[0]).description), /2\/2 done/);
    // A run here goes to the first cluster's one engine.
    const { result, run } = await runPidSelection(api, 'multi-cluster.py');
    assert.equal(result.msgIds.length, 1);
    assert.equal(run.state, 'done');
  });

  it('a run still going when its cluster stops being active goes on being written, under its name', async () => {
    assert.equal(await vscode.commands.executeCommand(Commands.switchCluster, 'c:multi-b'), 'c:multi-b');
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'multi-late.py');
    await vscode.workspace.fs.writeFile(uri, Buffer.from('import time\nprint("early-from-b")\ntime.sleep(4)\nprint("late-from-b")\n', 'utf8'));
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    editor.selection = new vscode.Selection(0, 0, 4, 0);
    const result = await vscode.commands.executeCommand<ExecuteResult>(Commands.runSelection, { targets: 'all' });
    assert.ok(result, `runSelection failed: ${api.lastError.message}`);
    await until('the early output of b', () => (api.ctx.output.recentText.includes('early-from-b') ? true : undefined), 30_000);
    assert.equal(await vscode.commands.executeCommand(Commands.switchCluster, 'default'), 'default');
    const text = await until('the late output of b, written while a is active', () => {
      const t = api.ctx.output.recentText;
      return t.includes('late-from-b') && /late-from-b[\s\S]*done 2\/2/.test(t) ? t : undefined;
    }, 30_000);
    const late = text.slice(text.lastIndexOf('──', text.indexOf('late-from-b')));
    assert.match(text.slice(0, text.indexOf('late-from-b')), /default\/multi-b[^\n]*──\n[^─]*$/, `the late output is under a header naming b:\n${late}`);
    assert.match(text, /\[stdout:0,1\] late-from-b|\[stdout:0\] late-from-b/);
    assert.equal(api.ctx.sessions.active, 'default');
    assert.equal(api.ctx.model.runs.filter((r) => r.runId === result.runId && r.title.includes('early')).length, 0, 'the run is not in the active model');
  });

  it('disconnects the second from its row: its session closes, the first stays connected and active', async () => {
    await vscode.commands.executeCommand(Commands.disconnectCluster, ref('multi-b'));
    const sessions = await api.ctx.sessionsCtl.list();
    assert.deepEqual(sessions.map((s) => s.sessionId), ['default']);
    assert.equal(api.ctx.sessions.several, false);
    assert.equal(api.ctx.model.connected, true);
    assert.equal(api.ctx.model.engines.length, 1);
    assert.equal(api.ctx.enginesView.description, undefined);
    assert.equal(api.ctx.contextValue(ContextKeys.severalClusters), false);
  });
});
