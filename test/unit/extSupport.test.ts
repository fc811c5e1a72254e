import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCodes } from '../../src/shared/protocol';
import { describeError, isResponseError } from '../../src/extension/errors';
import { renderImagesHtml } from '../../src/extension/output/imagesHtml';
import { ipclusterArgs } from '../../src/extension/localCluster';
import { parseShebang, pythonCandidates } from '../../src/extension/python';
import { RestartPolicy } from '../../src/extension/restartPolicy';
import { connectParamsFromSettings, DEFAULT_SETTINGS, readSettings, SETTING_KEYS, sshOptionsFromSettings, toServerSettings } from '../../src/extension/settings';
import { tempDir, writeFile } from './support/tempDir';

describe('settings', () => {
  it('reads every setting, falling back to defaults for missing or mistyped values', () => {
    assert.deepEqual(readSettings(() => undefined), DEFAULT_SETTINGS);
    const values: Record<string, unknown> = {
      profile: ' mpi ',
      defaultTargets: 'balanced',
      connectTimeout: 3,
      requestTimeout: -1,
      'codeLens.enabled': false,
      'hover.enabled': 'yes',
    };
    const s = readSettings((k) => values[k]);
    assert.equal(s.profile, 'mpi');
    assert.equal(s.defaultTargets, 'balanced');
    assert.equal(s.connectTimeout, 3);
    assert.equal(s.requestTimeout, 1, 'a timeout below 1 s is raised to 1 s');
    assert.equal(s.codeLensEnabled, false);
    assert.equal(s.hoverEnabled, true);
    assert.equal(readSettings((k) => (k === 'defaultTargets' ? 'everywhere' : undefined)).defaultTargets, 'all');
  });

  it('clamps every timeout to at least 1 s: 0 never means "no timeout"', () => {
    for (const v of [0, -5, 0.2]) {
      const s = readSettings((k) => (k === 'connectTimeout' || k === 'requestTimeout' ? v : undefined));
      assert.equal(s.connectTimeout, 1, `connectTimeout ${v}`);
      assert.equal(s.requestTimeout, 1, `requestTimeout ${v}`);
      assert.equal(toServerSettings(s).requestTimeoutMs, 1000);
    }
    assert.equal(readSettings((k) => (k === 'requestTimeout' ? 'x' : undefined)).requestTimeout, DEFAULT_SETTINGS.requestTimeout);
  });

  it('sends the output bound in bytes, and evaluate only for a trusted workspace', () => {
    assert.equal(toServerSettings(DEFAULT_SETTINGS).maxOutputBytesPerTask, 32 * 1024 * 1024);
    assert.equal(toServerSettings({ ...DEFAULT_SETTINGS, maxOutputPerTaskMB: 0.5 }).maxOutputBytesPerTask, 524288);
    assert.equal(readSettings((k) => (k === 'maxOutputPerTaskMB' ? 0 : undefined)).maxOutputPerTaskMB, 32);
    assert.equal(toServerSettings(DEFAULT_SETTINGS).evaluate, true);
    assert.equal(toServerSettings(DEFAULT_SETTINGS, false).evaluate, false);
  });

  it('maps to the server settings in ms', () => {
    const s = toServerSettings({ ...DEFAULT_SETTINGS, connectTimeout: 2.5, completionEnabled: false });
    assert.equal(s.connectTimeoutMs, 2500);
    assert.equal(s.requestTimeoutMs, 30000);
    assert.equal(s.completion, false);
    assert.equal(s.diagnostics, true);
  });

  it('connect params: the connection file wins over profile and cluster id', () => {
    assert.deepEqual(connectParamsFromSettings({ ...DEFAULT_SETTINGS, connectionFile: '/f.json', profile: 'x' }), { connectionFile: '/f.json' });
    assert.deepEqual(connectParamsFromSettings({ ...DEFAULT_SETTINGS, clusterId: 'c', ipythonDir: '/ip' }), { profile: 'default', clusterId: 'c', ipythonDir: '/ip' });
    assert.deepEqual(sshOptionsFromSettings(DEFAULT_SETTINGS), {});
    const ssh = readSettings((k) => ({ 'ssh.server': ' bob@gw:22 ', 'ssh.args': ['-i', '', '/k'], 'ssh.path': 42 } as Record<string, unknown>)[k]);
    assert.deepEqual(sshOptionsFromSettings(ssh), { sshServer: 'bob@gw:22', sshArgs: ['-i', '/k'] });
    assert.deepEqual(readSettings((k) => (k === 'ssh.args' ? ['-i', 3] : undefined)).sshArgs, []);
  });

  it('has a key for every field', () => {
    assert.deepEqual(Object.keys(SETTING_KEYS).sort(), Object.keys(DEFAULT_SETTINGS).sort());
  });
});

