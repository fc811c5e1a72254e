// Nothing is left running (issue 10, item 5): the language server, connected to a real cluster through a
// real sshd, is killed with SIGKILL (no handler runs), SIGTERM or SIGHUP; within 5 s its ssh tunnel process is gone
// (checked by pid) and the tunnel's forwarded local ports are closed.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConnectRequest } from '../../src/shared/protocol';
import { descendants, pollUntil, readStat, TestCluster } from './harness';
import { readCmdline } from './harness/procs';
import { SSH_PATH, sshdUnavailable, TestSshd } from './harness/sshd';
import { ServerUnderTest } from './serverSupport';

const skip = sshdUnavailable();

/** ssh tunnel processes under `root`: pid and the local ports of their -L forwards. */
function tunnelsUnder(root: number): { pid: number; localPorts: number[] }[] {
  return descendants([root])
    .map((st) => ({ pid: st.pid, argv: readCmdline(st.pid) }))
    .filter(({ argv }) => argv[0] === SSH_PATH && argv.includes('-N'))
    .map(({ pid, argv }) => ({ pid, localPorts: argv.filter((_, i) => argv[i - 1] === '-L').map((f) => Number(f.split(':')[1])) }));
}

/** Gone, or a zombie waiting for init to reap it. */
function dead(pid: number): boolean {
  const st = readStat(pid);
  return st === undefined || st.state === 'Z' || st.state === 'X';
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('the ssh tunnel dies with the language server', { timeout: 300_000, skip }, () => {
  let sshd: TestSshd;
  let cluster: TestCluster;
  let dir: string;
  let file: string;
  const leftovers: number[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ipp-sshlife-'));
    sshd = await TestSshd.start();
    cluster = await TestCluster.start({ engines: 2 });
    file = join(dir, 'ipcontroller-client.json');
    writeFileSync(file, JSON.stringify({ ...cluster.connectionInfo(), location: 'login-node.invalid', ssh: sshd.server }), { mode: 0o600 });
    chmodSync(file, 0o600);
  });

  after(async () => {
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await cluster?.stop();
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const signal of ['SIGKILL', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} of the server: its ssh is gone within 5 s and the forwarded ports are closed`, async () => {
      const { server } = await ServerUnderTest.start();
      try {
        const r = await server.connection.sendRequest(ConnectRequest, { connectionFile: file, sshPath: SSH_PATH, sshArgs: sshd.clientArgs() });
        assert.equal(r.security.transport, 'ssh');
        const serverPid = server.proc.pid as number;
        const tunnels = tunnelsUnder(serverPid);
        assert.equal(tunnels.length, 1, 'one ssh process under the server');
        const [{ pid, localPorts }] = tunnels;
        leftovers.push(pid);
        assert.equal(localPorts.length, Object.keys(cluster.connection().ports).length);
        for (const port of localPorts) assert.equal(await accepts(port), true, `forwarded port ${port} is open while connected`);

        server.proc.kill(signal);
        const gone = await pollUntil(() => dead(pid), 5000);
        assert.ok(gone, `ssh (pid ${pid}) still runs 5 s after ${signal} of the server`);
        for (const port of localPorts) assert.equal(await accepts(port), false, `forwarded port ${port} still accepts connections`);
      } finally {
        await server.close();
      }
    });
  }
});
