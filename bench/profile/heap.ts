/**
 * Heap snapshots of the language server (started with --heapsnapshot-signal=SIGUSR2) summarized by what
 * holds the memory: self size and count per constructor (objects, closures) or per kind (strings,
 * arrays, code). A snapshot is taken after a full GC, so its total is the live heap.
 * CLI: node out/bench/profile/heap.js FILE.heapsnapshot [top]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapSummary {
  file: string;
  totalBytes: number;
  nodes: number;
  top: { what: string; count: number; bytes: number }[];
}

export function summarizeHeap(file: string, top = 15): HeapSummary {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const groups = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const size = snap.nodes[i + iSize];
    total += size;
    const what = type === 'object' || type === 'closure' ? `${snap.strings[snap.nodes[i + iName]]}${type === 'closure' ? ' (closure)' : ''}` : `(${type})`;
    const g = groups.get(what) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    groups.set(what, g);
  }
  return {
    file,
    totalBytes: total,
    nodes: snap.nodes.length / width,
    top: [...groups.entries()].map(([what, g]) => ({ what, ...g })).sort((a, b) => b.bytes - a.bytes).slice(0, top),
  };
}

export function heapMarkdown(h: HeapSummary, title: string): string {
  const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
  return [
    `#### ${title}`,
    '',
    `Heap snapshot \`${basename(h.file)}\`: ${mb(h.totalBytes)} MB live after GC in ${h.nodes.toLocaleString('en')} heap objects.`,
    '',
    '| held by | objects | MB | share |',
    '| --- | --- | --- | --- |',
    ...h.top.map((t) => `| ${t.what.replace(/\|/g, '\\|').slice(0, 60) || '(empty name)'} | ${t.count.toLocaleString('en')} | ${mb(t.bytes)} | ${((100 * t.bytes) / h.totalBytes).toFixed(1)}% |`),
  ].join('\n');
}

/** Waits for a *.heapsnapshot in `dir` whose size stops changing; resolves its path. */
export async function waitForSnapshot(dir: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const file = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).sort().pop();
    if (file) {
      const size = statSync(join(dir, file)).size;
      if (size > 0 && size === last) return join(dir, file);
      last = size;
    }
    if (Date.now() > deadline) throw new Error(`no complete heap snapshot in ${dir} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node out/bench/profile/heap.js FILE.heapsnapshot [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${heapMarkdown(summarizeHeap(file, Number(process.argv[3] ?? 15)), basename(file))}\n`);
}
