/**
 * Scale: the language server tracking many tasks with their outputs. A dedicated server process runs N
 * load-balanced `print(i)` tasks; we read its memory from /proc, count the notifications it sent, and
 * time ipp/tasks (the whole task list) a few times.
 */
import { performance } from 'node:perf_hooks';
import { LspClient } from '../clients/lspClient';
import { statusKb } from '../procfs';
import { ExecuteRequest, TasksRequest, WaitRequest, type WaitResult } from '../../src/server/protocol';
import type { Row } from '../results';
import { fmt } from '../results';
import type { Failure } from './repeat';

/** Resolves once no notification arrived for `quietMs` (or at `maxMs`). */
async function quiet(lastAt: () => number, quietMs: number, maxMs: number): Promise<void> {
  const end = Date.now() + maxMs;
  while (Date.now() < end && performance.now() - lastAt() < quietMs) await new Promise((r) => setTimeout(r, 50));
}

export async function measureScale(opts: {
  connectionFile: string;
  engines: number;
  tasks: number;
  reps: number;
  timeoutMs: number;
  failures: Failure[];
  log: (line: string) => void;
  logFile?: string;
}): Promise<Row[]> {
  const n = opts.tasks;
  const lsp = new LspClient(opts.connectionFile, opts.engines, { logFile: opts.logFile });
  try {
    await lsp.connect();
    const c = lsp.server.connection;
    const pid = lsp.server.pid;
    const counts = new Map<string, number>();
    let lastAt = performance.now();
    // Every notification without a handler of its own (all but ipp/output, counted below).
    const unsubscribe = c.onUnhandledNotification((msg) => {
      counts.set(msg.method, (counts.get(msg.method) ?? 0) + 1);
      lastAt = performance.now();
    });
    lsp.onOutputNotification = () => {
      counts.set('ipp/output', (counts.get('ipp/output') ?? 0) + 1);
      lastAt = performance.now();
    };
    const rss0 = statusKb(pid, 'VmRSS');
    const t0 = performance.now();
    const runs: Promise<WaitResult>[] = [];
    for (let i = 0; i < n; i++) {
      runs.push(c.sendRequest(ExecuteRequest, { code: `print(${i})`, targets: 'balanced', silent: false }).then((r) => c.sendRequest(WaitRequest, { runId: r.runId, timeoutMs: opts.timeoutMs })));
    }
    const results = await Promise.all(runs);
    const wallMs = performance.now() - t0;
    await quiet(() => lastAt, 500, 10_000);
    unsubscribe.dispose();
    lsp.onOutputNotification = undefined;
    const notDone = results.filter((w) => w.state !== 'done').length;
    const outputs = results.reduce((sum, w) => sum + w.engines.reduce((s, e) => s + e.outputs.length, 0), 0);
    const rss1 = statusKb(pid, 'VmRSS');
    const hwm = statusKb(pid, 'VmHWM');
    const fetchMs: number[] = [];
    let bytes = 0;
    let listed = 0;
    for (let i = 0; i < opts.reps; i++) {
      const f0 = performance.now();
      const list = await c.sendRequest(TasksRequest, {});
      fetchMs.push(performance.now() - f0);
      listed = list.reduce((s, r) => s + r.tasks.length, 0);
      bytes = Buffer.byteLength(JSON.stringify(list));
    }
    const notifications = [...counts.values()].reduce((a, b) => a + b, 0);
    const byMethod = [...counts.entries()].map(([m, k]) => `${m} ${k}`).join(', ');
    opts.log(`  scale · lsp: ${n} tasks in ${fmt(wallMs / 1000)} s, RSS ${fmt(rss0 / 1024)} → ${fmt(rss1 / 1024)} MB (peak ${fmt(hwm / 1024)}), ${notifications} notifications, ipp/tasks ${fmt(fetchMs[0])} ms`);
    await lsp.purgeHub().catch(() => undefined);
    await lsp.disconnect().catch(() => undefined);
    const label = `${n} tracked tasks`;
    return [
      {
        metric: `server RSS with ${label}`,
        client: 'server',
        unit: 'MB',
        values: [rss1 / 1024],
        target: { kind: 'absolute', op: '<', value: 150 },
        note: `server RSS before the tasks ${fmt(rss0 / 1024)} MB, after ${fmt(rss1 / 1024)} MB, peak ${fmt(hwm / 1024)} MB; ${outputs} outputs tracked; ${notDone} runs not done; ${n} runs took ${fmt(wallMs / 1000)} s`,
      },
      { metric: `notifications for ${label}`, client: 'server', unit: 'count', values: [notifications], note: `notifications by method: ${byMethod || 'none'}` },
      { metric: `ipp/tasks with ${label}`, client: 'server', unit: 'ms', values: fetchMs, note: `ipp/tasks returned ${listed} tasks in ${fmt(bytes / 1024)} KiB of JSON` },
    ];
  } catch (e) {
    opts.failures.push({ metric: 'scale', client: 'server', message: e instanceof Error ? e.message : String(e) });
    opts.log(`  scale · FAILED: ${e instanceof Error ? e.message : String(e)}`);
    return [{ metric: `server RSS with ${n} tracked tasks`, client: 'server', unit: 'MB', values: [], target: { kind: 'absolute', op: '<', value: 150 } }];
  } finally {
    await lsp.close();
  }
}
