// A real cluster with CurveZMQ on (IPP_ENABLE_CURVE=1: the controller makes a key pair, writes its public
// key as curve_serverkey and turns the HMAC key off): connect and run end to end, the posture it reports,
// and the clear, prompt errors for a wrong server key and for a client without CURVE.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curveKeyPair } from 'zeromq';
import { ClusterClient, ConnectError } from '../../src/core/client';
import { RecordingLogger, streamText, until } from './clientSupport';
import { TestCluster } from './harness';
import { SSH_PATH, sshdUnavailable, TestSshd } from './harness/sshd';

const TASK_MS = 30_000;

describe('a cluster with CURVE encryption', { timeout: 600_000 }, () => {
  let cluster: TestCluster;
  let dir: string;

  function fileWith(name: string, fields: Record<string, unknown>): string {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify({ ...cluster.connectionInfo(), ...fields }), { mode: 0o600 });
    return path;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ipp-curve-'));
    cluster = await TestCluster.start({ engines: 2, env: { IPP_ENABLE_CURVE: '1' } });
  });

  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects and runs code end to end; an empty key is not a warning', async () => {
    const info = cluster.connection();
    assert.match(info.curveServerKey ?? '', /^.{40}$/, 'the controller wrote its CURVE public key');
    assert.equal(info.key, '', 'IPP_ENABLE_CURVE turns the HMAC key off');
    assert.deepEqual(info.warnings, []);

    const log = new RecordingLogger();
    const client = new ClusterClient({ connectionFile: cluster.connectionFile, logger: log });
    try {
      await client.connect();
      await until(client, () => client.engines().length >= 2, 30_000, '2 engines');
      const run = client.execute("print('curve', 6*7)");
      const tasks = await client.wait(run.id, { timeoutMs: TASK_MS });
      for (const t of tasks) {
        assert.equal(t.state, 'done', JSON.stringify(t.error));
        assert.equal(streamText(t.outputs), 'curve 42\n');
      }
      const security = client.security();
      assert.equal(security?.transport, 'curve');
      assert.equal(security?.signed, false);
      assert.deepEqual(security?.warnings, []);
      assert.ok(!log.lines.some((l) => /^warn .*not signed/.test(l)), 'no unsigned warning in the log');
    } finally {
      client.dispose();
    }
  });

  it('fails promptly and says so when the server key is wrong', async () => {
    const file = fileWith('wrong-key.json', { curve_serverkey: curveKeyPair().publicKey });
    const client = new ClusterClient({ connectionFile: file, connectTimeoutMs: 3000 });
    const started = Date.now();
    try {
      await assert.rejects(client.connect(), (e: unknown) => {
        assert.ok(e instanceof ConnectError, String(e));
        assert.match(e.message, /CURVE handshake never completed/);
        assert.match(e.message, /curve_serverkey does not match/);
        return true;
      });
      assert.equal(client.state, 'disconnected');
    } finally {
      client.dispose();
    }
    assert.ok(Date.now() - started < 15_000, `gave up in ${Date.now() - started} ms`);
  });

  it('fails promptly and says so when the client does not use CURVE', async () => {
    const file = fileWith('no-curve.json', { curve_serverkey: null });
    const client = new ClusterClient({ connectionFile: file, connectTimeoutMs: 3000 });
    try {
      await assert.rejects(client.connect(), (e: unknown) => {
        assert.ok(e instanceof ConnectError, String(e));
        assert.match(e.message, /may require CURVE/);
        return true;
      });
    } finally {
      client.dispose();
    }
  });

  it('works through an SSH tunnel too, and reports CURVE', { skip: sshdUnavailable() }, async () => {
    const sshd = await TestSshd.start();
    const client = new ClusterClient({
      connectionFile: fileWith('curve-ssh.json', { ssh: sshd.server, location: 'login-node.invalid' }),
      ssh: { sshPath: SSH_PATH, extraArgs: sshd.clientArgs() },
    });
    try {
      await client.connect();
      await until(client, () => client.engines().length >= 2, 30_000, '2 engines');
      const tasks = await client.wait(client.execute('6*7').id, { timeoutMs: TASK_MS });
      for (const t of tasks) assert.equal(t.state, 'done', JSON.stringify(t.error));
      assert.equal(client.security()?.transport, 'curve');
    } finally {
      await client.disconnect();
      client.dispose();
      await sshd.stop();
    }
  });
});
