// A real cluster reached only through an SSH tunnel to a real sshd (Debian's openssh-server, started by the
// harness on a loopback port with throwaway keys): connect and run through the tunnel's local ports, the
// tunnel killed and the ssh server restarted mid-session, and the errors when a tunnel cannot start.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClusterClient, type ClientState } from '../../src/core/client';
import { freeLoopbackPorts, SshTunnelError } from '../../src/core/transport';
import { RecordingLogger, streamText, until } from './clientSupport';
import { descendants, TestCluster } from './harness';
import { readCmdline } from './harness/procs';
import { establishedTcpPeerPorts, SSH_PATH, sshdUnavailable, TestSshd } from './harness/sshd';

const TASK_MS = 30_000;
const skip = sshdUnavailable();

/** Our ssh tunnel processes: pid and the local ports of their -L forwards. */
function tunnels(): { pid: number; localPorts: number[]; remotePorts: number[] }[] {
  return descendants([process.pid])
    .map((st) => ({ pid: st.pid, argv: readCmdline(st.pid) }))
    .filter(({ argv }) => argv[0] === SSH_PATH && argv.includes('-N') && argv.includes('ExitOnForwardFailure=yes'))
    .map(({ pid, argv }) => {
      const forwards = argv.filter((_, i) => argv[i - 1] === '-L').map((f) => f.split(':'));
      return { pid, localPorts: forwards.map((f) => Number(f[1])), remotePorts: forwards.map((f) => Number(f[3])) };
    });
}

