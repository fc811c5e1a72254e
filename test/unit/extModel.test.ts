import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineInfo, RunSummary } from '../../src/shared/protocol';
import { ClusterModel, type EnginesChange, type RunsChange } from '../../src/extension/model';
import { clusterName, statusView } from '../../src/extension/statusText';

const engine = (id: number, over: Partial<EngineInfo> = {}): EngineInfo => ({ id, uuid: `u${id}`, status: 'idle', queue: 0, completed: 0, tasks: 0, ...over });
const run = (runId: string, state: RunSummary['state'], created = '2025-01-01T00:00:00Z'): RunSummary => ({
  runId,
  title: runId,
  code: runId,
  targets: 'all',
  created,
  done: state === 'running' ? 0 : 1,
  total: 1,
  state,
  elapsedMs: 1,
  tasks: [{ msgId: `${runId}-m`, queue: 'mux', engineId: 0, state, submitted: created, outputCount: 0 }],
});
const security = { signed: true, signatureScheme: 'hmac-sha256', transport: 'plain' as const, loopback: true, warnings: [] };
const zero = { badSignature: 0, replay: 0, malformed: 0, byChannel: {} };

describe('ClusterModel', () => {
  it('diffs engine tables into added, removed and changed', () => {
    const m = new ClusterModel();
    const changes: EnginesChange[] = [];
    m.onDidChangeEngines((c) => changes.push(c));
    m.setEngines([engine(0), engine(1)]);
    m.setEngines([engine(0), engine(1)]);
    m.setEngines([engine(1, { status: 'busy' }), engine(2)]);
    assert.deepEqual(changes, [
      { added: [0, 1], removed: [], changed: [] },
      { added: [2], removed: [0], changed: [1] },
    ]);
    assert.deepEqual(m.engines.map((e) => e.id), [1, 2]);
  });

  it('applies task deltas, orders runs newest first and counts running tasks', () => {
    const m = new ClusterModel();
    const changes: RunsChange[] = [];
    m.onDidChangeRuns((c) => changes.push(c));
    m.applyTasks({ runs: [run('a', 'done', '2025-01-01T00:00:01Z'), run('b', 'running', '2025-01-01T00:00:02Z')], removed: [] });
    assert.deepEqual(m.runs.map((r) => r.runId), ['b', 'a']);
    assert.equal(m.runningTasks, 1);
    assert.equal(m.hasRunningTasks, true);
    m.applyTasks({ runs: [run('b', 'done', '2025-01-01T00:00:02Z')], removed: ['a', 'zz'] });
    assert.equal(m.hasRunningTasks, false);
    assert.deepEqual(changes[1], { added: [], removed: ['a'], changed: ['b'] });
    m.setRuns([run('c', 'done')]);
    assert.deepEqual(changes[2], { added: ['c'], removed: ['b'], changed: [] });
  });

  it('fires state changes once per change, and forgets engines and security on disconnect', () => {
    const m = new ClusterModel();
    const states: string[] = [];
    let status = 0;
    m.onDidChangeState((s) => states.push(s));
    m.onDidChangeStatus(() => status++);
    m.setConnected('/x/ipcontroller-client.json', security, [engine(0)]);
    m.setState({ state: 'connected' });
    assert.equal(m.connected, true);
    assert.equal(m.connectionFile, '/x/ipcontroller-client.json');
    m.setState({ state: 'disconnected', message: 'controller went away' });
    assert.deepEqual(states, ['connected', 'disconnected']);
    assert.equal(m.engines.length, 0);
    assert.equal(m.security, undefined);
    assert.equal(m.message, 'controller went away');
    assert.ok(status >= 3);
  });

  it('reset() forgets runs and disconnects', () => {
    const m = new ClusterModel();
    m.setConnected('/f', security, [engine(0)]);
    m.applyTasks({ runs: [run('a', 'running')], removed: [] });
    m.reset('the language server stopped');
    assert.equal(m.runs.length, 0);
    assert.equal(m.state, 'disconnected');
    assert.equal(m.message, 'the language server stopped');
  });
});

