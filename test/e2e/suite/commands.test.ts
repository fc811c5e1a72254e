// The extension's commands through the real `vscode` API, inside the extension host (mocha bdd, run by
// test/e2e/suite/index.ts), against a real 2-engine cluster started by the integration harness.
// Only type imports and ids.ts (plain constants) come from src/extension: the extension under test is the
// bundle VS Code loaded (dist/extension.js), reached through its exported API.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension/extension';
import { ALL_COMMANDS, Commands, ContextKeys, EXTENSION_ID, Views } from '../../../src/extension/ids';
import type { RunNode, TasksTreeNode } from '../../../src/extension/views/nodes';
import type { ConnectResult, ExecuteResult, QueueStatus } from '../../../src/shared/protocol';
import { descendants, pollUntil, readStat, TestCluster } from '../../integration/harness';
import { readCmdline } from '../../integration/harness/procs';

type Listen = (listener: () => void) => { dispose(): void };

/** The command lines of our language servers (dist/server.js) running under this extension host. */
function serverProcesses(): string[] {
  return descendants([process.pid])
    .map((p) => readCmdline(p.pid))
    .filter((argv) => argv.some((a) => /[\\/]dist[\\/]server\.js$/.test(a)))
    .map((argv) => argv.join(' '));
}

/** Resolves when `check()` holds (it may be async), re-checking whenever one of `events` fires; fails after `ms`. */
function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, events: Listen[], ms = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const subs: { dispose(): void }[] = [];
    let settled = false;
    const done = (err?: Error, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const s of subs) s.dispose();
      if (err) reject(err);
      else resolve(value as T);
    };
    const timer = setTimeout(() => done(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    const test = async () => {
      try {
        const v = await check();
        if (v !== undefined && v !== false) done(undefined, v);
      } catch (e) {
        done(e as Error);
      }
    };
    for (const e of events) subs.push(e(() => void test()));
    void test();
  });
}

