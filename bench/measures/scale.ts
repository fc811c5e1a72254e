/**
 * Scale: the language server tracking many tasks with their outputs. A dedicated server process runs N
 * load-balanced `print(i)` tasks; we read its memory from /proc, count the notifications it sent, and
 * time ipp/tasks (the whole task list) a few times.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LspClient } from '../clients/lspClient';
import { statusKb } from '../procfs';
import { ExecuteRequest, TasksRequest, WaitRequest, type WaitResult } from '../../src/shared/protocol';
import type { Row } from '../results';
import { fmt } from '../results';
import type { MemStats } from '../probes/memStats';
import { heapMarkdown, summarizeHeap, waitForSnapshot } from '../profile/heap';
import { PROFILE_DIR } from '../profile/run';
import type { Failure } from './repeat';

const mb = (bytes: number): string => fmt(bytes / 1024 / 1024);

function readMemStats(file: string): MemStats | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as MemStats;
  } catch {
    return undefined;
  }
}

/** Issue 7: 10,000 tracked tasks cost the server less than this. */
const MEMORY_TARGET_MB = 150;

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
  /** Runs submitted at once before awaiting them. */
  wave: number;
  /** ms to wait idle after the burst before reading the settled RSS. */
  settleMs: number;
  /** Take a heap snapshot of the server (unless 'never'); its summary is pushed to `profiles`. */
  heap: 'auto' | 'always' | 'never';
  profiles: string[];
}): Promise<Row[]> {
  const n = opts.tasks;
  const heapDir = join(PROFILE_DIR, 'heap');
  rmSync(heapDir, { recursive: true, force: true });
  mkdirSync(heapDir, { recursive: true });
  const memFile = join(heapDir, 'memstats.json');
  const lsp = new LspClient(opts.connectionFile, opts.engines, {
    logFile: opts.logFile,
    cwd: heapDir,
    nodeArgs: ['--heapsnapshot-signal=SIGUSR2', '--require', join(__dirname, '..', 'probes', 'memStats.js')],
    env: { BENCH_MEMSTATS_FILE: memFile },
  });
  try {
    await lsp.connect();
    const c = lsp.server.connection;
    const pid = lsp.server.pid;
    const counts = new Map<string, number>();
    let lastAt = performance.now();
    // Every notification, by method.
    lsp.onNotification = (method) => {
      counts.set(method, (counts.get(method) ?? 0) + 1);
      lastAt = performance.now();
    };
    const rss0 = statusKb(pid, 'VmRSS');
    const t0 = performance.now();
    // In waves (each submitted at once, then awaited), so that what is measured is the cost of tracking
    // finished tasks, not of n requests in flight at the same moment.
    const results: WaitResult[] = [];
    for (let start = 0; start < n; start += opts.wave) {
      const runs: Promise<WaitResult>[] = [];
      for (let i = start; i < Math.min(n, start + opts.wave); i++) {
        runs.push(c.sendRequest(ExecuteRequest, { code: `print(${i})`, targets: 'balanced', silent: false }).then((r) => c.sendRequest(WaitRequest, { runId: r.runId, timeoutMs: opts.timeoutMs })));
      }
      results.push(...(await Promise.all(runs)));
    }
    const wallMs = performance.now() - t0;
    await quiet(() => lastAt, 500, 10_000);
    lsp.onNotification = undefined;
    const notDone = results.filter((w) => w.state !== 'done').length;
    const outputs = results.reduce((sum, w) => sum + w.engines.reduce((s, e) => s + e.outputs.length, 0), 0);
    const rss1 = statusKb(pid, 'VmRSS');
    // What tracking costs once the burst is over: V8 returns garbage pages only after its memory reducer
    // has run on an idle heap, so wait a while with nothing happening.
    await new Promise((r) => setTimeout(r, opts.settleMs));
    const rssSettled = statusKb(pid, 'VmRSS');
    const mem = readMemStats(memFile);
    const hwm = statusKb(pid, 'VmHWM');
    const label = `${n} tracked tasks`;
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
    opts.log(`  scale · lsp: ${n} tasks in ${fmt(wallMs / 1000)} s, RSS ${fmt(rss0 / 1024)} → ${fmt(rss1 / 1024)} MB after the burst → ${fmt(rssSettled / 1024)} MB settled (peak ${fmt(hwm / 1024)}), ${notifications} notifications, ipp/tasks ${fmt(fetchMs[0])} ms`);
    if (opts.heap !== 'never') {
      opts.log('  scale · heap snapshot of the server');
      try {
        process.kill(pid, 'SIGUSR2');
        const file = await waitForSnapshot(heapDir, 120_000);
        opts.profiles.push(heapMarkdown(summarizeHeap(file), `server heap with ${label}`));
        rmSync(file, { force: true });
      } catch (e) {
        opts.profiles.push(`#### server heap with ${label}\n\nThe heap snapshot failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    await lsp.purgeHub().catch(() => undefined);
    await lsp.disconnect().catch(() => undefined);
    return [
      {
        metric: `server RSS with ${label}, settled`,
        client: 'server',
        unit: 'MB',
        values: [rssSettled / 1024],
        target: { kind: 'absolute', op: '<', value: MEMORY_TARGET_MB },
        note: `server RSS before the tasks ${fmt(rss0 / 1024)} MB, right after the burst ${fmt(rss1 / 1024)} MB, ${fmt(opts.settleMs / 1000)} s later ${fmt(rssSettled / 1024)} MB (judged), peak ${fmt(hwm / 1024)} MB; ${outputs} outputs tracked; ${notDone} runs not done; ${n} runs took ${fmt(wallMs / 1000)} s`,
      },
      {
        metric: `server peak RSS during the ${n}-task burst`,
        client: 'server',
        unit: 'MB',
        values: [hwm / 1024],
        note: mem
          ? `settled server memory (process.memoryUsage / v8): RSS ${mb(mem.rss)} MB = V8 heap committed ${mb(mem.totalPhysical)} MB (used ${mb(mem.heapUsed)} MB) + external ${mb(mem.external)} MB (ArrayBuffers ${mb(mem.arrayBuffers)} MB) + the rest native (node itself, zeromq, malloc arenas) ${mb(mem.rss - mem.totalPhysical - mem.external)} MB`
          : undefined,
      },
      { metric: `notifications for ${label}`, client: 'server', unit: 'count', values: [notifications], note: `notifications by method: ${byMethod || 'none'}` },
      { metric: `ipp/tasks with ${label}`, client: 'server', unit: 'ms', values: fetchMs, note: `ipp/tasks returned ${listed} tasks in ${fmt(bytes / 1024)} KiB of JSON` },
    ];
  } catch (e) {
    opts.failures.push({ metric: 'scale', client: 'server', message: e instanceof Error ? e.message : String(e) });
    opts.log(`  scale · FAILED: ${e instanceof Error ? e.message : String(e)}`);
    return [{ metric: `server RSS with ${n} tracked tasks, settled`, client: 'server', unit: 'MB', values: [], target: { kind: 'absolute', op: '<', value: MEMORY_TARGET_MB } }];
  } finally {
    await lsp.close();
  }
}
