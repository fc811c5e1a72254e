// The transport over real zeromq loopback sockets, with fake controller peers driven by the test (a ROUTER
// for the hub's query socket, a PUB for iopub): send-queue order under a burst, replies and publications
// decoded once, and read loops that survive bad frames.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as zmq from 'zeromq';
import type { DropReason } from '../../src/core/client';
import { CHANNELS, DELIMITER, Session, type Channel, type ConnectionInfo, type Message } from '../../src/core/protocol';
import { Transport } from '../../src/core/transport';
import { RecordingLogger } from './clientSupport';

const KEY = 'transport-test-key';

function portOf(socket: zmq.Socket): number {
  return Number(/:(\d+)$/.exec(socket.lastEndpoint ?? '')?.[1]);
}

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref())]);
}

describe('Transport over zeromq loopback', { timeout: 60_000 }, () => {
  const peers: zmq.Socket[] = [];
  let router: zmq.Router;
  let pub: zmq.Publisher;
  let info: ConnectionInfo;

  before(async () => {
    router = new zmq.Router({ linger: 0 });
    pub = new zmq.Publisher({ linger: 0 });
    await router.bind('tcp://127.0.0.1:*');
    await pub.bind('tcp://127.0.0.1:*');
    peers.push(router, pub);
    const ports = {} as Record<Channel, number>;
    for (const ch of CHANNELS) {
      if (ch === 'registration') ports[ch] = portOf(router);
      else if (ch === 'iopub') ports[ch] = portOf(pub);
      else {
        const s = ch === 'notification' ? new zmq.Publisher({ linger: 0 }) : new zmq.Router({ linger: 0 });
        await s.bind('tcp://127.0.0.1:*');
        peers.push(s);
        ports[ch] = portOf(s);
      }
    }
    info = {
      file: '',
      transport: 'tcp',
      ip: '127.0.0.1',
      ports,
      taskScheme: 'leastload',
      key: KEY,
      signatureScheme: 'hmac-sha256',
      pack: 'json',
      unpack: 'json',
      location: '',
      ssh: '',
      curveServerKey: null,
      warnings: [],
    };
  });

  after(() => {
    for (const s of peers) s.close();
  });

  function open(onMessage: (ch: Channel, m: Message) => void, onDrop: (ch: Channel, r: DropReason) => void = () => undefined) {
    const log = new RecordingLogger();
    const session = new Session({ key: KEY });
    const transport = new Transport({ info, session, logger: log, onMessage, onDrop: (ch, r) => onDrop(ch, r) });
    return { transport, session, log };
  }

  it('keeps send order under a burst and delivers the replies', async () => {
    const replies: string[] = [];
    let allReplies: () => void = () => undefined;
    const repliesDone = new Promise<void>((r) => (allReplies = r));
    const N = 2000;
    const { transport, session } = open((ch, m) => {
      assert.equal(ch, 'registration');
      replies.push(m.parent.msg_id as string);
      if (replies.length === N) allReplies();
    });
    try {
      const hub = new Session({ key: KEY, session: 'hub' });
      const sent: string[] = [];
      for (let i = 0; i < N; i++) {
        const out = session.build('queue_request', { n: i });
        sent.push(out.header.msg_id);
        transport.send('registration', out.frames);
      }
      const received: string[] = [];
      for (let i = 0; i < N; i++) {
        const [identity, ...frames] = await deadline(router.receive(), 10_000, 'the burst');
        const m = hub.decode(frames);
        received.push(m.header.msg_id);
        await router.send([identity, ...hub.build('queue_reply', { status: 'ok' }, { parent: m.header }).frames]);
      }
      assert.deepEqual(received, sent, 'every message, in order');
      await deadline(repliesDone, 10_000, 'the replies');
      assert.deepEqual(replies, sent);
    } finally {
      transport.close();
    }
  });

  it('drops bad publications, counts each reason, and keeps delivering', async () => {
    const got: Message[] = [];
    const drops: DropReason[] = [];
    const { transport, log } = open(
      (_ch, m) => got.push(m),
      (_ch, r) => drops.push(r),
    );
    try {
      assert.equal(await transport.subscribersReady(10_000), true);
      const engine = new Session({ key: KEY, session: 'engine-uuid' });
      const forger = new Session({ key: 'wrong', session: 'engine-uuid' });
      const good = (n: number) => engine.build('stream', { name: 'stdout', text: `good ${n}` }, { routing: ['engine.0.stdout'] }).frames;
      // A PUB drops everything until the SUB's subscription arrives: publish until the first one lands.
      for (let i = 0; got.length === 0 && i < 200; i++) {
        await pub.send(good(-1));
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(got.length > 0, 'the subscription reached the publisher');
      const first = good(0);
      await pub.send([Buffer.from('garbage')]);
      await pub.send(forger.build('stream', { name: 'stdout', text: 'forged' }).frames);
      await pub.send(first);
      await pub.send([Buffer.from('engine.0.stdout'), DELIMITER, Buffer.alloc(0), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}')]);
      await pub.send(first); // replay
      await pub.send(good(1));
      await deadline(
        (async () => {
          while (!got.some((m) => m.content.text === 'good 1')) await new Promise((r) => setTimeout(r, 10));
        })(),
        10_000,
        'the last good message',
      );
      assert.deepEqual(got.filter((m) => m.content.text !== 'good -1').map((m) => m.content.text), ['good 0', 'good 1']);
      assert.deepEqual(drops.sort(), ['badSignature', 'badSignature', 'malformed', 'replay']);
      const lines = log.lines.filter((l) => l.includes('dropped'));
      assert.equal(lines.length, 3, 'one line per reason (throttled)');
      for (const l of lines) assert.ok(!l.includes(KEY));
    } finally {
      transport.close();
    }
  });

  it('closes with sends still queued, without throwing or leaking rejections', async () => {
    const { transport, session } = open(() => undefined);
    for (let i = 0; i < 5000; i++) transport.send('mux', session.build('execute_request', { code: '' }, { routing: ['nobody'] }).frames);
    transport.close();
    transport.send('mux', session.build('execute_request', { code: '' }).frames);
    assert.equal(transport.closed, true);
  });
});
