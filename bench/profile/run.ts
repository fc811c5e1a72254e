/**
 * Profiles our clients where a target was missed: the core client in a fresh `node --cpu-prof` process,
 * and the language server spawned with --cpu-prof (its profile is written when it exits after shutdown).
 * Each profile is summarized into Markdown for bench/results/latest.md.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { LspClient, REPO_ROOT } from '../clients/lspClient';
import { bigOutputCode } from '../measures/bigOutput';
import { bundleCoreProbe } from '../measures/connect';
import type { Judged } from '../results';
import { summarize, summaryMarkdown } from './summary';

export type ProfileKind = 'latency' | 'lb' | 'all' | 'connect' | 'big';

export const PROFILE_DIR = join(REPO_ROOT, '.cache', 'bench', 'profiles');

function newest(dir: string): string | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  return files.length ? join(dir, files[files.length - 1]) : undefined;
}

function runNode(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(stdout);
    });
  });
}

export interface ProfileJob {
  client: 'core' | 'lsp';
  kind: ProfileKind;
}

export interface ProfileContext {
  connectionFile: string;
  engines: number;
  /** Engine the latency samples run on. */
  engineId: number;
  sizes: Record<Exclude<ProfileKind, 'connect'>, number>;
  log: (line: string) => void;
}

async function profileOne(job: ProfileJob, ctx: ProfileContext): Promise<string> {
  const dir = join(PROFILE_DIR, `${job.client}-${job.kind}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const prof = ['--cpu-prof', '--cpu-prof-dir', dir];
  if (job.client === 'core') {
    if (job.kind === 'big') throw new Error('the big-output profile is taken of the language server only');
    if (job.kind === 'connect') {
      await runNode([...prof, await bundleCoreProbe(), ctx.connectionFile], 60_000);
    } else {
      await runNode([...prof, join(__dirname, '..', 'probes', 'profileCore.js'), ctx.connectionFile, String(ctx.engines), job.kind, String(ctx.sizes[job.kind])], 600_000);
    }
  } else {
    const lsp = new LspClient(ctx.connectionFile, ctx.engines, { nodeArgs: prof });
    try {
      await lsp.connect();
      if (job.kind === 'latency') await lsp.latency(ctx.sizes.latency, ctx.engineId);
      else if (job.kind === 'lb') await lsp.lb(ctx.sizes.lb, 300_000);
      else if (job.kind === 'all') await lsp.all(ctx.sizes.all, 300_000);
      else if (job.kind === 'big') await lsp.runs(bigOutputCode(ctx.sizes.big), ctx.engineId, 1, 300_000);
      if (job.kind !== 'connect') await lsp.purgeHub();
      await lsp.disconnect();
    } finally {
      await lsp.close();
    }
  }
  const file = newest(dir);
  if (!file) throw new Error(`no .cpuprofile was written to ${dir}`);
  const what = job.client === 'core' ? 'core client process' : 'language server process';
  return summaryMarkdown(summarize(file), `${job.client} · ${job.kind}: ${what}`);
}

/** Which profiles to take: one per (our client, measurement kind) with a missed target, or all with `always`. */
export function profileJobs(judged: readonly Judged[], always: boolean): ProfileJob[] {
  const jobs = new Map<string, ProfileJob>();
  const add = (client: 'core' | 'lsp', kind: ProfileKind): void => {
    jobs.set(`${client}/${kind}`, { client, kind });
  };
  if (always) {
    for (const client of ['core', 'lsp'] as const) for (const kind of ['lb', 'all'] as const) add(client, kind);
  }
  for (const r of judged) {
    if (r.verdict !== 'miss' || (r.client !== 'core' && r.client !== 'lsp') || !r.profile) continue;
    add(r.client, r.profile);
  }
  return [...jobs.values()];
}

export async function runProfiles(jobs: readonly ProfileJob[], ctx: ProfileContext): Promise<string[]> {
  const out: string[] = [];
  for (const job of jobs) {
    ctx.log(`  profiling ${job.client} · ${job.kind}`);
    try {
      out.push(await profileOne(job, ctx));
    } catch (e) {
      out.push(`#### ${job.client} · ${job.kind}\n\nProfiling failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}
