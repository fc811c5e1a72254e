// The Clusters view inside the extension host, against a real cluster it starts itself: Start (with
// arguments, skipping the prompts) a 2-engine local cluster, see it running in the view, connect, run a
// selection, copy the snippet, use a notebook's Restart both ways (clear the namespaces; restart the engines
// of this window's cluster), stop it; it then shows as stopped and none of its processes lives (by pid).
// Then a stale record written into a profile appears (the security-folder watcher) and Remove deletes it.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StartedCluster } from '../../../src/extension/commands/startCluster';
import type { ExtensionApi } from '../../../src/extension/extension';
import { Commands, EXTENSION_ID, TreeItemContexts, Views } from '../../../src/extension/ids';
import { ExecuteRequest, type ClusterInfo } from '../../../src/shared/protocol';
import { runPidSelection } from './runSelection';
import { hideViewsAndStopServer } from './teardown';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // a zombie (exited, not reaped) is gone too
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

/** Resolves when check() gives a value, re-checking when `event` fires and every 200 ms; fails after `ms`. */
function until<T>(what: string, check: () => T | undefined, event: vscode.Event<unknown>, ms = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const finish = (err?: Error, v?: T) => {
      clearInterval(poll);
      clearTimeout(timer);
      sub.dispose();
      if (err) reject(err);
      else resolve(v as T);
    };
    const test = () => {
      const v = check();
      if (v !== undefined) finish(undefined, v);
    };
    const sub = event(test);
    const poll = setInterval(test, 200);
    const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    test();
  });
}