describe('status bar text', () => {
  it('names the cluster from its connection file', () => {
    assert.equal(clusterName('/h/.ipython/profile_default/security/ipcontroller-client.json'), 'default');
    assert.equal(clusterName('/h/.ipython/profile_default/security/ipcontroller-vscode-x1-client.json'), 'vscode-x1');
    assert.equal(clusterName('/h/.ipython/profile_mpi/security/ipcontroller-abc-client.json'), 'mpi:abc');
    assert.equal(clusterName('/tmp/my-cluster.json'), 'my-cluster');
    assert.equal(clusterName(undefined), 'cluster');
  });

  it('shows cluster, engines, running tasks and a signed cluster without warnings', () => {
    const v = statusView({ state: 'connected', connectionFile: '/p/profile_default/security/ipcontroller-client.json', engines: 4, runningTasks: 2, security, dropped: zero });
    assert.equal(v.text, '$(server-process) default  4 engines  $(sync~spin) 2');
    assert.equal(v.severity, undefined);
    assert.match(v.tooltip, /signed \(hmac-sha256\), plain TCP on loopback/);
  });

  it('names the SSH tunnel or CURVE encryption the link goes through', () => {
    const base = { state: 'connected' as const, connectionFile: '/p/profile_default/security/ipcontroller-client.json', engines: 2, runningTasks: 0, dropped: zero };
    const ssh = statusView({ ...base, security: { ...security, transport: 'ssh', tunnel: 'alice@login.hpc:2222', loopback: false } });
    assert.match(ssh.tooltip, /signed \(hmac-sha256\), SSH tunnel via alice@login\.hpc:2222/);
    const curve = statusView({ ...base, security: { ...security, signed: false, transport: 'curve', loopback: false } });
    assert.match(curve.tooltip, /CurveZMQ-encrypted/);
  });

  it("shows the cluster's ipyparallel and Python versions in the tooltip, or unknown", () => {
    const base = { state: 'connected' as const, connectionFile: '/p/profile_default/security/ipcontroller-client.json', engines: 2, runningTasks: 0, security, dropped: zero };
    const known = statusView({ ...base, ipyparallelVersion: '9.2.0.dev0', pythonVersion: '3.11.2' });
    assert.match(known.tooltip, /^Engines: 2; running tasks: 0\nipyparallel 9\.2\.0\.dev0 \(Python 3\.11\.2\), as reported by an engine\nSecurity:/m);
    assert.match(statusView({ ...base, ipyparallelVersion: 'unknown' }).tooltip, /^ipyparallel: unknown/m);
    const asking = statusView(base).tooltip;
    assert.doesNotMatch(asking, /ipyparallel/);
    assert.match(asking, /running tasks: 0\nSecurity:/, 'no blank line while the version is being asked');
  });

  it('warns about an unsigned cluster and dropped messages', () => {
    const v = statusView({
      state: 'connected',
      engines: 1,
      runningTasks: 0,
      security: { ...security, signed: false, warnings: ['the key is empty'] },
      dropped: { badSignature: 2, replay: 1, malformed: 0, byChannel: {} },
    });
    assert.equal(v.text, '$(server-process) cluster  1 engine  $(unlock) unsigned  $(warning) 3 dropped');
    assert.equal(v.severity, 'error');
    assert.match(v.tooltip, /UNSIGNED/);
    assert.match(v.tooltip, /2 bad signature, 1 replayed, 0 malformed/);
    assert.match(v.tooltip, /the key is empty/);
  });

  it('disconnected and connecting states', () => {
    assert.equal(statusView({ state: 'disconnected', engines: 0, runningTasks: 0, dropped: zero }).text, '$(debug-disconnect) IPython Parallel');
    const failed = statusView({ state: 'disconnected', engines: 0, runningTasks: 0, dropped: zero, message: 'connection refused' });
    assert.equal(failed.severity, 'warning');
    assert.match(failed.tooltip, /connection refused/);
    assert.match(statusView({ state: 'reconnecting', engines: 0, runningTasks: 0, dropped: zero }).text, /reconnecting/);
  });

  it('the quiet idle state until the language server is first started, unless something failed', () => {
    const idle = statusView({ state: 'disconnected', engines: 0, runningTasks: 0, dropped: zero, serverStarted: false });
    assert.equal(idle.text, 'IPython Parallel');
    assert.equal(idle.severity, undefined);
    assert.match(idle.tooltip, /Click for actions/);
    const started = statusView({ state: 'disconnected', engines: 0, runningTasks: 0, dropped: zero, serverStarted: true });
    assert.equal(started.text, '$(debug-disconnect) IPython Parallel');
    const failed = statusView({ state: 'disconnected', engines: 0, runningTasks: 0, dropped: zero, serverStarted: false, message: 'no server' });
    assert.equal(failed.severity, 'warning');
    assert.match(statusView({ state: 'connecting', engines: 0, runningTasks: 0, dropped: zero, serverStarted: false }).text, /connecting/);
  });
});