describe('commands against a real cluster', function () {
  this.timeout(60_000);
  let api: ExtensionApi;
  let cluster: TestCluster | undefined;
  let workspace: vscode.Uri;
  const ctx = () => api.ctx;
  const runs = (l: () => void) => ctx().model.onDidChangeRuns(l);
  const engines = (l: () => void) => ctx().model.onDidChangeEngines(l);
  const states = (l: () => void) => ctx().model.onDidChangeState(l);

  async function openScratch(name: string, text: string): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.joinPath(workspace, name);
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
    const doc = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(doc);
  }

  function runFinished(runId: string) {
    return until(`run ${runId} to finish`, () => {
      const r = ctx().model.run(runId);
      return r && r.state !== 'running' && r.state !== 'pending' ? r : undefined;
    }, [runs]);
  }

  function outputContains(text: string | RegExp) {
    return until(`the output channel to contain ${text}`, () => {
      const out = ctx().output.recentText;
      return (typeof text === 'string' ? out.includes(text) : text.test(out)) ? out : undefined;
    }, [(l) => ctx().output.onDidWrite(l)], 20_000).catch((e) => {
      throw new Error(`${(e as Error).message}\n--- output ---\n${ctx().output.recentText.slice(-2000)}`);
    });
  }

  before(async function () {
    this.timeout(150_000);
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    api = await ext.activate();
    workspace = vscode.workspace.workspaceFolders![0].uri;
    cluster = await TestCluster.start({ engines: 2 });
  });

  after(async function () {
    this.timeout(60_000);
    try {
      if (ctx()?.model.connected) await vscode.commands.executeCommand(Commands.disconnect);
    } finally {
      await cluster?.stop();
    }
  });

  it('registers exactly the commands package.json contributes', async () => {
    const all = await vscode.commands.getCommands(true);
    // VS Code adds `<view id>.focus` and the like for each view: not ours to register.
    const views = Object.values(Views).map((v) => `${v}.`);
    const ours = all.filter((c) => c.startsWith('ipyparallel.') && !views.some((v) => c.startsWith(v)));
    for (const id of ALL_COMMANDS) assert.ok(ours.includes(id), `${id} is not registered`);
    assert.deepEqual(ours.filter((c) => !(ALL_COMMANDS as readonly string[]).includes(c)), []);
  });

  it('starts lean: activation and opening a Python file start no language server (autoConnect off)', async () => {
    assert.equal(vscode.workspace.getConfiguration('ipyparallel').get('autoConnect'), false);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspace, 'sample.py'));
    await vscode.window.showTextDocument(doc);
    assert.equal(ctx().client, undefined);
    assert.notEqual(ctx().contextValue(ContextKeys.serverRunning), true);
    assert.deepEqual(serverProcesses(), [], 'a language server process runs under the extension host');
    assert.equal(ctx().model.connected, false);
    assert.notEqual(ctx().contextValue(ContextKeys.connected), true);
    assert.deepEqual(ctx().enginesTree.getChildren(), []);
    assert.equal(ctx().statusBar.text, 'IPython Parallel', 'the quiet idle state');
  });

  it('connects with a connection file; the Engines view lists the engines', async () => {
    const result = await vscode.commands.executeCommand<ConnectResult>(Commands.connect, { connectionFile: cluster!.connectionFile });
    assert.ok(result, `connect failed: ${api.lastError.message}`);
    assert.equal(result.security.signed, true);
    // Connect was the first use: it started the server (one process) and waited for it.
    assert.equal(ctx().contextValue(ContextKeys.serverRunning), true);
    assert.equal(serverProcesses().length, 1, `language server processes: ${serverProcesses().join(' | ')}`);
    await until('2 engines', () => ctx().model.engines.length === 2, [engines]);
    assert.equal(ctx().contextValue(ContextKeys.connected), true);
    const nodes = ctx().enginesTree.getChildren();
    assert.equal(nodes.length, 2);
    const item = ctx().enginesTree.getTreeItem(nodes[0]);
    assert.equal(item.label, 'engine 0');
    assert.match(String(item.description), /^(idle|busy|unknown|starting) · queue \d+ · \d+ done · [0-9a-f]{8}$/);
    assert.match(ctx().statusBar.text, /2 engines/);
  });

  it('runs the selection on all engines and writes %px-style output', async () => {
    const editor = await openScratch('scratch.py', 'x = 6\nprint("hello from", 7 * x)\n');
    editor.selection = new vscode.Selection(0, 0, 1, 27);
    const r = await vscode.commands.executeCommand<ExecuteResult>(Commands.runSelection, { targets: 'all', wait: true });
    assert.ok(r, `runSelection failed: ${api.lastError.message}`);
    assert.equal(r.msgIds.length, 2);
    const run = await runFinished(r.runId);
    assert.equal(run.state, 'done');
    await outputContains('[stdout:0,1] hello from 42');
    const text = ctx().output.recentText;
    assert.match(text, /── x = 6 {2}· {2}all engines/);
    assert.match(text, /── done 2\/2 in /);
  });

  it('runs the current line (empty selection) load-balanced', async () => {
    const editor = await openScratch('line.py', 'a = 1\n6 * 7\n');
    editor.selection = new vscode.Selection(1, 0, 1, 0);
    const r = await vscode.commands.executeCommand<ExecuteResult>(Commands.runSelection, { targets: 'balanced', wait: true });
    assert.ok(r, api.lastError.message);
    assert.equal(r.msgIds.length, 1);
    await outputContains(/Out\[\d:\d+\]: 42/);
  });

  it('the Tasks view shows the run with one child per task', async () => {
    const root = ctx().tasksTree.getChildren() as TasksTreeNode[];
    const runNode = root.find((n): n is RunNode => n.kind === 'run' && ctx().model.run(n.runId)?.title === 'x = 6');
    assert.ok(runNode, 'the run is in the Tasks view');
    const item = ctx().tasksTree.getTreeItem(runNode);
    assert.match(String(item.description), /^all engines · 2\/2 done · /);
    const children = ctx().tasksTree.getChildren(runNode) as TasksTreeNode[];
    assert.equal(children.length, 2);
    const labels = children.map((c) => ctx().tasksTree.getTreeItem(c).label).sort();
    assert.deepEqual(labels, ['engine 0', 'engine 1']);
    assert.ok(root.some((n) => n.kind === 'history'), 'a History node while connected');
  });

  it('runs a # %% cell from its code lens arguments; a failing cell shows [N:execute] tracebacks and a diagnostic', async () => {
    const sample = vscode.Uri.joinPath(workspace, 'sample.py');
    const doc = await vscode.workspace.openTextDocument(sample);
    await vscode.window.showTextDocument(doc);
    const lenses = await until(
      'the Run Cell code lenses',
      async () => {
        const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', sample);
        return l.some((x) => x.command?.title.includes('Run Cell on Cluster')) ? l : undefined;
      },
      [states],
    );
    assert.ok(lenses.length >= 4);
    const failing = doc.getText().split('\n').findIndex((l) => l.startsWith('# %% A failing run'));
    const diagnostics = new Promise<vscode.Diagnostic[]>((resolve) => {
      const sub = vscode.languages.onDidChangeDiagnostics((e) => {
        const d = vscode.languages.getDiagnostics(sample);
        if (e.uris.some((u) => u.toString() === sample.toString()) && d.length) {
          sub.dispose();
          resolve(d);
        }
      });
    });
    const r = await vscode.commands.executeCommand<ExecuteResult>(Commands.runCell, sample, failing, { targets: 'all', wait: true });
    assert.ok(r, api.lastError.message);
    assert.equal((await runFinished(r.runId)).state, 'error');
    // Engines that ran a different number of cells have different tracebacks ("Cell In [3]"): grouped
    // as [0,1:execute]: only when identical.
    // Each engine's traceback streams in as it arrives: wait for the run's footer.
    const out = await outputContains('── error: 2 of 2 tasks');
    assert.match(out, /\[0(,1)?:execute\]:\n-+\nZeroDivisionError +Traceback/);
    assert.match(out, /\[(0,)?1:execute\]:\n-+\nZeroDivisionError +Traceback/);
    assert.ok(!out.includes('\u001b['), 'ANSI codes are stripped');
    const diags = await until('a diagnostic on sample.py', () => diagnostics, [], 20_000);
    const d = diags.find((x) => /ZeroDivisionError/.test(x.message));
    assert.ok(d, 'a ZeroDivisionError diagnostic');
  });

  it('runs a file; a run that displays a PNG opens it in the results panel', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    await openScratch('plot.py', `import base64\nfrom IPython.display import Image, display\ndisplay(Image(data=base64.b64decode("${png}")))\n`);
    const before = ctx().output.images.count;
    const r = await vscode.commands.executeCommand<ExecuteResult>(Commands.runFile, { targets: 'all', wait: true });
    assert.ok(r, api.lastError.message);
    assert.equal((await runFinished(r.runId)).state, 'done');
    await outputContains(/\[output:0,1\] .*\(image\/png: see the results panel\)/);
    assert.equal(ctx().output.images.count, before + 2);
  });

  it('code lenses can be switched off', async () => {
    const sample = vscode.Uri.joinPath(workspace, 'sample.py');
    const ours = async () =>
      ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', sample)) ?? []).filter((l) =>
        l.command?.title.includes('on Cluster'),
      );
    assert.ok((await ours()).length > 0);
    const config = vscode.workspace.getConfiguration('ipyparallel');
    await config.update('codeLens.enabled', false, vscode.ConfigurationTarget.Workspace);
    try {
      await until('no code lenses', async () => (await ours()).length === 0, [(l) => vscode.workspace.onDidChangeConfiguration(l)]);
    } finally {
      await config.update('codeLens.enabled', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('interrupts a long run from the Tasks view; aborts what has not started', async () => {
    const editor = await openScratch('long.py', 'import time; time.sleep(60)\n');
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    const long = await vscode.commands.executeCommand<ExecuteResult>(Commands.runSelection, { targets: [0] });
    const queued = await vscode.commands.executeCommand<ExecuteResult>(Commands.runSelection, { targets: [0] });
    assert.ok(long && queued, api.lastError.message);
    await until('the long run to start', () => ctx().model.run(long.runId)?.state === 'running', [runs]);
    assert.equal(ctx().contextValue(ContextKeys.hasRunningTasks), true);
    await vscode.commands.executeCommand(Commands.abortTask, ctx().tasksTree.runNode(queued.runId));
    await vscode.commands.executeCommand(Commands.interruptTask, ctx().tasksTree.runNode(long.runId));
    assert.equal((await runFinished(long.runId)).state, 'error');
    assert.equal((await runFinished(queued.runId)).state, 'aborted');
    await until('no running tasks', () => ctx().contextValue(ContextKeys.hasRunningTasks) === false, [runs]);
  });

  it('aborts a running run from the Tasks view: queued work is aborted and the running cell interrupted', async () => {
    const editor = await openScratch('long-abort.py', 'import time; time.sleep(60)\n');
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    const long = await vscode.commands.executeCommand<ExecuteResult>(Commands.runSelection, { targets: [1] });
    assert.ok(long, api.lastError.message);
    await until('the long task to run', () => ctx().model.run(long.runId)?.tasks[0]?.state === 'running', [runs]);
    const r = await vscode.commands.executeCommand<{ aborted: string[]; interrupted: number[] }>(
      Commands.abortTask,
      ctx().tasksTree.runNode(long.runId),
    );
    assert.ok(r, api.lastError.message);
    assert.deepEqual(r.interrupted, [1]);
    const done = await runFinished(long.runId);
    assert.equal(done.state, 'error');
    assert.match(done.tasks[0].error?.ename ?? '', /KeyboardInterrupt/);
  });

  it('shows queue status, refreshes engines, copies msg_ids, loads the history', async () => {
    const q = await vscode.commands.executeCommand<QueueStatus>(Commands.showQueueStatus);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.ok(q, api.lastError.message);
    assert.deepEqual(Object.keys(q.engines).sort(), ['0', '1']);
    assert.equal(await vscode.commands.executeCommand<number>(Commands.refreshEngines), 2);
    const first = ctx().model.runs[0];
    const ids = await vscode.commands.executeCommand<string[]>(Commands.copyMsgId, ctx().tasksTree.runNode(first.runId));
    assert.deepEqual(ids, first.tasks.map((t) => t.msgId));
    assert.equal(await vscode.env.clipboard.readText(), ids.join('\n'));
    const history = (await ctx().tasksTree.getChildren(ctx().tasksTree.historyNode)) as TasksTreeNode[];
    assert.ok(history.length >= 4, `history has ${history.length} rows`);
    assert.ok(history.every((n) => n.kind === 'historyTask'));
  });

  it('shows a run output again on demand, and purges results', async () => {
    const first = ctx().model.runs.find((r) => r.title === 'x = 6')!;
    ctx().output.flush();
    const before = ctx().output.recentText.length;
    await vscode.commands.executeCommand(Commands.showTaskOutput, ctx().tasksTree.runNode(first.runId));
    assert.match(ctx().output.recentText.slice(before), /^── x = 6 .*──\n\[stdout:0,1\] hello from 42\n── done 2\/2 in .*──\n$/);
    const purged = await vscode.commands.executeCommand<{ purged: number }>(Commands.purgeResults);
    assert.ok(purged, api.lastError.message);
    assert.ok(purged.purged >= 0);
  });

  it('restarting the language server reconnects to the same cluster', async () => {
    const before = ctx().client;
    await vscode.commands.executeCommand(Commands.restartServer);
    assert.notEqual(ctx().client, before, 'a new language client');
    await until('connected again', () => ctx().model.connected && ctx().model.engines.length === 2, [states, engines]);
    assert.equal(ctx().model.connectionFile, cluster!.connectionFile);
  });

  it('a crashed language server is restarted and reconnects', async () => {
    const pid = ctx().client?.serverProcess?.pid;
    assert.ok(pid, 'the server process');
    const reset = until('the crash to be noticed', () => ctx().model.state === 'disconnected', [states]);
    process.kill(pid, 'SIGKILL');
    await reset;
    await until('connected again', () => ctx().model.connected && ctx().model.engines.length === 2, [states, engines], 30_000);
    assert.notEqual(ctx().client?.serverProcess?.pid, pid);
  });

  it('disconnects: context key off, Engines view empty', async () => {
    await vscode.commands.executeCommand(Commands.disconnect);
    await until('disconnected', () => ctx().model.state === 'disconnected', [states]);
    assert.equal(ctx().contextValue(ContextKeys.connected), false);
    assert.deepEqual(ctx().enginesTree.getChildren(), []);
  });
});

describe('local cluster from the extension', function () {
  this.timeout(150_000);
  let ipythonDir: string;

  before(async () => {
    await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate(); // when run alone (IPP_E2E_GREP)
    ipythonDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-ext-local-'));
    await vscode.workspace.getConfiguration('ipyparallel').update('ipythonDir', ipythonDir, vscode.ConfigurationTarget.Workspace);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('ipyparallel').update('ipythonDir', undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(ipythonDir, { recursive: true, force: true });
  });

  it('starts a local cluster, connects once its engine is up, and stops it', async () => {
    const api = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.exports;
    const started = await vscode.commands.executeCommand<{ clusterId: string; connectionFile: string; engines: number }>(
      Commands.startLocalCluster,
      { engines: 1, timeoutMs: 90_000 },
    );
    assert.ok(started, `start failed: ${api.lastError.message}`);
    assert.ok(started.connectionFile.startsWith(ipythonDir), started.connectionFile);
    assert.equal(started.engines, 1);
    assert.equal(api.ctx.contextValue(ContextKeys.localClusterRunning), true);
    assert.equal(api.ctx.model.connected, true);
    const pid = api.ctx.localCluster!.pid!;
    await vscode.commands.executeCommand(Commands.stopLocalCluster);
    assert.equal(api.ctx.contextValue(ContextKeys.localClusterRunning), false);
    assert.equal(api.ctx.model.connected, false);
    assert.throws(() => process.kill(pid, 0), 'ipcluster is gone');
  });

  // Last in the suite: it disposes the extension's Ctx, as deactivate() does when the window closes.
  it('closing the window (deactivate) stops a cluster started from it: no process of it is left', async () => {
    const api = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.exports;
    const started = await vscode.commands.executeCommand<{ connectionFile: string }>(Commands.startLocalCluster, { engines: 1, timeoutMs: 90_000 });
    assert.ok(started, `start failed: ${api.lastError.message}`);
    const ipcluster = api.ctx.localCluster!.pid!;
    // ipcluster, and the controller and engine it started (in sessions of their own, but its children).
    const pids = [ipcluster, ...descendants([ipcluster]).map((p) => p.pid)];
    assert.ok(pids.length >= 3, `ipcluster, a controller and an engine: ${pids.join(', ')}`);
    const t0 = Date.now();
    await api.ctx.dispose();
    const took = Date.now() - t0;
    assert.ok(took < 11_000, `deactivate took ${took} ms`);
    const alive = () => pids.filter((pid) => {
      const st = readStat(pid);
      return st !== undefined && st.state !== 'Z';
    });
    // ipcluster exits once it has told the controller and engines to stop; they may take a moment more.
    await pollUntil(() => alive().length === 0, 5_000);
    const left = alive().map((pid) => `${pid}: ${readCmdline(pid).join(' ')}`);
    assert.deepEqual(left, [], `processes of the local cluster still run 5 s after deactivate returned`);
  });
});
