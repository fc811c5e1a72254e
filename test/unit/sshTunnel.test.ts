// SshTunnel's process lifecycle with stand-in ssh programs (no sshd needed): a missing binary, an ssh that
// fails with a message, one that hangs, and a fake that listens on the -L ports like a working tunnel.
// Also the real /usr/bin/ssh against a closed loopback port, to show ssh's own words reach the error.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConnectionInfo } from '../../src/core/protocol';
import { ClientTunnel } from '../../src/core/transport/clientTunnel';
import { SshTunnelError } from '../../src/core/transport/sshArgs';
import { freeLoopbackPorts, SshTunnel, type SshTunnelState } from '../../src/core/transport/sshTunnel';

let dir: string;

/** Writes an executable script and returns its path. */
function script(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}

/**
 * A fake ssh: listens on every `-L 127.0.0.1:<port>:...` local port until killed; writes its args to
 * argsFile; fails like an unreachable host while `failFlag` exists.
 */
function fakeSsh(argsFile: string, failFlag = join(dir, 'no-flag')): string {
  return script(
    `fake-ssh-${Math.random().toString(36).slice(2)}`,
    `#!${process.execPath}
const net = require('node:net');
const args = process.argv.slice(2);
if (require('node:fs').existsSync(${JSON.stringify(failFlag)})) {
  process.stderr.write('ssh: connect to host gw port 22: Connection refused\\n');
  process.exit(255);
}
require('node:fs').writeFileSync(${JSON.stringify(argsFile)}, JSON.stringify(args));
for (let i = 0; i < args.length; i++) {
  if (args[i - 1] !== '-L') continue;
  const port = Number(args[i].split(':')[1]);
  net.createServer((s) => s.destroy()).listen(port, '127.0.0.1').on('error', (e) => {
    process.stderr.write('bind [127.0.0.1]:' + port + ': Address already in use\\n');
    process.exit(255);
  });
}
`,
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function nextState(t: SshTunnel<string>, want: SshTunnelState, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`tunnel did not reach ${want} within ${timeoutMs} ms (state ${t.state})`));
    }, timeoutMs);
    const sub = t.onDidChangeState(({ state }) => {
      if (state !== want) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

const remotePorts = { registration: 5001, iopub: 5002 };

describe('SshTunnel', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ipp-sshtunnel-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names a missing ssh client', async () => {
    const t = new SshTunnel({ server: 'alice@gw:2222', remoteHost: '127.0.0.1', remotePorts, sshPath: join(dir, 'no-such-ssh') });
    await assert.rejects(t.start(), (e: unknown) => {
      assert.ok(e instanceof SshTunnelError);
      assert.equal(e.server, 'alice@gw:2222');
      assert.match(e.message, /^SSH tunnel to alice@gw:2222 failed: the ssh client ".*no-such-ssh" was not found/);
      return true;
    });
    assert.equal(t.state, 'failed');
    t.dispose();
  });

  it('quotes ssh\'s stderr when it exits', async () => {
    const ssh = script('deny-ssh', '#!/bin/sh\necho "alice@gw: Permission denied (publickey)." >&2\nexit 255\n');
    const t = new SshTunnel({ server: 'alice@gw', remoteHost: '127.0.0.1', remotePorts, sshPath: ssh });
    await assert.rejects(t.start(), (e: unknown) => {
      assert.ok(e instanceof SshTunnelError);
      assert.equal(e.exitCode, 255);
      assert.equal(e.sshMessage, 'alice@gw: Permission denied (publickey).');
      assert.match(e.message, /^SSH tunnel to alice@gw failed: alice@gw: Permission denied \(publickey\)\. ssh runs in batch mode/);
      return true;
    });
    t.dispose();
  });

  it('shows the real ssh\'s message for an unreachable host', { skip: !existsSync('/usr/bin/ssh') && 'no /usr/bin/ssh' }, async () => {
    const [closed] = await freeLoopbackPorts(1);
    const t = new SshTunnel({
      server: `nobody@127.0.0.1:${closed}`,
      remoteHost: '127.0.0.1',
      remotePorts,
      sshPath: '/usr/bin/ssh',
      extraArgs: ['-F', '/dev/null', '-o', 'UserKnownHostsFile=/dev/null'],
    });
    await assert.rejects(t.start(), (e: unknown) => {
      assert.ok(e instanceof SshTunnelError);
      assert.match(e.message, new RegExp(`^SSH tunnel to nobody@127\\.0\\.0\\.1:${closed} failed: ssh: connect to host 127\\.0\\.0\\.1 port ${closed}: Connection refused`));
      assert.match(e.message, /runs sshd on that port/);
      return true;
    });
    t.dispose();
  });

  it('gives up at the deadline when the ports never open, and kills ssh', async () => {
    const pidFile = join(dir, 'hang.pid');
    const ssh = script('hang-ssh', `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 30\n`);
    const t = new SshTunnel({ server: 'gw', remoteHost: '127.0.0.1', remotePorts, sshPath: ssh, readyTimeoutMs: 300 });
    await assert.rejects(t.start(), /^SshTunnelError: SSH tunnel to gw failed: the forwarded ports did not open within 300 ms; ssh wrote nothing/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(alive(pid), false, 'the hung ssh was killed');
    t.dispose();
  });

  it('comes up on picked ports, re-establishes itself on the same ports after a drop, and stops', async () => {
    const argsFile = join(dir, 'args.json');
    const logs: string[] = [];
    const t = new SshTunnel({
      server: 'root@127.0.0.1:2222',
      remoteHost: '127.0.0.1',
      remotePorts,
      sshPath: fakeSsh(argsFile),
      extraArgs: ['-i', '/tmp/key'],
      restartDelaysMs: [0, 0],
      logger: { trace() {}, debug() {}, info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    });
    try {
      await t.start();
      assert.equal(t.state, 'up');
      const ports = { ...t.localPorts };
      assert.notEqual(ports.registration, ports.iopub);
      assert.deepEqual(t.localUrls(), { registration: `tcp://127.0.0.1:${ports.registration}`, iopub: `tcp://127.0.0.1:${ports.iopub}` });
      const args = JSON.parse(readFileSync(argsFile, 'utf8')) as string[];
      assert.ok(args.includes(`127.0.0.1:${ports.registration}:127.0.0.1:5001`));
      assert.ok(args.includes(`127.0.0.1:${ports.iopub}:127.0.0.1:5002`));
      assert.equal(args.at(-1), 'root@127.0.0.1');

      const firstPid = t.pid as number;
      const dropped = new Promise<{ restarting: boolean; message: string }>((resolve) => t.onDidDrop((d) => resolve({ restarting: d.restarting, message: d.error.message })));
      const down = nextState(t, 'down');
      const upAgain = down.then(() => nextState(t, 'up'));
      process.kill(firstPid, 'SIGKILL');
      const drop = await dropped;
      assert.equal(drop.restarting, true);
      assert.match(drop.message, /SSH tunnel to root@127\.0\.0\.1:2222 failed: ssh was killed by SIGKILL/);
      await upAgain;
      assert.notEqual(t.pid, firstPid);
      assert.deepEqual({ ...t.localPorts }, ports, 'same local ports after the restart');

      const secondPid = t.pid as number;
      await t.restart();
      assert.equal(alive(secondPid), false);
      assert.deepEqual({ ...t.localPorts }, ports);

      const thirdPid = t.pid as number;
      await t.stop();
      assert.equal(t.state, 'stopped');
      assert.equal(alive(thirdPid), false);
      assert.equal(t.pid, undefined);
      await assert.rejects(
        new Promise<void>((resolve, reject) => net.connect(ports.registration, '127.0.0.1').on('connect', resolve).on('error', reject)),
        /ECONNREFUSED/,
      );
      assert.ok(logs.some((l) => /dropped/.test(l)));
    } finally {
      await t.stop();
      t.dispose();
    }
  });

  it('goes to failed when every restart attempt fails', async () => {
    const flag = join(dir, 'fail-now');
    const t = new SshTunnel({ server: 'gw', remoteHost: '127.0.0.1', remotePorts, sshPath: fakeSsh(join(dir, 'args2.json'), flag), restartDelaysMs: [0, 0] });
    const states: string[] = [];
    t.onDidChangeState(({ state }) => states.push(state));
    try {
      await t.start();
      const failed = nextState(t, 'failed');
      writeFileSync(flag, '');
      process.kill(t.pid as number, 'SIGKILL');
      await failed;
      assert.deepEqual(states, ['starting', 'up', 'down', 'starting', 'down', 'starting', 'down', 'failed']);
      // A manual restart after the cause is fixed brings it back.
      rmSync(flag);
      await t.restart();
      assert.equal(t.state, 'up');
    } finally {
      await t.stop();
      t.dispose();
    }
  });

  it('ClientTunnel: direct when no tunnel is needed, one reused tunnel while the ports match, a new one when they change', async () => {
    const base = { interface: 'tcp://127.0.0.1', registration: 5001, control: 5002, mux: 5003, task: 5004, iopub: 5005, notification: 5006, broadcast: 5007, key: 'k' };
    const info = (fields: Record<string, unknown>) => parseConnectionInfo(JSON.stringify({ ...base, ...fields }));
    const argsFile = join(dir, 'args3.json');
    const ct = new ClientTunnel({ sshPath: fakeSsh(argsFile) });
    const pidOf = (c: ClientTunnel): number | undefined => c.tunnel?.pid;
    try {
      assert.equal(await ct.open(info({ ssh: 'u@gw', location: '' })), undefined, 'a local controller is reached directly');
      assert.equal(pidOf(ct), undefined);
      const remote = info({ ssh: 'u@gw:2222', location: 'login.invalid' });
      const urls = await ct.open(remote);
      assert.ok(urls);
      assert.equal(ct.server, 'u@gw:2222');
      assert.equal(new Set(Object.values(urls)).size, 7);
      for (const u of Object.values(urls)) assert.match(u, /^tcp:\/\/127\.0\.0\.1:\d+$/);
      const pid = pidOf(ct) as number;
      assert.deepEqual(await ct.open(remote), urls, 'reused');
      assert.equal(pidOf(ct), pid);
      const moved = await ct.open(info({ ssh: 'u@gw:2222', location: 'login.invalid', mux: 6003 }));
      assert.ok(moved);
      assert.notEqual(pidOf(ct), pid);
      assert.equal(alive(pid), false, 'the old tunnel was stopped');
      assert.ok((JSON.parse(readFileSync(argsFile, 'utf8')) as string[]).includes(`${moved.mux.replace('tcp://', '')}:127.0.0.1:6003`));
      const last = pidOf(ct) as number;
      await ct.close();
      assert.equal(alive(last), false);
    } finally {
      await ct.close();
      ct.dispose();
    }
  });
});
