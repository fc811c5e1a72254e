import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelSocket, READ_SLICE_MS } from '../../src/core/transport/channelSocket';
import { Session } from '../../src/core/protocol/message';
import type { Logger } from '../../src/core/log';

const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const FLOOD = 20_000;

/** A socket with a backlog of FLOOD messages (receive() resolves at once), then silence. */
function floodingSocket(frames: Buffer[]) {
  let left = FLOOD;
  return {
    closed: false,
    events: { on() {} },
    receive: () => (left-- > 0 ? Promise.resolve(frames) : new Promise<Buffer[]>(() => undefined)),
    close() {
      this.closed = true;
    },
  };
}

/** How many messages the loop had handled when a 1 ms timer, set as the flood started, fired. */
async function handledWhenTimerFires(count: { n: number }): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(count.n), 1));
}

describe('ChannelSocket read loop under a flood', () => {
  it(`gives timers a turn every ${READ_SLICE_MS} ms or so while a backlog of messages is read`, async () => {
    const session = new Session({ key: '', session: 'peer' });
    const frames = session.build('stream', { name: 'stdout', text: 'x'.repeat(10_000) }).frames;
    const count = { n: 0 };
    const channel = new ChannelSocket('iopub', floodingSocket(frames) as never, new Session({ key: '' }), { onMessage: () => count.n++, onDrop: () => undefined }, quiet);
    try {
      const atTimer = await handledWhenTimerFires(count);
      assert.ok(atTimer > 0, 'the loop ran before the timer');
      assert.ok(atTimer < FLOOD, `the timer waited for all ${FLOOD} messages`);
    } finally {
      channel.close();
    }
  });

  it('yields through a backlog of frames it drops as well', async () => {
    const frames = [Buffer.from('garbage')];
    const count = { n: 0 };
    const channel = new ChannelSocket('iopub', floodingSocket(frames) as never, new Session({ key: '' }), { onMessage: () => undefined, onDrop: () => count.n++ }, quiet);
    try {
      const atTimer = await handledWhenTimerFires(count);
      assert.ok(atTimer < FLOOD, `the timer waited for all ${FLOOD} dropped frames`);
    } finally {
      channel.close();
    }
  });
});
