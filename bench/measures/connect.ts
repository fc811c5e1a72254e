/** Connect time from process start: a fresh process per sample, timed from spawn to "connected". */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { ServerProcess } from '../clients/lspClient';
import { PYTHON_DIR } from '../clients/pythonClient';
import { ConnectRequest } from '../../src/server/protocol';
import type { ClientName, Row } from '../results';
import { fmt } from '../results';
import { rotate } from '../stats';
import type { Failure } from './repeat';

/** Spawns a process and resolves with ms from spawn to its first stdout line starting with "connected". */
export function timeToLine(cmd: string, args: string[], timeoutMs = 60_000): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let done = false;
    const finish = (err: Error | undefined, ms?: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else resolve(ms as number);
    };
    const timer = setTimeout(() => finish(new Error(`${cmd} did not connect within ${timeoutMs / 1000} s`)), timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('connected')) finish(undefined, performance.now() - t0);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.on('exit', (code) => finish(new Error(`${cmd} exited with ${code} before connecting: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)));
  });
}

export async function lspConnectMs(connectionFile: string): Promise<number> {
  const { server, spawnedAt } = await ServerProcess.start();
  try {
    await server.connection.sendRequest(ConnectRequest, { connectionFile });
    return performance.now() - spawnedAt;
  } finally {
    await server.stop();
  }
}

export async function measureConnect(opts: {
  reps: number;
  connectionFile: string;
  python: string;
  failures: Failure[];
  log: (line: string) => void;
}): Promise<Row[]> {
  const probes: Record<'core' | 'lsp' | 'python', () => Promise<number>> = {
    core: () => timeToLine(process.execPath, [join(__dirname, '..', 'probes', 'connectCore.js'), opts.connectionFile]),
    lsp: () => lspConnectMs(opts.connectionFile),
    python: () => timeToLine(opts.python, [join(PYTHON_DIR, 'connect_probe.py'), opts.connectionFile]),
  };
  const names = Object.keys(probes) as ('core' | 'lsp' | 'python')[];
  const values = new Map<ClientName, number[]>(names.map((n) => [n, []]));
  const broken = new Set<ClientName>();
  for (let rep = 0; rep < opts.reps; rep++) {
    for (const name of rotate(names, rep)) {
      if (broken.has(name)) continue;
      try {
        const ms = await probes[name]();
        values.get(name)?.push(ms);
        opts.log(`  connect · ${name} · rep ${rep + 1}/${opts.reps}: ${fmt(ms)} ms`);
      } catch (e) {
        broken.add(name);
        opts.failures.push({ metric: 'connect', client: name, message: e instanceof Error ? e.message : String(e) });
        opts.log(`  connect · ${name} · FAILED: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return names.map((name) => ({
    metric: 'connect time from process start',
    client: name,
    unit: 'ms',
    values: values.get(name) ?? [],
    ratioVs: 'python',
    target: name === 'python' ? undefined : { kind: 'ratio', op: '<=', value: 0.25, vs: 'python' },
    profile: 'connect',
    note: name === 'lsp' ? 'lsp: spawn node dist/server.js --stdio, initialize, ipp/connect answered' : name === 'python' ? 'python: interpreter start, import ipyparallel, Client(connection file)' : 'core: node start, load out/src/core, ClusterClient.connect()',
  }));
}
