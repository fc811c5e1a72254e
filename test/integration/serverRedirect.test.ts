// A watched connection file rewritten to name another host or SSH server (issue 10, item 1), with the
// server as a process over stdio and a real cluster: the server asks the client (ipp/confirmRedirect) and
// follows only on an explicit yes; a client that does not answer keeps the connection it had.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ConfirmRedirectRequest,
  ConnectRequest,
  ExecuteRequest,
  StatusRequest,
  WaitRequest,
  type ConfirmRedirectParams,
} from '../../src/shared/protocol';
import { pollUntil, TestCluster } from './harness';
import { ServerUnderTest } from './serverSupport';

describe('language server: a connection file rewritten to point elsewhere', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let dir: string;

  before(async () => {
    cluster = await TestCluster.start({ engines: 2 });
    dir = mkdtempSync(join(tmpdir(), 'ipp-redirect-'));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const redirected = () => ({ ...cluster.connectionInfo(), ssh: 'attacker@127.0.0.1:1', location: '10.255.0.1', interface: 'tcp://10.255.0.1' });

  async function connected(name: string): Promise<{ server: ServerUnderTest; file: string }> {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(cluster.connectionInfo()), { mode: 0o600 });
    const { server } = await ServerUnderTest.start();
    await server.connection.sendRequest(ConnectRequest, { connectionFile: file });
    return { server, file };
  }

  it('a client without ipp/confirmRedirect: not followed, the session goes on', async () => {
    const { server, file } = await connected('a.json');
    try {
      const logs: string[] = [];
      server.connection.onNotification('window/logMessage', (m: { message: string }) => {
        logs.push(m.message);
      });
      writeFileSync(file, JSON.stringify(redirected()));
      assert.ok(await pollUntil(() => logs.some((l) => /not following it/.test(l)), 20_000), `the server did not decide:\n${logs.join('\n')}`);
      assert.match(logs.find((l) => /not following it/.test(l)) ?? '', /now points at 10\.255\.0\.1 through attacker@127\.0\.0\.1:1 instead of 127\.0\.0\.1/);
      const status = await server.connection.sendRequest(StatusRequest);
      assert.equal(status.state, 'connected');
      assert.ok(!server.states.some((s) => s.state === 'reconnecting'), JSON.stringify(server.states));
      const { runId } = await server.connection.sendRequest(ExecuteRequest, { code: 'x = 1', targets: 'all' });
      const r = await server.connection.sendRequest(WaitRequest, { runId, timeoutMs: 30_000 });
      assert.equal(r.state, 'done');
    } finally {
      await server.close();
    }
  });

  it('the client is asked with both targets; on yes the server follows the file', async () => {
    const { server, file } = await connected('b.json');
    const asked: ConfirmRedirectParams[] = [];
    server.connection.onRequest(ConfirmRedirectRequest, (p) => {
      asked.push(p);
      return { follow: true };
    });
    try {
      writeFileSync(file, JSON.stringify(redirected()));
      await server.until(() => server.states.some((s) => s.state === 'reconnecting' || s.state === 'disconnected'), 30_000, 'the server to follow');
      assert.deepEqual(asked, [{ connectionFile: file, from: { host: '127.0.0.1' }, to: { host: '10.255.0.1', sshServer: 'attacker@127.0.0.1:1' } }]);
    } finally {
      await server.close();
    }
  });
});
