// A flood's output past a task's kept head is held as raw, verified content frames and parsed only if it
// is still kept when the task ends (issue 10 item 3: one task printing 400 MB must not cost 400 MB of
// strings). Covers Session.decode's lazy content, OutputKeeper.hold, the router's use of the stream topic,
// and the read loop counting a lazily found malformed content as a dropped message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnginesModel } from '../../src/core/client/engines';
import { IopubRouter } from '../../src/core/client/iopubRouter';
import { heldSize, OutputKeeper } from '../../src/core/client/outputBounds';
import { TasksModel } from '../../src/core/client/tasks';
import type { OutputItem } from '../../src/core/client/types';
import type { Logger } from '../../src/core/log';
import { MalformedMessageError } from '../../src/core/protocol/errors';
import { Session } from '../../src/core/protocol/message';
import { ChannelSocket } from '../../src/core/transport/channelSocket';

const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const frameOf = (text: string, name = 'stdout') => Buffer.from(JSON.stringify({ name, text }));
const texts = (items: OutputItem[]) => items.map((o) => (o.kind === 'stream' ? `${o.name}:${o.text}` : o.kind));

describe('held output: stream frames past the kept head', () => {
  it('Session.decode with lazyContent verifies the message but parses its content only when read', () => {
    const peer = new Session({ key: 'k', session: 'peer' });
    const json = peer.build('stream', {}).frames.slice(2, 5);
    const frames = peer.frame([json[0], json[1], json[2], Buffer.from('{"name": "stdout", "text": ')]);
    const msg = new Session({ key: 'k' }).decode(frames, { lazyContent: true });
    assert.equal(msg.header.msg_type, 'stream');
    assert.throws(() => msg.content, MalformedMessageError);
    assert.throws(() => new Session({ key: 'k' }).decode(frames), MalformedMessageError, 'eager decoding still rejects it at once');
    const good = new Session({ key: 'k' }).decode(peer.build('stream', { name: 'stdout', text: 'hi' }).frames, { lazyContent: true });
    assert.equal(good.content.text, 'hi');
    assert.equal(good.content, good.content, 'parsed once');
  });

  it('heldSize counts about the characters of the text: less the JSON around it and one per escape', () => {
    assert.equal(heldSize(frameOf('ab\ncd\n')), 6);
    const pythonStyle = Buffer.from(frameOf('ab\ncd\n').toString().replace('":', '": ').replace(',"', ', "').replace('":"', '": "'));
    assert.equal(heldSize(pythonStyle), 9, "Python's separators: 3 bytes more");
  });

  it('holds nothing while the head has room; parses only the frames still kept at flush', () => {
    const outputs: OutputItem[] = [];
    const k = new OutputKeeper(outputs, 2000);
    assert.equal(k.hold('stdout', frameOf('early')), false, 'the head has room: the caller parses it');
    k.add({ kind: 'stream', name: 'stdout', text: 'h'.repeat(1000) });
    assert.equal(k.holding, true);
    // Not JSON at all: never parsed, since later frames push it out of the tail; counted where it went.
    assert.equal(k.hold('stderr', Buffer.from('x'.repeat(600))), true);
    for (let i = 0; i < 4; i++) assert.equal(k.hold('stdout', frameOf(`${i}`.repeat(300) + '\n')), true);
    const shown = k.flush();
    assert.deepEqual(texts(shown), [
      'stderr:\n[… 573 bytes of output not kept …]\n', // its bytes less the least JSON around a text
      'stdout:\n[… 301 bytes of output not kept …]\n', // frame 0
      `stdout:${'1'.repeat(300)}\n`,
      `stdout:${'2'.repeat(300)}\n`,
      `stdout:${'3'.repeat(300)}\n`,
    ]);
    assert.deepEqual(texts(outputs).slice(1), texts(shown));
  });

  it('a held frame that is still kept but is not a JSON object is counted as not kept, never thrown', () => {
    const k = new OutputKeeper([], 100);
    k.add({ kind: 'stream', name: 'stdout', text: 'h'.repeat(50) });
    k.hold('stdout', Buffer.from('{"name": "stdout", "text": 12'));
    assert.deepEqual(texts(k.flush()), ['stdout:\n[… 2 bytes of output not kept …]\n']);
  });

  it('a held frame larger than the whole tail is parsed to keep its end', () => {
    const k = new OutputKeeper([], 100);
    k.add({ kind: 'stream', name: 'stdout', text: 'h'.repeat(50) });
    k.hold('stdout', frameOf('a'.repeat(100) + 'END'));
    const shown = texts(k.flush());
    assert.equal(shown.at(-1), `stdout:${'a'.repeat(47)}END`);
    assert.equal(shown[0], 'stdout:\n[… 53 bytes of output not kept …]\n');
  });

  it('the router holds a topic-named stream past the head; the end shows when the task ends', () => {
    const peer = new Session({ key: '', session: 'engine-uuid' });
    const ours = new Session({ key: '' });
    const tasks = new TasksModel({ maxOutputBytesPerTask: 1024 });
    const router = new IopubRouter(() => ours.id, new EnginesModel(), tasks, () => false);
    tasks.add({ msgId: 'run', queue: 'mux', state: 'running', code: 'x', submitted: '', outputs: [] });
    const parent = { msg_id: 'run', session: ours.id, msg_type: 'execute_request' };
    let reads = 0;
    const send = (text: string) => {
      const msg = ours.decode(peer.build('stream', { name: 'stdout', text }, { parent, routing: ['engine.0.stdout'] }).frames, { lazyContent: true });
      // Counts the reads of `content` (each first read parses the frame).
      router.route(new Proxy(msg, { get: (m, p) => ((reads += p === 'content' ? 1 : 0), Reflect.get(m, p)) }));
    };
    send('h'.repeat(512));
    assert.equal(reads, 1, 'the head is parsed');
    for (let i = 0; i < 100; i++) send(`line ${i}\n`.padStart(40, '.'));
    assert.equal(reads, 1, 'past the head, no content is read');
    assert.equal(tasks.get('run')?.outputs.length, 1, 'past the head, output is held');
    tasks.applyReply('run', { state: 'done' }, false);
    const all = texts(tasks.get('run')?.outputs ?? []).join('');
    assert.match(all, /not kept/);
    assert.ok(all.endsWith('line 99\n'), all.slice(-60));
  });

  it('the read loop counts iopub content found malformed when read as a dropped message', async () => {
    const peer = new Session({ key: '', session: 'peer' });
    const json = peer.build('stream', {}).frames.slice(2, 5);
    const frames = peer.frame([json[0], json[1], json[2], Buffer.from('[1, 2]')]);
    let given = false;
    const socket = {
      closed: false,
      events: { on() {} },
      receive: () => (given ? new Promise<Buffer[]>(() => undefined) : ((given = true), Promise.resolve(frames))),
      close() {
        this.closed = true;
      },
    };
    const drops: string[] = [];
    const channel = await new Promise<ChannelSocket>((resolve) => {
      const c: ChannelSocket = new ChannelSocket(
        'iopub',
        socket as never,
        new Session({ key: '' }),
        { onMessage: (_channel, msg) => void msg.content.text, onDrop: (_channel, reason) => (drops.push(reason), resolve(c)) },
        quiet,
      );
    });
    channel.close();
    assert.deepEqual(drops, ['malformed']);
  });
});
