// Bounded memory against a real cluster: one task prints 400 MB; the language server keeps the beginning
// and the end with a visible marker, and its resident memory stays under 300 MB throughout.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ConnectRequest, ExecuteRequest, OutputRequest, StatusRequest, WaitRequest } from '../../src/shared/protocol';
import { TestCluster } from './harness';
import { ServerUnderTest } from './serverSupport';

const MB = 1024 * 1024;

/** A process's peak and current resident memory in bytes (/proc/<pid>/status VmHWM, VmRSS). */
function memoryOf(pid: number): { peak: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { peak: kb('VmHWM'), rss: kb('VmRSS') };
}

describe('language server: bounded output memory', { timeout: 600_000, skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  let cluster: TestCluster;
  let server: ServerUnderTest;

  before(async () => {
    cluster = await TestCluster.start({ engines: 1 });
    ({ server } = await ServerUnderTest.start({ notificationBatchMs: 20 }));
    await server.connection.sendRequest(ConnectRequest, { connectionFile: cluster.connectionFile });
  });

  after(async () => {
    await server?.close();
    await cluster?.stop();
  });

  /** The server's resident peak, and its slowest ipp/status, over the 400 MB task (checked by the tests below). */
  let peak = 0;
  let slowest = 0;

  it('a task printing 400 MB: ipp/wait and ipp/output carry the marker, and the task ends done', async (t) => {
    const pid = server.proc.pid as number;
    // 400 chunks of 1 MB, each flushed, so the engine sends them as they are printed.
    const code = [
      'import sys',
      "chunk = ('x' * 1023 + '\\n') * 1024",
      'for i in range(400):',
      '    sys.stdout.write(chunk)',
      '    sys.stdout.flush()',
      "print('THE END')",
    ].join('\n');
    const { runId } = await server.connection.sendRequest(ExecuteRequest, { code, targets: 'all' });
    let worst = 0;
    const series: number[] = [];
    const sampler = setInterval(() => {
      const r = memoryOf(pid).rss;
      series.push(Math.round(r / MB));
      worst = Math.max(worst, r);
    }, 100);
    // ipp/status every 250 ms while the output floods in: the server must keep answering.
    let flooding = true;
    const statusLoop = (async () => {
      while (flooding) {
        const t0 = Date.now();
        await server.connection.sendRequest(StatusRequest);
        slowest = Math.max(slowest, Date.now() - t0);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    let waited;
    try {
      waited = await server.connection.sendRequest(WaitRequest, { runId, timeoutMs: 300_000 });
    } finally {
      clearInterval(sampler);
      flooding = false;
      await statusLoop;
    }
    t.diagnostic(`slowest ipp/status during the flood: ${slowest} ms`);
    for (const result of [waited, await server.connection.sendRequest(OutputRequest, { runId })]) {
      const outputs = result.engines[0].outputs;
      const text = outputs.map((o) => (o.kind === 'stream' ? o.text : '')).join('');
      const notKept = /\[… (\d+) MB of output not kept …\]/.exec(text);
      assert.ok(notKept, 'the marker is there');
      // Nothing was lost on the way (the iopub receive queue is bounded): kept + not kept = printed, to the
      // marker's rounding. One lost 1 MB message would be off by 1.
      const keptChars = text.length - notKept[0].length - 2;
      const printed = 400 * MB + 'THE END\n'.length;
      assert.ok(Math.abs(Number(notKept[1]) - (printed - keptChars) / MB) <= 0.51, `marker ${notKept[1]} MB, kept ${keptChars} of ${printed}`);
      assert.ok(text.startsWith('x'.repeat(1023)), 'the beginning is kept');
      assert.ok(text.endsWith('THE END\n'), 'the end is kept');
      assert.ok(text.length < 40 * MB, `kept ${Math.round(text.length / MB)} MB`);
    }
    peak = memoryOf(pid).peak;
    t.diagnostic(`peak resident ${Math.round(peak / MB)} MB (sampled worst ${Math.round(worst / MB)} MB)`);
    if (process.env.SHOW_MEMORY) console.log(`resident MB every 100 ms: ${series.join(' ')}`);
    assert.equal(waited.state, 'done');
  });

  // Was 528-740 MB. Now ~231 MB (three runs at load 9-14): past the kept head, stream frames are held raw and
  // parsed only if kept (outputBounds.ts), the iopub receive queue is bounded (transport.ts), the server keeps
  // V8's heap growing at 20% (server/main.ts) and is started with SERVER_ENV (a fixed glibc mmap threshold).
  it('the server stays under 300 MB resident while one task prints 400 MB', () => {
    assert.ok(peak > 0, 'the flood test ran');
    assert.ok(peak < 300 * MB, `peak resident memory ${Math.round(peak / MB)} MB`);
  });

  // todo: measured 1.9-14.6 s at load 9-14 on the 2-CPU dev VM (was 3-70 s). A request reaches the server's
  // loop within 0.1-0.5 s through the flood (it parses no output past the kept head; up to 2 s while it shows
  // the tail at the end), but the answer queues behind the output that must cross the pipe: the 16 MB head as it arrives and, at the end,
  // the 16 MB tail and ipp/wait's 32 MB (one JSON-RPC message each, a two-byte string once the marker's `…`
  // is in it), which the test process must also parse. Closing it: send large ipp/output batches in pieces
  // of ~1 MB on separate turns so that answers interleave, and encode JSON-RPC messages without one
  // whole-message string.
  it('ipp/status answers within 1 s while one task prints 400 MB', { todo: 'ipp/status answers queue behind 16-32 MB of output on the pipe' }, () => {
    assert.ok(peak > 0, 'the flood test ran');
    assert.ok(slowest < 1000, `ipp/status took ${slowest} ms during the flood`);
  });
});