describe('Clusters view', function () {
  this.timeout(180_000);
  let api: ExtensionApi;
  let ipythonDir: string;
  let started: StartedCluster | undefined;
  const pids = new Set<number>();
  const row = () => api.clusters.clusters.find((c) => c.clusterId === 'e2e-view');
  const changes: vscode.Event<unknown> = (l) => api.clusters.onDidChangeTreeData(l);

  before(async () => {
    api = await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate();
    ipythonDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-ext-clusters-'));
    await vscode.workspace.getConfiguration('ipyparallel').update('ipythonDir', ipythonDir, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand(`${Views.clusters}.focus`);
  });

  after(async () => {
    if (api.ctx.model.connected) await vscode.commands.executeCommand(Commands.disconnect);
    if (api.ctx.localCluster) await vscode.commands.executeCommand(Commands.stopLocalCluster);
    // The suites share one extension host, and commands.test.js checks next that nothing has started the
    // language server: hide the view (it stops watching) and stop the server this suite started.
    await hideViewsAndStopServer(api);
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await vscode.workspace.getConfiguration('ipyparallel').update('ipythonDir', undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(ipythonDir, { recursive: true, force: true });
  });

  it('starts a 2-engine local cluster from Start…; the view lists it running', async () => {
    started = await vscode.commands.executeCommand<StartedCluster>(Commands.startCluster, { profile: 'default', clusterId: 'e2e-view', engines: 2, launcher: 'local' });
    assert.ok(started, `start failed: ${api.lastError.message}`);
    assert.ok(started.connectionFile.startsWith(ipythonDir), started.connectionFile);
    if (started.pid) pids.add(started.pid);
    const c = await until('the cluster running with 2 engine pids', () => {
      const r = row();
      return r?.state === 'running' && r.livePids.length >= 3 ? r : undefined;
    }, changes, 90_000);
    for (const p of c.pids) pids.add(p);
    assert.equal(c.engineCount, 2);
    assert.equal(c.launcher, 'local');
    const item = api.clusters.getTreeItem(api.clusters.getChildren().find((n) => n.key.endsWith('\0e2e-view'))!);
    assert.equal(item.label, 'default / e2e-view');
    assert.match(String(item.description), /^2 engines · local · started \d\d:\d\d$/);
    assert.equal(item.contextValue, TreeItemContexts.clusterRunning);
  });

  it('connects from the row; the row shows it connected; a selection runs on both engines', async () => {
    const ref = { profileDir: started!.profileDir, clusterId: 'e2e-view' };
    const result = await vscode.commands.executeCommand(Commands.connectCluster, ref);
    assert.ok(result, `connect failed: ${api.lastError.message}`);
    await until('2 engines', () => (api.ctx.model.engines.length === 2 ? true : undefined), (l) => api.ctx.model.onDidChangeEngines(l), 60_000);
    const c = await until('the row connected', () => (row()?.connected ? row() : undefined), changes);
    const node = api.clusters.getChildren().find((n) => n.key.endsWith('\0e2e-view'))!;
    assert.equal(api.clusters.getTreeItem(node).contextValue, TreeItemContexts.clusterConnected);
    assert.match(String(api.clusters.getTreeItem(node).description), /^connected · 2 engines/);
    const { result: r, run } = await runPidSelection(api, 'clusters-view.py');
    assert.equal(r.msgIds.length, 2);
    assert.equal(run.state, 'done');
    const snippet = await vscode.commands.executeCommand<string>(Commands.copyConnectionSnippet, ref);
    assert.equal(snippet, "import ipyparallel as ipp; rc = ipp.Client(profile='default', cluster_id='e2e-view')");
    assert.equal(await vscode.env.clipboard.readText(), snippet);
    assert.ok(c.connectionFile);
  });

  it("a notebook's Restart clears the namespaces, or restarts the engines of the cluster this window started", async () => {
    /** Each engine's pid and whether `restart_marker` is defined there, by engine id. */
    const probe = async (targets: number[] | 'all') => {
      const r = await api.ctx.request(ExecuteRequest, { code: "import os; print(os.getpid(), 'restart_marker' in globals())", targets, wait: true, waitTimeoutMs: 60_000 });
      assert.equal(r.result?.state, 'done', JSON.stringify(r.result));
      return new Map(r.result!.engines.map((e) => {
        const text = e.outputs.map((o) => (o.kind === 'stream' ? o.text : '')).join('').trim();
        return [e.engineId!, { pid: Number(text.split(' ')[0]), marked: text.endsWith('True') }];
      }));
    };
    const mark = () => api.ctx.request(ExecuteRequest, { code: 'restart_marker = 1', targets: 'all', wait: true, waitTimeoutMs: 60_000 });
    await mark();
    const before = await probe('all');
    assert.ok([...before.values()].every((e) => e.marked));

    const cleared = await vscode.commands.executeCommand<string>(Commands.restartNotebookKernel, 'clearNamespaces');
    assert.ok(cleared, `clear failed: ${api.lastError.message}`);
    assert.match(cleared, /^Cleared the namespace of all 2 engines with %reset -f/);
    const afterClear = await probe('all');
    assert.deepEqual([...afterClear].map(([id, e]) => [id, e.pid, e.marked]), [...before].map(([id, e]) => [id, e.pid, false]), 'same processes, empty namespaces');

    await mark();
    const restarted = await vscode.commands.executeCommand<string>(Commands.restartNotebookKernel, 'restartEngines');
    assert.ok(restarted, `restart failed: ${api.lastError.message}`);
    assert.match(restarted, /^Restarted the 2 engines of e2e-view: now engines \d+,\d+, with empty namespaces/);
    const fresh = api.ctx.model.engines.map((e) => e.id).filter((id) => !before.has(id));
    assert.equal(fresh.length, 2, `two new engine ids: ${api.ctx.model.engines.map((e) => e.id).join(', ')}`);
    const after = await probe(fresh);
    for (const e of after.values()) pids.add(e.pid);
    const oldPids = [...before.values()].map((e) => e.pid);
    assert.deepEqual([...after.values()].filter((e) => oldPids.includes(e.pid) || e.marked), [], 'new processes with empty namespaces');
    await until('the old engine processes gone', () => (oldPids.every((p) => !alive(p)) ? true : undefined), changes, 30_000);
  });

  it('stops it from the row: disconnected, shown stopped, and none of its processes lives', async () => {
    const before = row()!;
    for (const p of before.pids) pids.add(p);
    const after = await vscode.commands.executeCommand<ClusterInfo | undefined>(Commands.stopCluster, { profileDir: before.profileDir, clusterId: 'e2e-view' });
    assert.equal(api.lastError.command === Commands.stopCluster ? api.lastError.message : undefined, undefined);
    assert.ok(after, 'the row is still there');
    assert.equal(api.ctx.model.connected, false);
    const stopped = await until('the row stopped', () => (row()?.state === 'stopped' ? row() : undefined), changes);
    assert.equal(stopped.connected, false);
    const node = api.clusters.getChildren().find((n) => n.key.endsWith('\0e2e-view'))!;
    assert.equal(api.clusters.getTreeItem(node).contextValue, TreeItemContexts.clusterStopped);
    const left = await until('every process gone', () => {
      const l = [...pids].filter(alive);
      return l.length === 0 ? l : undefined;
    }, changes, 30_000).catch(() => [...pids].filter(alive));
    assert.deepEqual(left, [], `still alive: ${left.join(', ')} of ${[...pids].join(', ')}`);
    assert.equal(api.ctx.localCluster, undefined);
  });

  it('lists a stale cluster (files left, processes gone) and removes its files from the row', async () => {
    const security = path.join(ipythonDir, 'profile_stale', 'security');
    const record = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../../test/fixtures/cluster-records/local-7.1.json'), 'utf8'));
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    record.controller.state.pid = dead;
    for (const set of Object.values<{ engines: Record<string, { pid: number }> }>(record.engines.sets)) for (const e of Object.values(set.engines)) e.pid = dead;
    fs.mkdirSync(security, { recursive: true });
    const files = [path.join(security, 'cluster-old.json'), path.join(security, 'ipcontroller-old-client.json')];
    fs.writeFileSync(files[0], JSON.stringify(record));
    fs.writeFileSync(files[1], '{}');
    const stale = () => api.clusters.clusters.find((c) => c.profile === 'stale' && c.clusterId === 'old');
    const c = await until('the stale row', () => (stale()?.state === 'stale' ? stale() : undefined), changes);
    const node = api.clusters.getChildren().find((n) => n.key.endsWith('\0old'))!;
    assert.equal(api.clusters.getTreeItem(node).contextValue, TreeItemContexts.clusterStale);
    const removed = await vscode.commands.executeCommand<string[]>(Commands.removeStaleCluster, { profileDir: c.profileDir, clusterId: 'old' }, { confirm: false });
    assert.ok(removed, `remove failed: ${api.lastError.message}`);
    assert.deepEqual([...removed].sort(), [...files].sort());
    assert.ok(files.every((f) => !fs.existsSync(f)));
    assert.equal(stale(), undefined, 'a cluster whose files were removed is not kept as a stopped row');
  });
});
