// A reply that never reaches the client, against a real cluster: a relay between the client and the hub's
// mux port drops one execute_reply. The lost-reply sweep must complete that task from the hub's record within
// its period, and leave alone a task that is legitimately still running.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as zmq from 'zeromq';
import { ClusterClient, type TaskInfo } from '../../src/core/client';
import { channelUrl, DELIMITER, type ConnectionInfo } from '../../src/core/protocol';
import { RecordingLogger, streamText, until } from './clientSupport';
import { TestCluster } from './harness';

const SWEEP_MS = 3000;

/**
 * A man in the middle on the mux channel (ROUTER towards the client, DEALER towards the hub): forwards every
 * frame both ways, except the replies `drop` picks, which it swallows.
 */
class MuxRelay {
  readonly front = new zmq.Router({ linger: 0 });
  readonly back = new zmq.Dealer({ linger: 0 });
  readonly dropped: string[] = [];
  port = 0;
  #client: Buffer | undefined;

  constructor(private readonly drop: (msgType: string, parentId: string) => boolean) {}

  async start(realUrl: string): Promise<void> {
    await this.front.bind('tcp://127.0.0.1:*');
    this.port = Number(/:(\d+)$/.exec(this.front.lastEndpoint ?? '')?.[1]);
    this.back.connect(realUrl);
    void this.#up();
    void this.#down();
  }

  async #up(): Promise<void> {
    try {
      for await (const [client, ...frames] of this.front) {
        this.#client = client;
        await this.back.send(frames);
      }
    } catch {
      // closed
    }
  }

  async #down(): Promise<void> {
    try {
      for await (const frames of this.back) {
        const i = frames.findIndex((f) => f.equals(DELIMITER));
        const header = JSON.parse(frames[i + 2]?.toString() ?? '{}') as { msg_type?: string };
        const parent = JSON.parse(frames[i + 3]?.toString() ?? '{}') as { msg_id?: string };
        if (this.drop(header.msg_type ?? '', parent.msg_id ?? '')) {
          this.dropped.push(parent.msg_id ?? '');
          continue;
        }
        if (this.#client) await this.front.send([this.#client, ...frames]);
      }
    } catch {
      // closed
    }
  }

  close(): void {
    this.front.close();
    this.back.close();
  }
}

describe('ClusterClient: a lost reply is recovered from the hub', { timeout: 300_000 }, () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ engines: 2, mode: 'separate' });
  });

  after(async () => {
    await cluster?.stop();
  });

  it('an execute_reply dropped on the way: the task ends done from the hub record within the sweep period; a long task is left running', async (t) => {
    const real = cluster.connection();
    let victim = '';
    const relay = new MuxRelay((msgType, parentId) => msgType === 'execute_reply' && parentId === victim);
    const log = new RecordingLogger();
    let client: ClusterClient | undefined;
    try {
      await relay.start(channelUrl(real, 'mux'));
      const info: ConnectionInfo = { ...real, ports: { ...real.ports, mux: relay.port } };
      client = new ClusterClient({ connectionInfo: info, logger: log, probeIntervalMs: 500, replySweepMs: SWEEP_MS });
      await client.connect();
      await until(client, () => client?.engines().length === 2 && client, 30_000, 'two engines');
      const [e0, e1] = client.engines();
      const long = client.execute(`import time\ntime.sleep(${(3 * SWEEP_MS) / 1000})\n"slept"`, { targets: [e1.id] });
      const run = client.execute("print('before the lost reply')\n6 * 7", { targets: [e0.id] });
      victim = run.msgIds[0];
      const t0 = Date.now();
      await until(client, () => relay.dropped.length === 1 && client, 30_000, 'the relay to drop the reply');
      assert.equal(client.task(victim)?.state, 'running', 'no reply: the task is still running');
      const [done] = await client.wait(run.id, { timeoutMs: 4 * SWEEP_MS });
      const took = Date.now() - t0;
      t.diagnostic(`lost reply: task ${done.state} after ${(took / 1000).toFixed(1)} s (sweep period ${SWEEP_MS / 1000} s)`);
      assert.equal(done.state, 'done');
      assert.ok(took < 2 * SWEEP_MS + 2000, `completed within the sweep period (took ${took} ms)`);
      assert.equal(streamText(done.outputs), 'before the lost reply\n');
      assert.equal(typeof done.executionCount, 'number', 'execution count from the hub record');
      assert.ok(done.completed && done.started, 'timestamps from the hub record');
      assert.equal(done.engineId, e0.id);
      const longNow = client.task(long.msgIds[0]) as TaskInfo;
      assert.equal(longNow.state, 'running', 'a task the hub still runs is not disturbed');
      const [slept] = await client.wait(long.id, { timeoutMs: 30_000 });
      assert.equal(slept.state, 'done');
      assert.deepEqual(relay.dropped, [victim]);
      assert.ok(log.lines.some((l) => l.includes('completed from the hub')), 'the recovery is logged');
    } finally {
      client?.dispose();
      relay.close();
    }
  });
});