describe('a remote cluster through an SSH tunnel', { timeout: 600_000, skip }, () => {
  let sshd: TestSshd;
  let cluster: TestCluster;
  let dir: string;
  let file: string;
  let client: ClusterClient;
  const log = new RecordingLogger();
  const states: ClientState[] = [];

  /** A copy of the cluster's connection file as a remote one: `ssh` set, `location` another host. */
  function remoteFile(name: string, fields: Record<string, unknown>): string {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify({ ...cluster.connectionInfo(), location: 'login-node.invalid', ...fields }), { mode: 0o600 });
    chmodSync(path, 0o600);
    return path;
  }

  function sshOptions(extraArgs = sshd.clientArgs()) {
    return { sshPath: SSH_PATH, extraArgs, restartDelaysMs: [100, 250, 500, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000] };
  }

  async function runsEverywhere(c: ClusterClient, what: string): Promise<void> {
    const run = c.execute(`print('${what}', 6*7)`);
    const tasks = await c.wait(run.id, { timeoutMs: TASK_MS });
    assert.equal(tasks.length, 2);
    for (const t of tasks) {
      assert.equal(t.state, 'done', JSON.stringify(t.error));
      assert.equal(streamText(t.outputs), `${what} 42\n`);
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ipp-remote-'));
    sshd = await TestSshd.start();
    cluster = await TestCluster.start({ engines: 2 });
    file = remoteFile('ipcontroller-client.json', { ssh: sshd.server });
  });

  after(async () => {
    client?.dispose();
    log.assertNoSecrets([cluster?.connection().key ?? '']);
    await cluster?.stop();
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(tunnels(), [], 'no ssh process is left behind');
  });

  it('connects and runs code only through the tunnel\'s local ports', async () => {
    client = new ClusterClient({ connectionFile: file, logger: log, ssh: sshOptions() });
    client.onDidChangeState(({ state }) => states.push(state));
    await client.connect();
    await until(client, () => client.engines().length >= 2, 30_000, '2 engines');
    await runsEverywhere(client, 'via ssh');

    const [t, ...more] = tunnels();
    assert.ok(t, 'an ssh tunnel process runs');
    assert.deepEqual(more, [], 'one ssh process carries every channel');
    const info = cluster.connection();
    assert.deepEqual(t.remotePorts.sort(), Object.values(info.ports).sort(), 'every channel is forwarded');
    const peers = new Set(establishedTcpPeerPorts());
    assert.ok(peers.size > 0);
    for (const port of Object.values(info.ports)) assert.ok(!peers.has(port), `no direct connection to the controller's port ${port}`);
    for (const port of peers) assert.ok(t.localPorts.includes(port), `port ${port} is one of the tunnel's local ports`);
    assert.match(sshd.log(), /Accepted publickey for \S+ from 127\.0\.0\.1/);

    const security = client.security();
    assert.equal(security?.transport, 'ssh');
    assert.equal(security?.signed, true);
    assert.deepEqual(security?.warnings, []);
  });

  it('re-establishes a killed tunnel on the same ports and the session carries on', async () => {
    const before = tunnels()[0];
    states.length = 0;
    process.kill(before.pid, 'SIGKILL');
    await until(client, () => states.includes('reconnecting') && client.state === 'connected', 60_000, 'reconnecting, then connected again');
    const now = tunnels();
    assert.equal(now.length, 1);
    assert.notEqual(now[0].pid, before.pid);
    assert.deepEqual(now[0].localPorts, before.localPorts);
    await runsEverywhere(client, 'after the tunnel came back');
    assert.ok(log.lines.some((l) => /tunnel .*dropped/.test(l)));
  });

  it('a task running while the tunnel drops still ends, its output fetched from the hub', async () => {
    const run = client.execute("import time; time.sleep(2); print('survived')");
    await until(client, () => run.msgIds.every((id) => client.task(id)?.state === 'running'), 20_000, 'the tasks running');
    process.kill(tunnels()[0].pid, 'SIGKILL');
    const tasks = await client.wait(run.id, { timeoutMs: 60_000 });
    for (const t of tasks) {
      assert.equal(t.state, 'done', JSON.stringify(t.error));
      assert.equal(streamText(t.outputs), 'survived\n');
    }
    assert.equal(client.state, 'connected');
  });

  it('waits out the ssh server going away and reconnects when it is back', async () => {
    states.length = 0;
    await sshd.pause();
    await until(client, () => client.state === 'reconnecting' && tunnels().length === 0 || undefined, 60_000, 'the client reconnecting without a tunnel');
    assert.throws(() => client.execute('1'), /not connected/i);
    await sshd.resume();
    await until(client, () => client.state === 'connected', 60_000, 'connected again after sshd came back');
    await runsEverywhere(client, 'after sshd came back');
  });

  it('tears the tunnel down on disconnect', async () => {
    await client.disconnect();
    assert.deepEqual(tunnels(), []);
    assert.equal(client.state, 'disconnected');
  });

  it('names the host and quotes ssh when no server listens', async () => {
    const [closed] = await freeLoopbackPorts(1);
    const c = new ClusterClient({ connectionFile: remoteFile('unreachable.json', { ssh: `root@127.0.0.1:${closed}` }), ssh: sshOptions() });
    try {
      await assert.rejects(c.connect(), (e: unknown) => {
        assert.ok(e instanceof SshTunnelError, String(e));
        assert.match(e.message, new RegExp(`^SSH tunnel to root@127\\.0\\.0\\.1:${closed} failed: ssh: connect to host 127\\.0\\.0\\.1 port ${closed}: Connection refused`));
        return true;
      });
      assert.equal(c.state, 'disconnected');
    } finally {
      c.dispose();
    }
    assert.deepEqual(tunnels(), []);
  });

  it('names the host and quotes ssh when the key is refused, without prompting', async () => {
    const stranger = join(dir, 'stranger_key');
    const { spawnSync } = await import('node:child_process');
    assert.equal(spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]).status, 0);
    const args = sshd.clientArgs();
    args[args.indexOf(sshd.clientKey)] = stranger;
    const c = new ClusterClient({ connectionFile: file, ssh: sshOptions(args) });
    const started = Date.now();
    try {
      await assert.rejects(c.connect(), (e: unknown) => {
        assert.ok(e instanceof SshTunnelError, String(e));
        assert.match(e.message, new RegExp(`^SSH tunnel to ${sshd.server.replace(/\./g, '\\.')} failed: .*Permission denied \\(publickey\\)`));
        assert.match(e.message, /never asks for a password/);
        return true;
      });
    } finally {
      c.dispose();
    }
    assert.ok(Date.now() - started < 20_000, 'no prompt, no hang');
  });

  it('uses an ssh server the user set over a connection file without one', async () => {
    const c = new ClusterClient({ connectionFile: remoteFile('no-ssh.json', { ssh: '' }), sshServer: sshd.server, ssh: sshOptions(), logger: log });
    try {
      await c.connect();
      assert.equal(tunnels().length, 1);
      assert.equal(c.security()?.transport, 'ssh');
    } finally {
      await c.disconnect();
      c.dispose();
    }
    assert.deepEqual(tunnels(), []);
  });
});
