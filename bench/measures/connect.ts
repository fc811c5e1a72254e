/** Connect time from process start: a fresh process per sample, timed from spawn to "connected". */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import * as esbuild from 'esbuild';
import { REPO_ROOT, ServerProcess } from '../clients/lspClient';
import { PYTHON_DIR } from '../clients/pythonClient';
import { ConnectRequest } from '../../src/shared/protocol';
import type { ClientName, Row } from '../results';
import { fmt } from '../results';
import { median, rotate } from '../stats';
import type { Failure } from './repeat';

export interface Connected {
  ms: number;
  /** Where the time went, as the probe reports it (boot, load, connect; ms). */
  phases?: Record<string, number>;
}

/** Spawns a probe and resolves with ms from spawn to its first stdout line starting with "connected". */
export function timeToLine(cmd: string, args: string[], timeoutMs = 60_000): Promise<Connected> {
  return new Promise<Connected>((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let done = false;
    const finish = (err: Error | undefined, result?: Connected): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else resolve(result as Connected);
    };
    const timer = setTimeout(() => finish(new Error(`${cmd} did not connect within ${timeoutMs / 1000} s`)), timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('connected')) return;
      const ms = performance.now() - t0;
      let phases: Record<string, number> | undefined;
      try {
        phases = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, number>;
      } catch {
        phases = undefined;
      }
      finish(undefined, { ms, phases });
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.on('exit', (code) => finish(new Error(`${cmd} exited with ${code} before connecting: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)));
  });
}

export async function lspConnect(connectionFile: string): Promise<Connected> {
  const { server, spawnedAt } = await ServerProcess.start();
  try {
    const initialized = performance.now();
    await server.connection.sendRequest(ConnectRequest, { connectionFile });
    const done = performance.now();
    return { ms: done - spawnedAt, phases: { 'spawn+initialize': initialized - spawnedAt, connect: done - initialized } };
  } finally {
    await server.stop();
  }
}

/**
 * Bundles the core connect probe the way scripts/build.mjs bundles dist/server.js (esbuild, CommonJS,
 * zeromq external), so that the core row measures loading shipped code rather than dozens of tsc files.
 */
export async function bundleCoreProbe(): Promise<string> {
  const outfile = join(REPO_ROOT, '.cache', 'bench', 'connectCore.js');
  await esbuild.build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [join(REPO_ROOT, 'bench', 'probes', 'connectCore.ts')],
    outfile,
    bundle: true,
    external: ['zeromq'],
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

const NOTES = {
  core: 'core: node start (boot), loading the core bundled by esbuild as dist/server.js is (load), ClusterClient.connect() (connect)',
  lsp: 'lsp: spawning node dist/server.js --stdio and the LSP initialize handshake, then ipp/connect answered (connect)',
  python: 'python: interpreter start (boot), import ipyparallel (load), Client(connection file) (connect)',
};

/** "boot 40 ms, load 30 ms, connect 20 ms" from the medians of each phase. */
function phaseText(list: Record<string, number>[]): string {
  return Object.keys(list[0] ?? {})
    .map((k) => `${k} ${fmt(median(list.map((p) => p[k])))} ms`)
    .join(', ');
}

export async function measureConnect(opts: {
  reps: number;
  connectionFile: string;
  python: string;
  failures: Failure[];
  log: (line: string) => void;
}): Promise<Row[]> {
  const coreProbe = await bundleCoreProbe();
  const probes: Record<'core' | 'lsp' | 'python', () => Promise<Connected>> = {
    core: () => timeToLine(process.execPath, [coreProbe, opts.connectionFile]),
    lsp: () => lspConnect(opts.connectionFile),
    python: () => timeToLine(opts.python, [join(PYTHON_DIR, 'connect_probe.py'), opts.connectionFile]),
  };
  const names = Object.keys(probes) as ('core' | 'lsp' | 'python')[];
  const values = new Map<ClientName, number[]>(names.map((n) => [n, []]));
  const phases = new Map<ClientName, Record<string, number>[]>(names.map((n) => [n, []]));
  const broken = new Set<ClientName>();
  for (let rep = 0; rep < opts.reps; rep++) {
    for (const name of rotate(names, rep)) {
      if (broken.has(name)) continue;
      try {
        const r = await probes[name]();
        values.get(name)?.push(r.ms);
        if (r.phases) phases.get(name)?.push(r.phases);
        opts.log(`  connect · ${name} · rep ${rep + 1}/${opts.reps}: ${fmt(r.ms)} ms${r.phases ? ` ${phaseText([r.phases])}` : ''}`);
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
    note: `${NOTES[name]}${phases.get(name)?.length ? `; medians: ${phaseText(phases.get(name) ?? [])}` : ''}`,
  }));
}
