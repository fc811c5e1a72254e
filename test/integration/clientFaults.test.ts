// ClusterClient under faults, against a real cluster (separate mode: our own ipcontroller and ipengines,
// one cluster for the whole file, the tests run in order): a wrong key, a rogue publisher, an engine
// killed mid-task, a controller restarted with a new key, a controller killed, and a shutdown.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as zmq from 'zeromq';
import {
  ClusterClient,
  ConnectError,
  ControllerGoneError,
  EngineGoneError,
  type ClientState,
} from '../../src/core/client';
import { channelUrl, DELIMITER, Session, type Channel, type ConnectionInfo } from '../../src/core/protocol';
import { connectedClient, RecordingLogger, streamText, until } from './clientSupport';
import { pollUntil, readStat, TestCluster } from './harness';

const TASK_MS = 30_000;

function secondsSince(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

/**
 * A man in the middle for one SUB channel: subscribes to the real publisher and re-publishes every message
 * verbatim on its own 127.0.0.1 port (so real messages still reach the client), and lets the test inject
 * frames of its own on the same port.
 */
class RoguePublisher {
  readonly pub = new zmq.Publisher({ linger: 0 });
  readonly relay = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 0 });
  readonly forwarded: Buffer[][] = [];
  port = 0;
  #closed = false;
  #queue: Promise<void> = Promise.resolve();

  /** Binds the rogue port and connects the relay; resolves once the relay is attached to the real publisher. */
  async start(realUrl: string): Promise<void> {
    await this.pub.bind('tcp://127.0.0.1:*');
    this.port = Number(/:(\d+)$/.exec(this.pub.lastEndpoint ?? '')?.[1]);
    const attached = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the relay did not connect')), 10_000);
      this.relay.events.on('handshake', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.relay.subscribe();
    this.relay.connect(realUrl);
    void this.#forward();
    await attached;
  }

  async #forward(): Promise<void> {
    try {
      for await (const frames of this.relay) {
        this.forwarded.push(frames);
        this.send(frames);
      }
    } catch {
      // closed
    }
  }

  /** Publishes frames in order (one send at a time). */
  send(frames: (Buffer | string)[]): Promise<void> {
    this.#queue = this.#queue.then(() => (this.#closed ? undefined : this.pub.send(frames)));
    return this.#queue;
  }

  close(): void {
    this.#closed = true;
    this.relay.close();
    this.pub.close();
  }
}

