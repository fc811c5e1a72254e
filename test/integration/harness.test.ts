// Tests of the real-cluster harness itself (test/integration/harness). Real ipyparallel processes, small
// clusters (at most 2 engines), generous deadlines for a loaded 2-core machine, no fixed sleeps.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { findIpyparallelPython, readStat, redact, TestCluster, withCluster } from './harness';

const REGISTER_MS = 60_000;

/** True while `pid` is a running process (a zombie or a missing pid counts as gone). */
function running(pid: number): boolean {
  const st = readStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

describe('findIpyparallelPython', () => {
  it('finds an interpreter that imports ipyparallel', () => {
    const python = findIpyparallelPython();
    assert.ok(existsSync(python), python);
  });

  it('names what it tried and what to install when nothing has ipyparallel', () => {
    assert.throws(
      () => findIpyparallelPython({ IPP_PYTHON: '/bin/false', PATH: '/nonexistent' }, []),
      (e: Error) => /IPP_PYTHON \(\/bin\/false\)/.test(e.message) && /apt-get install python3-ipyparallel/.test(e.message) && /ipcluster on PATH: not found/.test(e.message),
    );
  });

  it('redacts keys from log text', () => {
    const line = `Config changed: {'Session': {'key': b'0123abcd-0123456789abcdef01234567', 'signature_scheme': 'hmac-sha256'}} "key": "s3cret"`;
    const out = redact(line, ['s3cret']);
    assert.ok(!out.includes('0123abcd'), out);
    assert.ok(!out.includes('s3cret'), out);
    assert.match(out, /hmac-sha256/);
  });
});

describe('TestCluster', { timeout: 600_000 }, () => {
  it('ipcluster mode: starts, registers 2 engines, loses one to killEngine, and stops without leftovers', async (t) => {
    const t0 = Date.now();
    const cluster = await TestCluster.start({ engines: 2 });
    try {
      t.diagnostic(`ipcluster start -> 2 engines registered: ${seconds(t0)}`);
      assert.ok(existsSync(cluster.connectionFile));
      assert.equal(cluster.connectionFile, join(cluster.ipythonDir, 'profile_default', 'security', 'ipcontroller-client.json'));
      const info = cluster.connectionInfo();
      assert.equal(info.interface, 'tcp://127.0.0.1');
      assert.equal(typeof info.key, 'string');
      assert.equal(Object.keys(await cluster.registeredEngines()).length, 2);

      const ctl = cluster.controllerPid();
      assert.ok(ctl !== undefined && running(ctl));
      const engines = cluster.engines().filter((e) => e.alive);
      assert.equal(engines.length, 2);
      for (const e of engines) {
        assert.equal(e.source, 'ipcluster');
        assert.ok(e.nannyPid !== undefined, 'each 7.x engine has a nanny');
        assert.equal(readStat(e.nannyPid)?.ppid, e.pid, 'the nanny is a child of the kernel');
        assert.equal(readStat(e.pid)?.pgrp, e.pid, 'the kernel leads its own process group');
        assert.equal(readStat(e.nannyPid)?.pgrp, e.nannyPid, 'the nanny has its own session/group');
      }
      assert.deepEqual(new Set(engines.map((e) => cluster.engineIdOf(e.pid))), new Set([0, 1]));

      const [victim] = engines;
      const t1 = Date.now();
      await cluster.killEngine(0);
      assert.ok(!running(victim.pid), 'the kernel is gone');
      assert.ok(!running(victim.nannyPid as number), 'its nanny exited too');
      const left = await cluster.waitForEngineCount((n) => n === 1, REGISTER_MS, 'exactly 1 engine');
      t.diagnostic(`killEngine -> Hub lists 1 engine: ${seconds(t1)}`);
      assert.ok(!Object.keys(left).includes(String(cluster.engineIdOf(victim.pid))));
      assert.deepEqual(cluster.enginePids(), [engines[1].pid]);
    } finally {
      const pids = cluster.allPids();
      const t2 = Date.now();
      await cluster.stop();
      t.diagnostic(`stop: ${seconds(t2)}`);
      assert.deepEqual(pids.filter(running), [], 'no process left behind');
      assert.ok(!existsSync(cluster.ipythonDir), 'temp IPYTHONDIR removed');
      await cluster.stop(); // idempotent
    }
  });

  it('separate mode: killController, then restartController with a new key and new ports, then with --reuse', async (t) => {
    const t0 = Date.now();
    const cluster = await TestCluster.start({ engines: 2, mode: 'separate', controllerArgs: ['--DictDB.record_limit=100000'] });
    try {
      t.diagnostic(`separate start -> 2 engines registered: ${seconds(t0)}`);
      const before = cluster.connection();
      const oldPids = cluster.allPids();
      assert.ok(oldPids.length >= 2 + 2 + 2, `controller group, 2 kernels, 2 nannies: ${oldPids.length}`);
      const ctl = cluster.controllerPid() as number;
      const ctlGroup = oldPids.filter((p) => readStat(p)?.pgrp === ctl);
      assert.ok(ctlGroup.length > 1, 'the Hub runs its schedulers as child processes in its group');

      await cluster.killController();
      assert.deepEqual(ctlGroup.filter(running), [], 'the whole controller group is gone');
      assert.equal(cluster.controllerPid(), undefined);
      await assert.rejects(cluster.registeredEngines(1500), /no connection_reply/);

      const t1 = Date.now();
      await cluster.restartController({ newKey: true });
      t.diagnostic(`restartController(newKey) -> 2 engines registered: ${seconds(t1)}`);
      const after = cluster.connection();
      assert.notEqual(after.key, before.key, 'new key');
      assert.notDeepEqual(after.ports, before.ports, 'new ports');
      assert.equal(Object.keys(await cluster.registeredEngines()).length, 2);
      assert.deepEqual(oldPids.filter(running), [], 'old controller and engines are gone');
      assert.equal(cluster.enginePids().length, 2);

      const t2 = Date.now();
      await cluster.restartController({ newKey: false });
      t.diagnostic(`restartController(reuse) -> 2 engines registered: ${seconds(t2)}`);
      const reused = cluster.connection();
      assert.equal(reused.key, after.key, 'same key with --reuse');
      assert.deepEqual(reused.ports, after.ports, 'same ports with --reuse');
      assert.equal(Object.keys(await cluster.registeredEngines()).length, 2);
    } finally {
      const pids = cluster.allPids();
      await cluster.stop();
      assert.deepEqual(pids.filter(running), []);
      assert.ok(!existsSync(cluster.ipythonDir));
    }
  });

  it('startEngines adds engines to a running controller', async () => {
    await withCluster({ mode: 'separate', engines: 0 }, async (c) => {
      assert.deepEqual(await c.registeredEngines(), {});
      await c.startEngines(1);
      assert.equal(Object.keys(await c.registeredEngines()).length, 1);
      assert.equal(c.enginePids().length, 1);
      assert.equal(c.nannyPids().length, 1);
    });
  });

  it('withCluster stops the cluster when the body throws', async () => {
    let dir = '';
    let pids: number[] = [];
    await assert.rejects(
      withCluster({ mode: 'separate', engines: 0 }, async (c) => {
        dir = c.ipythonDir;
        pids = c.allPids();
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.ok(pids.length > 0);
    assert.deepEqual(pids.filter(running), []);
    assert.ok(!existsSync(dir));
  });

  it('a controller that fails to start gives an error with the command line and the log tail', async () => {
    await assert.rejects(
      TestCluster.start({ mode: 'separate', engines: 0, controllerArgs: ['--IPController.db_class=no_such_module.NoDB'], startTimeoutMs: 60_000 }),
      (e: Error) => {
        assert.match(e.message, /the controller exited with code 1/);
        assert.match(e.message, /last command: .*-m ipyparallel\.controller .*--ip=127\.0\.0\.1/);
        assert.match(e.message, /no_such_module/);
        const dir = /IPYTHONDIR: (\S+)/.exec(e.message)?.[1] as string;
        assert.ok(dir && !existsSync(dir), 'temp dir removed after a failed start');
        return true;
      },
    );
  });

  it('engines that die before registering fail start() at once, with their log', async () => {
    const t0 = Date.now();
    await assert.rejects(
      TestCluster.start({ mode: 'separate', engines: 1, engineArgs: ['--log-level=NOPE'] }),
      (e: Error) => {
        assert.match(e.message, /all 1 engine process\(es\) exited/);
        assert.match(e.message, /Bad config encountered/);
        return true;
      },
    );
    assert.ok(Date.now() - t0 < 45_000, 'not the registration deadline');
  });

  it('cli.js prints the connection file and stops the cluster on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(__dirname, 'harness', 'cli.js'), 'start', '--engines', '0', '--mode', 'separate', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', () => reject(new Error(`cli exited early: ${stderr}`)));
      });
      const info = JSON.parse(line);
      assert.ok(existsSync(info.connectionFile));
      assert.ok(running(info.controllerPid));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.ok(!running(info.controllerPid));
      assert.ok(!existsSync(info.ipythonDir));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
