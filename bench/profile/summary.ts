/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function and per area (idle, GC, zeromq,
 * JSON-RPC, our code, node internals), so a missed target can say where the time goes.
 * CLI: node out/bench/profile/summary.js FILE.cpuprofile [top]
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  name: string;
  where: string;
  area: string;
  selfMs: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Time not idle: what the process actually spent. */
  busyMs: number;
  areas: { area: string; selfMs: number }[];
  top: FunctionCost[];
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * For a bundle with a source map beside it, the original source of each generated line (its first
 * mapping), so that frames in dist/server.js are attributed to src/core, src/server or a package.
 */
export function lineSources(bundle: string): (string | undefined)[] | undefined {
  const mapFile = `${bundle}.map`;
  if (!existsSync(mapFile)) return undefined;
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; mappings: string };
  const out: (string | undefined)[] = [];
  let source = 0;
  for (const line of map.mappings.split(';')) {
    let first: number | undefined;
    for (const seg of line.split(',')) {
      if (!seg) continue;
      // Decode the segment's VLQ fields: [column, source delta, line delta, column, name].
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = BASE64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      if (fields.length >= 2) {
        source += fields[1];
        first ??= source;
      }
    }
    out.push(first === undefined ? undefined : map.sources[first]);
  }
  return out;
}

const bundleLines = new Map<string, (string | undefined)[] | undefined>();

/** The original file of a frame: through the bundle's source map when there is one. */
function originalUrl(frame: CallFrame): string {
  if (!frame.url.includes('/dist/')) return frame.url;
  const path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  if (!bundleLines.has(path)) bundleLines.set(path, lineSources(path));
  const src = bundleLines.get(path)?.[frame.lineNumber];
  return src ? `/${src.replace(/^(\.\.\/)+/, '')}` : frame.url;
}

/** Which part of the program a frame belongs to, from its URL (compiled tsc output or node_modules). */
export function areaOf(frame: CallFrame): string {
  const fn = frame.functionName;
  const url = frame.url ? originalUrl(frame) : '';
  if (!url) {
    if (fn === '(idle)') return 'idle';
    if (fn === '(garbage collector)') return 'GC';
    if (fn === '(program)') return 'V8/native (program)';
    return `native: ${fn || '(anonymous)'}`;
  }
  if (url.includes('node_modules/zeromq')) return 'zeromq.js';
  if (/node_modules\/vscode-(jsonrpc|languageserver)/.test(url)) return 'vscode-jsonrpc/languageserver';
  if (url.includes('/src/core/protocol/')) return 'ours: core/protocol';
  if (url.includes('/src/core/transport/')) return 'ours: core/transport';
  if (url.includes('/src/core/client/')) return 'ours: core/client';
  if (url.includes('/src/core/')) return 'ours: core (other)';
  if (url.includes('/src/server/')) return 'ours: server';
  if (url.includes('/bench/')) return 'bench driver';
  if (url.includes('/dist/')) return `bundle: ${basename(url)}`;
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  if (url.includes('node_modules/')) return `npm: ${url.split('node_modules/').pop()?.split('/')[0]}`;
  return 'other';
}

export function summarize(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample. As Chrome DevTools does, a sample lasts until
    // the next one: attribute timeDeltas[i + 1] to sample i (the last sample gets none).
    const dt = p.timeDeltas[i + 1] ?? 0;
    selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + dt);
  }
  const fns = new Map<string, FunctionCost>();
  const areas = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const f = node.callFrame;
    const area = areaOf(f);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const url = f.url ? originalUrl(f) : '';
    const where = url && url !== f.url ? `${url.replace(/^\//, '')} (${basename(f.url)}:${f.lineNumber + 1})` : f.url ? `${f.url.replace(/^.*\/(node_modules|src|dist|bench)\//, '$1/').replace(/^file:\/\//, '')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName}@${where}`;
    const cur = fns.get(key) ?? { name: f.functionName || '(anonymous)', where, area, selfMs: 0 };
    cur.selfMs += us / 1000;
    fns.set(key, cur);
  }
  const idleMs = (areas.get('idle') ?? 0) / 1000;
  return {
    file,
    totalMs: totalUs / 1000,
    busyMs: totalUs / 1000 - idleMs,
    areas: [...areas.entries()].map(([area, us]) => ({ area, selfMs: us / 1000 })).sort((a, b) => b.selfMs - a.selfMs),
    top: [...fns.values()].filter((f) => f.area !== 'idle').sort((a, b) => b.selfMs - a.selfMs).slice(0, top),
  };
}

/** Markdown: areas, then the top functions by self time, as shares of the busy (non-idle) time. */
export function summaryMarkdown(s: ProfileSummary, title: string): string {
  const pct = (ms: number): string => `${((100 * ms) / (s.busyMs || 1)).toFixed(1)}%`;
  const lines = [
    `#### ${title}`,
    '',
    `Profile \`${basename(s.file)}\`: ${s.totalMs.toFixed(0)} ms sampled, ${s.busyMs.toFixed(0)} ms busy (not idle).`,
    '',
    '| area | self ms | share of busy |',
    '| --- | --- | --- |',
    ...s.areas.filter((a) => a.area !== 'idle').slice(0, 10).map((a) => `| ${a.area} | ${a.selfMs.toFixed(0)} | ${pct(a.selfMs)} |`),
    '',
    '| function | where | self ms | share of busy |',
    '| --- | --- | --- | --- |',
    ...s.top.map((f) => `| ${f.name} | ${f.where || f.area} | ${f.selfMs.toFixed(1)} | ${pct(f.selfMs)} |`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node out/bench/profile/summary.js FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${summaryMarkdown(summarize(file, Number(process.argv[3] ?? 15)), basename(file))}\n`);
}
