// The platform branches (src/core/platform.ts and its callers) with an injected platform, path flavour
// and file checks: Windows and macOS run here on Linux. No process is killed or started.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { candidateNames, defaultSshPath, fallbackPython, gracefulStopSignal, killProcessTree, pathFor, taskkillArgs, whichOn, type KillDeps } from '../../src/core/platform';
import { sshCommand } from '../../src/core/transport/sshTunnel';
import { ipclusterArgs, ipclusterStopArgs } from '../../src/extension/localCluster';
import { pythonCandidates } from '../../src/extension/python';

/** A fake kill/run that records what it was asked and fails as told. */
function recorder(o: { killThrows?: boolean; status?: number } = {}) {
  const calls: string[] = [];
  const deps: KillDeps = {
    kill: (pid, signal) => {
      calls.push(`kill ${pid} ${signal}`);
      if (o.killThrows) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
    },
    run: (file, args) => {
      calls.push(`${file} ${args.join(' ')}`);
      return { status: o.status ?? 0, error: undefined };
    },
  };
  return { calls, deps };
}

describe('platform: killing a process tree', () => {
  it('Windows: taskkill /pid N /T /F, never a signal or a negative pid', () => {
    const r = recorder();
    assert.equal(killProcessTree(4242, 'SIGTERM', 'win32', r.deps), true);
    assert.deepEqual(r.calls, ['taskkill /pid 4242 /T /F']);
    assert.deepEqual(taskkillArgs(7), ['/pid', '7', '/T', '/F']);
  });

  it('Windows: a taskkill that fails (the process is gone: status 128) reports false', () => {
    const r = recorder({ status: 128 });
    assert.equal(killProcessTree(4242, 'SIGKILL', 'win32', r.deps), false);
  });

  for (const platform of ['darwin', 'linux'] as const) {
    it(`${platform}: the signal goes to the process group (kill(-pid))`, () => {
      const r = recorder();
      assert.equal(killProcessTree(4242, 'SIGTERM', platform, r.deps), true);
      assert.deepEqual(r.calls, ['kill -4242 SIGTERM']);
      const gone = recorder({ killThrows: true });
      assert.equal(killProcessTree(4242, 'SIGKILL', platform, gone.deps), false);
    });
  }

  it('ipcluster is asked to stop with SIGINT on POSIX, with `ipcluster stop` on Windows', () => {
    assert.equal(gracefulStopSignal('linux'), 'SIGINT');
    assert.equal(gracefulStopSignal('darwin'), 'SIGINT');
    assert.equal(gracefulStopSignal('win32'), undefined);
    const o = { clusterId: 'vscode-x', profile: 'mpi', ipythonDir: 'C:\\Users\\me\\.ipython' };
    assert.deepEqual(ipclusterStopArgs(o), ['-m', 'ipyparallel.cluster', 'stop', '--cluster-id=vscode-x', '--profile=mpi', '--ipython-dir=C:\\Users\\me\\.ipython']);
    assert.deepEqual(ipclusterArgs({ ...o, engines: 2 }).slice(3), ['--n=2', ...ipclusterStopArgs(o).slice(3)]);
  });
});

describe('platform: finding programs', () => {
  const winFiles = new Set(['C:\\Python311\\Scripts\\ipcluster.exe', 'C:\\Python311\\python.exe', 'C:\\Windows\\System32\\OpenSSH\\ssh.exe']);
  const onWin = { platform: 'win32' as const, pathExt: '.COM;.EXE;.BAT;.CMD', isExecutable: (f: string) => winFiles.has(f) };

  it('path flavour: path.win32 on Windows, path.posix on macOS and Linux', () => {
    assert.equal(pathFor('win32'), path.win32);
    assert.equal(pathFor('darwin'), path.posix);
    assert.equal(pathFor('linux').delimiter, ':');
  });

  it('Windows: PATH is split on ";" and a bare name tries each PATHEXT extension', () => {
    assert.deepEqual(candidateNames('ipcluster', 'win32', '.EXE;.CMD'), ['ipcluster.exe', 'ipcluster.cmd']);
    assert.deepEqual(candidateNames('python.exe', 'win32', '.EXE;.CMD'), ['python.exe']);
    assert.deepEqual(candidateNames('ipcluster', 'darwin'), ['ipcluster']);
    assert.equal(whichOn('ipcluster', 'C:\\Windows;C:\\Python311\\Scripts', onWin), 'C:\\Python311\\Scripts\\ipcluster.exe');
    assert.equal(whichOn('C:\\Python311\\python.exe', '', onWin), 'C:\\Python311\\python.exe');
    assert.equal(whichOn('ssh', 'C:\\Python311', onWin), undefined);
  });

  it('macOS: PATH is split on ":" and names are taken as they are', () => {
    const files = new Set(['/opt/homebrew/bin/ipcluster']);
    const onMac = { platform: 'darwin' as const, isExecutable: (f: string) => files.has(f) };
    assert.equal(whichOn('ipcluster', '/usr/bin:/opt/homebrew/bin', onMac), '/opt/homebrew/bin/ipcluster');
    assert.equal(whichOn('/opt/homebrew/bin/ipcluster', '', onMac), '/opt/homebrew/bin/ipcluster');
  });

  it('ssh: on PATH as `ssh`; on Windows without one, the OpenSSH client in System32', () => {
    assert.equal(defaultSshPath({ PATH: 'C:\\Python311' }, onWin), 'C:\\Windows\\System32\\OpenSSH\\ssh.exe');
    assert.equal(defaultSshPath({ Path: 'C:\\Windows\\System32\\OpenSSH' }, onWin), 'ssh');
    const elsewhere = { ...onWin, isExecutable: (f: string) => f === 'D:\\Win\\System32\\OpenSSH\\ssh.exe' };
    assert.equal(defaultSshPath({ PATH: '', SystemRoot: 'D:\\Win' }, elsewhere), 'D:\\Win\\System32\\OpenSSH\\ssh.exe');
    assert.equal(defaultSshPath({ PATH: '' }, { ...onWin, isExecutable: () => false }), 'ssh', 'none installed: the error names ssh');
    assert.equal(defaultSshPath({ PATH: '' }, { platform: 'darwin', isExecutable: () => false }), 'ssh');
  });

  it('ssh is spawned directly on Windows, under the sh watchdog on macOS and Linux', () => {
    const exe = 'C:\\Windows\\System32\\OpenSSH\\ssh.exe';
    assert.deepEqual(sshCommand(exe, ['-N', 'login'], 'win32'), { file: exe, args: ['-N', 'login'], watchdog: false });
    const mac = sshCommand('ssh', ['-N', 'login'], 'darwin');
    assert.equal(mac.file, '/bin/sh');
    assert.equal(mac.watchdog, true);
    assert.deepEqual(mac.args.slice(-3), ['ssh', '-N', 'login']);
  });

  it('the last Python candidate: python on PATH on Windows, /usr/bin/python3 elsewhere', () => {
    assert.equal(fallbackPython('win32', '/usr/bin/python3'), 'python');
    assert.equal(fallbackPython('darwin', '/usr/bin/python3'), '/usr/bin/python3');
    const env = { PATH: '' };
    assert.equal(pythonCandidates('', env, 'win32').at(-1)?.command, 'python');
    assert.equal(pythonCandidates('', env, 'darwin').at(-1)?.command, '/usr/bin/python3');
  });
});
