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
  columnNumber?: number;
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

/** One mapping of a generated line: from this column on, code of `source` (and the original `name`). */
interface Segment {
  column: number;
  source: number;
  line: number;
  name?: number;
}

interface BundleMap {
  sources: string[];
  names: string[];
  /** Per generated line, its segments by column. */
  lines: Segment[][];
}

/** Decodes one VLQ segment into its fields. */
function vlq(seg: string): number[] {
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
  return fields;
}

/**
 * The source map beside a bundle, decoded by generated line and column, so that frames in a minified
 * dist/server.js (a few long lines) are attributed to src/core, src/server or a package, with their
 * original function names.
 */
export function bundleMap(bundle: string): BundleMap | undefined {
  const mapFile = `${bundle}.map`;
  if (!existsSync(mapFile)) return undefined;
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; names?: string[]; mappings: string };
  const lines: Segment[][] = [];
  let source = 0;
  let line = 0;
  let name = 0;
  for (const text of map.mappings.split(';')) {
    const segs: Segment[] = [];
    let column = 0;
    for (const seg of text.split(',')) {
      if (!seg) continue;
      const f = vlq(seg);
      column += f[0];
      if (f.length < 4) continue;
      source += f[1];
      line += f[2];
      const s: Segment = { column, source, line };
      if (f.length >= 5) {
        name += f[4];
        s.name = name;
      }
      segs.push(s);
    }
    lines.push(segs);
  }
  return { sources: map.sources, names: map.names ?? [], lines };
}

/** The original source of each generated line (its first mapping). */
export function lineSources(bundle: string): (string | undefined)[] | undefined {
  const m = bundleMap(bundle);
  return m?.lines.map((segs) => (segs.length ? m.sources[segs[0].source] : undefined));
}

const bundles = new Map<string, BundleMap | undefined>();

/** The last segment of `segs` at or before `column`. */
function segmentAt(segs: readonly Segment[], column: number): Segment | undefined {
  let lo = 0;
  let hi = segs.length - 1;
  let found: Segment | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segs[mid].column <= column) {
      found = segs[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** A frame's original file (through the bundle's source map when there is one) and function name. */
function original(frame: CallFrame): { url: string; name: string } {
  if (!frame.url.includes('/dist/')) return { url: frame.url, name: frame.functionName };
  const path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  if (!bundles.has(path)) bundles.set(path, bundleMap(path));
  const m = bundles.get(path);
  const seg = m ? segmentAt(m.lines[frame.lineNumber] ?? [], frame.columnNumber ?? 0) : undefined;
  if (!m || !seg) return { url: frame.url, name: frame.functionName };
  // A minified function's own name is mapped where its name is declared, near its first column.
  const near = segmentAt(m.lines[frame.lineNumber] ?? [], (frame.columnNumber ?? 0) + 9);
  const named = [near, seg].find((s) => s?.name !== undefined && m.names[s.name] !== undefined);
  const name = frame.functionName && named?.name !== undefined ? m.names[named.name] : frame.functionName;
  return { url: `/${m.sources[seg.source].replace(/^(\.\.\/)+/, '')}`, name };
}

function originalUrl(frame: CallFrame): string {
  return original(frame).url;
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
    const name = f.url ? original(f).name : f.functionName;
    const key = `${name}@${where}`;
    const cur = fns.get(key) ?? { name: name || '(anonymous)', where, area, selfMs: 0 };
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