describe('ClusterClient: faults on a real cluster', { timeout: 900_000 }, () => {
  let cluster: TestCluster;
  const keys: string[] = [];
  const logs: RecordingLogger[] = [];

  before(async () => {
    cluster = await TestCluster.start({ engines: 2, mode: 'separate' });
    keys.push(cluster.connection().key);
  });

  after(async () => {
    for (const log of logs) log.assertNoSecrets(keys);
    await cluster?.stop();
  });

  it('wrong key: connect fails with the clear error, quickly, and leaves nothing running', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ipp-wrongkey-'));
    const log = new RecordingLogger();
    logs.push(log);
    try {
      const file = join(dir, 'ipcontroller-client.json');
      const info = cluster.connectionInfo();
      info.key = '00000000-000000000000000000000000';
      writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
      const client = new ClusterClient({ connectionFile: file, connectTimeoutMs: 2000, logger: log });
      const states: ClientState[] = [];
      client.onDidChangeState((e) => states.push(e.state));
      const t0 = Date.now();
      const url = channelUrl(cluster.connection(), 'registration');
      await assert.rejects(client.connect(), (e: Error) => {
        assert.ok(e instanceof ConnectError);
        assert.equal(e.message, `no answer from the controller at ${url} within 2 s: is it running, and is the key right?`);
        return true;
      });
      t.diagnostic(`wrong key: ConnectError after ${secondsSince(t0)}; states ${states.join(' -> ')}`);
      assert.ok(Date.now() - t0 < 5000);
      assert.equal(client.state, 'disconnected');
      assert.deepEqual(states, ['connecting', 'disconnected']);
      assert.equal(client.status().runningTasks, 0);
      client.dispose();
      assert.equal(client.state, 'closed');
      log.assertNoSecrets([info.key, keys[0]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rogue publisher: forged, unsigned, replayed and garbage frames are dropped and counted; real messages get through', async (t) => {
    const real = cluster.connection();
    const rogues: Partial<Record<Channel, RoguePublisher>> = {};
    let client: ClusterClient | undefined;
    try {
      for (const channel of ['iopub', 'notification'] as const) {
        const rogue = new RoguePublisher();
        await rogue.start(channelUrl(real, channel));
        rogues[channel] = rogue;
      }
      const iopub = rogues.iopub as RoguePublisher;
      const notification = rogues.notification as RoguePublisher;
      const info: ConnectionInfo = { ...real, ports: { ...real.ports, iopub: iopub.port, notification: notification.port } };
      const log = new RecordingLogger();
      logs.push(log);
      client = new ClusterClient({ connectionInfo: info, logger: log });
      await client.connect();
      await until(client, () => client?.engines().length === 2 && client, TASK_MS, 'two engines');
      const drops: string[] = [];
      client.onDidDrop((d) => drops.push(`${d.channel}:${d.reason}`));

      const [e0] = client.engines();
      const run = client.execute("import time\ntime.sleep(1)\nprint('real output')\n7", { targets: [e0.id] });
      const task = client.task(run.msgIds[0]);
      assert.ok(task);
      const parent = { msg_id: task.msgId, msg_type: 'execute_request', session: client.session.id, username: 'x', date: task.submitted, version: '5.3' };
      const topic = `engine.${e0.id}.stdout`;
      const stream = { name: 'stdout', text: 'FORGED\n' };
      const forger = new Session({ key: 'not-the-key', session: e0.uuid });
      const unsigned = new Session({ key: '', session: e0.uuid });
      const insider = new Session({ key: real.key, session: e0.uuid });
      // Forged (wrong key) and unsigned output for our running task: badSignature.
      await iopub.send(forger.build('stream', stream, { parent, routing: [topic] }).frames);
      await iopub.send(unsigned.build('stream', stream, { parent, routing: [topic] }).frames);
      // A forged engine departure on the notification channel: must not remove the engine.
      await notification.send(forger.build('unregistration_notification', { id: e0.id, uuid: e0.uuid }).frames);
      // Garbage: one frame; no delimiter; too few frames after the delimiter.
      await iopub.send([Buffer.from('garbage')]);
      await iopub.send([Buffer.from(topic), Buffer.from('no delimiter here')]);
      await iopub.send([Buffer.from(topic), DELIMITER, Buffer.from('xx'), Buffer.from('{}')]);
      // Correctly signed (an insider with the key) but not JSON: malformed, not a crash.
      const junk = [Buffer.from('not json'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}')] as const;
      await iopub.send([Buffer.from(topic), DELIMITER, insider.signer.signBytes(junk), ...junk]);

      const [done] = await client.wait(run.id, { timeoutMs: TASK_MS });
      assert.equal(done.state, 'done');
      assert.equal(streamText(done.outputs), 'real output\n', 'real output delivered once, forged output dropped');
      // Replay every real message of that task once more: all are duplicates.
      const ofTask = iopub.forwarded.filter((f) => f.some((b) => b.includes(task.msgId)));
      assert.ok(ofTask.length >= 4, `captured ${ofTask.length} messages of the task`);
      for (const frames of ofTask) await iopub.send(frames);

      const expected = { badSignature: 3, replay: ofTask.length, malformed: 4 };
      await until(client, () => {
        const d = client?.dropped();
        return d && d.badSignature === expected.badSignature && d.replay === expected.replay && d.malformed === expected.malformed;
      }, 10_000, `drop counters ${JSON.stringify(expected)} (now ${JSON.stringify(client.dropped())})`);
      const dropped = client.dropped();
      t.diagnostic(`rogue publisher: dropped ${JSON.stringify(dropped)}`);
      assert.deepEqual(dropped.byChannel, {
        iopub: { badSignature: 2, malformed: 4, replay: ofTask.length },
        notification: { badSignature: 1 },
      });
      assert.equal(drops.length, 3 + 4 + ofTask.length);
      assert.equal(streamText(client.task(task.msgId)?.outputs ?? []), 'real output\n', 'replays added nothing');
      assert.equal(client.engines().length, 2, 'the forged unregistration removed no engine');
      // The channel still works after all that: a second task's output arrives.
      const second = client.execute("print('still alive')", { targets: [e0.id] });
      const [ok] = await client.wait(second.id, { timeoutMs: TASK_MS });
      assert.equal(streamText(ok.outputs), 'still alive\n');
      // One log line per reason per channel (throttled), none with the key or a digest.
      const dropLines = log.lines.filter((l) => l.includes('dropped a message'));
      assert.ok(dropLines.length >= 3 && dropLines.length <= 4, dropLines.join('\n'));
      for (const line of dropLines) assert.doesNotMatch(line, /[0-9a-f]{64}/);
      assert.equal(client.status().dropped.replay, ofTask.length);
    } finally {
      client?.dispose();
      for (const r of Object.values(rogues)) r.close();
    }
  });

  it('engine killed mid-task: its tasks end (lost/error) within seconds and it leaves the model', async (t) => {
    const { client, log } = await connectedClient(cluster, 2);
    logs.push(log);
    try {
      const victim = client.engines()[1];
      const balanced = client.execute('import time; time.sleep(30)', { targets: 'balanced', balancedTargets: [victim.id] });
      await until(client, () => client.task(balanced.msgIds[0])?.state === 'running', TASK_MS, 'the balanced sleep to start');
      const direct = client.execute("print('queued behind the sleep')", { targets: [victim.id] });
      // Settled into a value at once: it rejects while the kill is still being awaited.
      const evaluating = client.evaluate({ a: '1' }, { targets: [victim.id], timeoutMs: 60_000 }).then(() => undefined, (e: Error) => e);
      const t0 = Date.now();
      await cluster.killEngineById(victim.id);
      const gone = await evaluating;
      assert.ok(gone instanceof EngineGoneError && gone.engineId === victim.id, String(gone));
      const [d] = await client.wait(direct.id, { timeoutMs: 20_000 });
      t.diagnostic(`engine killed: direct task ${d.state} (${d.reason}) after ${secondsSince(t0)}`);
      assert.equal(d.state, 'lost');
      assert.match(d.reason ?? '', new RegExp(`engine ${victim.id} unregistered`));
      const [b] = await client.wait(balanced.id, { timeoutMs: 30_000 });
      t.diagnostic(`engine killed: balanced task ${b.state} (${b.error?.ename ?? b.reason}) after ${secondsSince(t0)}`);
      assert.ok(b.state === 'error' || b.state === 'lost', b.state);
      assert.ok(Date.now() - t0 < 25_000);
      await until(client, () => client.engines().every((e) => e.id !== victim.id), 10_000, 'the engine to leave the model');
      assert.equal(client.engines().length, 1);
      assert.equal(client.state, 'connected');
    } finally {
      client.dispose();
    }
  });

  it('controller restarted with a new key: the client notices the rewritten file and reconnects', async (t) => {
    const { client, log } = await connectedClient(cluster, 1);
    logs.push(log);
    try {
      const states: ClientState[] = [];
      client.onDidChangeState((e) => states.push(e.state));
      const oldSession = client.session.id;
      const inflight = client.execute('import time; time.sleep(30)');
      await until(client, () => client.tasks().some((x) => x.state === 'running'), TASK_MS, 'the sleep to start');
      const t0 = Date.now();
      await cluster.restartController({ newKey: true, engines: 2, wait: false });
      keys.push(cluster.connection().key);
      assert.notEqual(cluster.connection().key, keys[0]);
      await until(client, () => client.state === 'connected' && client.connectionInfo?.key === cluster.connection().key, 60_000, 'the reconnect');
      t.diagnostic(`controller restarted: reconnected ${secondsSince(t0)} after the restart began; states ${states.join(' -> ')}`);
      for (const id of inflight.msgIds) {
        assert.equal(client.task(id)?.state, 'lost', 'tasks in flight end as lost');
        assert.ok(client.task(id)?.reason);
      }
      assert.notEqual(client.session.id, oldSession, 'a new session for the new controller');
      await until(client, () => client.engines().length === 2, 60_000, 'the new engines');
      const run = client.execute("print('after restart')");
      const tasks = await client.wait(run.id, { timeoutMs: TASK_MS });
      assert.deepEqual(tasks.map((x) => streamText(x.outputs)), ['after restart\n', 'after restart\n']);
    } finally {
      client.dispose();
    }
  });

  it('controller killed: state becomes disconnected and pending requests are rejected', async (t) => {
    const { client, log } = await connectedClient(cluster, 2);
    logs.push(log);
    try {
      const [e0] = client.engines();
      const sleeping = client.execute('import time; time.sleep(30)', { targets: [e0.id] });
      await until(client, () => client.task(sleeping.msgIds[0])?.state === 'running', TASK_MS, 'the sleep to start');
      const pending = client.evaluate({ a: '1' }, { targets: [e0.id], timeoutMs: 120_000 }).then(() => undefined, (e: Error) => e);
      const waiting = client.wait(sleeping.id);
      const changes: { state: ClientState; error?: Error }[] = [];
      client.onDidChangeState((e) => changes.push(e));
      const t0 = Date.now();
      await cluster.killController();
      await until(client, () => client.state === 'disconnected', 30_000, 'state disconnected');
      t.diagnostic(`controller killed: disconnected after ${secondsSince(t0)} (${changes.at(-1)?.error?.message})`);
      assert.ok(changes.at(-1)?.error instanceof ControllerGoneError);
      const rejected = await pending;
      assert.ok(rejected instanceof ControllerGoneError, String(rejected));
      t.diagnostic(`controller killed: pending evaluate rejected: ${rejected.message}`);
      const [lost] = await waiting;
      assert.equal(lost.state, 'lost');
      assert.equal(client.engines().length, 0);
      assert.throws(() => client.execute('1'), { code: 'ERR_NOT_CONNECTED' });
      await assert.rejects(client.queueStatus(), { code: 'ERR_NOT_CONNECTED' });

      // The watcher is still on: a new controller brings the client back by itself.
      await cluster.restartController({ newKey: true, engines: 1, wait: false });
      keys.push(cluster.connection().key);
      await until(client, () => client.state === 'connected', 60_000, 'the reconnect after a crash');
      t.diagnostic(`controller killed: reconnected to the new controller ${secondsSince(t0)} after the kill`);
    } finally {
      client.dispose();
    }
  });

  it('shutdown stops the cluster and leaves the client disconnected', async (t) => {
    const { client, log } = await connectedClient(cluster, 1);
    logs.push(log);
    try {
      const controller = cluster.controllerPid();
      assert.ok(controller);
      await client.shutdown({ timeoutMs: TASK_MS });
      assert.equal(client.state, 'disconnected');
      const gone = await pollUntil(() => {
        const st = readStat(controller);
        return st === undefined || st.state === 'Z';
      }, 20_000);
      t.diagnostic(`shutdown: controller process exited: ${gone}`);
      assert.ok(gone, 'the controller exits after shutdown_request');
    } finally {
      client.dispose();
    }
  });
});