describe('restart policy', () => {
  it('restarts up to the limit within the window, then gives up; old crashes age out', () => {
    let now = 0;
    const p = new RestartPolicy(2, 1000, () => now);
    assert.equal(p.shouldRestart(), true);
    now = 100;
    assert.equal(p.shouldRestart(), true);
    now = 200;
    assert.equal(p.shouldRestart(), false);
    now = 1150;
    assert.equal(p.shouldRestart(), true, 'the first two crashes are older than the window');
    p.reset();
    assert.equal(p.recentCrashes, 0);
  });
});

describe('errors reach the user as one line', () => {
  it('describes ipp/* response errors by code', () => {
    assert.match(describeError({ code: ErrorCodes.NotConnected, message: 'x' }), /Not connected/);
    assert.equal(
      describeError({ code: ErrorCodes.ConnectFailed, message: 'missing field', data: { code: 'ERR_CONNECTION_FILE', file: '/c.json', field: 'key' } }),
      'Could not connect: missing field (file /c.json, field "key")',
    );
    assert.equal(describeError({ code: ErrorCodes.RemoteFailed, message: 'hub', data: { ename: 'KeyError', evalue: "'x'" } }), "KeyError: 'x'");
    assert.equal(describeError(new Error('plain')), 'plain');
    assert.equal(isResponseError({ code: 1 }), false);
  });
});

describe('finding Python for ipcluster', () => {
  it('parses shebangs, including env and flags', () => {
    assert.equal(parseShebang('#!/usr/bin/python3'), '/usr/bin/python3');
    assert.equal(parseShebang('#! /opt/py/bin/python3.11 -E'), '/opt/py/bin/python3.11');
    assert.equal(parseShebang('#!/usr/bin/env python3'), 'python3');
    assert.equal(parseShebang('#!/usr/bin/env -S PYTHONPATH=x python3 -u'), 'python3');
    assert.equal(parseShebang('import sys'), undefined);
  });

  it('the setting alone when set; else IPP_PYTHON, the ipcluster shebang, /usr/bin/python3 (never python3 on PATH)', () => {
    const dir = tempDir('ipcluster');
    const ipcluster = writeFile(join(dir, 'ipcluster'), '#!/opt/venv/bin/python\nimport sys\n');
    chmodSync(ipcluster, 0o755);
    const env = { PATH: dir, IPP_PYTHON: '/env/python' };
    assert.deepEqual(pythonCandidates('/my/python', env), [{ command: '/my/python', source: 'setting' }]);
    assert.deepEqual(pythonCandidates('', env), [
      { command: '/env/python', source: 'IPP_PYTHON' },
      { command: '/opt/venv/bin/python', source: 'ipcluster' },
      { command: '/usr/bin/python3', source: 'default' },
    ]);
    assert.deepEqual(pythonCandidates('', { PATH: '/nonexistent' }), [{ command: '/usr/bin/python3', source: 'default' }]);
  });

  it('ipcluster arguments name the cluster id, and the profile and IPython dir when set', () => {
    assert.deepEqual(ipclusterArgs({ engines: 2, clusterId: 'vscode-x' }), ['-m', 'ipyparallel.cluster', 'start', '--n=2', '--cluster-id=vscode-x']);
    assert.deepEqual(ipclusterArgs({ engines: 3, clusterId: 'c', profile: 'mpi', ipythonDir: '/ip' }).slice(5), ['--profile=mpi', '--ipython-dir=/ip']);
  });
});

describe('results panel HTML', () => {
  it('allows only data: images and inline styles, and escapes captions', () => {
    const html = renderImagesHtml([{ runTitle: '<script>x</script>', engineId: 1, png: 'iVBOR"w0=' }], 'vscode-resource:');
    assert.match(html, /default-src 'none'; img-src data: vscode-resource:; style-src 'unsafe-inline';/);
    assert.ok(!html.includes('<script>x'));
    assert.match(html, /engine 1 · &lt;script&gt;/);
    assert.match(html, /src="data:image\/png;base64,iVBORw0="/);
    assert.match(renderImagesHtml([], 'x'), /No images yet/);
  });
});
