/**
 * Per-engine cluster outputs as notebook outputs (pure: no `vscode` here; controller.ts turns these
 * descriptors into NotebookCellOutputs). Labels and order are `%px`'s (pxFormat.ts):
 *
 *     [stdout:0-1] hello          a stream, identical on engines 0 and 1, folded into one output
 *     Out[0:3]: 42                a text-only execute_result
 *     Out[1:3]:  + <image/png>    a rich result: a one-line label output, then the MIME bundle itself
 *     [output:0] + <text/html>    a rich display_data
 *     error ZeroDivisionError     the traceback starts with `[0,1:execute]:`
 *
 * Each output's metadata is shaped as VS Code's ipynb serializer keeps it (`outputType`, and the
 * nbformat output metadata under `metadata`), with `metadata.ipyparallel = { engines, msgIds }`, so a
 * saved notebook knows where its displays and results came from. (nbformat streams and errors have no
 * metadata: their engines are in their label, and controller.ts keeps the msg_ids in the cell metadata.)
 */
import type { OutputItem } from '../../shared/protocol';
import { block, groupLabel, groupPieces, plainText, type Group, type Kind, type Piece } from '../output/pxFormat';

export const MIME = {
  stdout: 'application/vnd.code.notebook.stdout',
  stderr: 'application/vnd.code.notebook.stderr',
  error: 'application/vnd.code.notebook.error',
} as const;

/** One engine's output, with the task it came from. */
export interface TaskOutput {
  engineId?: number;
  msgId: string;
  output: OutputItem;
}

export type NbItem = { mime: string; text: string } | { mime: string; json: unknown } | { mime: string; base64: string };

export interface NbOutputMetadata {
  outputType: 'stream' | 'display_data' | 'execute_result' | 'error';
  executionCount?: number | null;
  metadata: { ipyparallel: { engines: number[]; msgIds: string[] }; [key: string]: unknown };
}

export interface NbOutput {
  items: NbItem[];
  metadata: NbOutputMetadata;
}

const BASE64_MIMES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/bmp']);
const isJsonMime = (mime: string) => mime === 'application/json' || mime.endsWith('+json');

/** One MIME entry of a Jupyter bundle as a notebook output item (multi-line strings joined, base64 cleaned). */
export function bundleItem(mime: string, value: unknown): NbItem {
  const text = Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join('') : value;
  if (BASE64_MIMES.has(mime) && typeof text === 'string') return { mime, base64: text.replace(/\s+/g, '') };
  if (isJsonMime(mime)) return { mime, json: typeof text === 'string' ? safeJson(text) : text };
  return typeof text === 'string' ? { mime, text } : { mime, json: text };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A stable key of a value (object keys sorted), so equal bundles from two engines group. */
function stableKey(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/**
 * One piece per output, streams concatenated per engine and name (as pxFormat does). With fold=false
 * the engine id is part of the key, so nothing is grouped (the "unfolded" view).
 */
function toPieces(items: readonly TaskOutput[], fold: boolean): Piece[] {
  const streams = new Map<string, Piece>();
  const out: Piece[] = [];
  for (const { engineId, msgId, output } of items) {
    if (output.kind === 'stream') {
      const key = `${output.name}:${engineId ?? '?'}`;
      const p = streams.get(key);
      if (p) {
        p.text += output.text;
        continue;
      }
      const np: Piece = { kind: output.name, engineId, text: output.text, msgId, output };
      streams.set(key, np);
      out.push(np);
      continue;
    }
    const kind: Kind = output.kind === 'error' ? 'error' : output.kind === 'execute_result' ? 'result' : 'display';
    const executionCount = output.kind === 'execute_result' ? output.executionCount : undefined;
    const body = output.kind === 'error' ? { e: output.ename, v: output.evalue, t: output.traceback } : { d: output.data, m: output.kind === 'display_data' ? output.metadata : undefined };
    out.push({ kind, engineId, text: stableKey(body), executionCount, msgId, output });
  }
  // Not folding: make each engine's piece unique to it (streamOutput strips the tag again).
  if (!fold) for (const p of out) p.text = `${p.engineId ?? '?'}\u0000${p.text}`;
  return out;
}

function meta(g: Group, outputType: NbOutputMetadata['outputType'], extra: Record<string, unknown> = {}): NbOutputMetadata {
  const engines = g.members.flatMap((m) => (m.engineId === undefined ? [] : [m.engineId])).sort((a, b) => a - b);
  const msgIds = g.members.flatMap((m) => (m.msgId ? [m.msgId] : []));
  return { outputType, metadata: { ...extra, ipyparallel: { engines, msgIds } } };
}

function streamOutput(g: Group, label: string, fold: boolean): NbOutput {
  // Unfolded, the group's text starts with the engine tag toPieces added.
  const text = fold ? g.text : g.text.slice(g.text.indexOf('\u0000') + 1);
  return { items: [{ mime: g.kind === 'stderr' ? MIME.stderr : MIME.stdout, text: block(label, text, g.kind) }], metadata: meta(g, 'stream') };
}

function errorOutput(g: Group, label: string): NbOutput {
  const e = g.members[0].output as Extract<OutputItem, { kind: 'error' }>;
  const stack = `${label}\n${e.traceback.join('\n') || `${e.ename}: ${e.evalue}`}`;
  return { items: [{ mime: MIME.error, json: { name: e.ename, message: e.evalue, stack } }], metadata: meta(g, 'error') };
}

function richOutputs(g: Group, label: string): NbOutput[] {
  const o = g.members[0].output as Extract<OutputItem, { kind: 'execute_result' | 'display_data' }>;
  const outputType = o.kind;
  const counts = new Set(g.members.map((m) => m.executionCount ?? null));
  const extra = o.kind === 'display_data' ? o.metadata : {};
  const m = meta(g, outputType, extra);
  if (outputType === 'execute_result') m.executionCount = counts.size === 1 ? [...counts][0] : null;
  const mimes = Object.keys(o.data);
  if (mimes.every((k) => k === 'text/plain')) {
    return [{ items: [{ mime: 'text/plain', text: block(label, plainText(o.data), g.kind) }], metadata: m }];
  }
  const labelOutput: NbOutput = { items: [{ mime: MIME.stdout, text: `${label}\n` }], metadata: meta(g, 'stream') };
  return [labelOutput, { items: mimes.map((k) => bundleItem(k, o.data[k])), metadata: m }];
}

/** The notebook outputs of a cell's task outputs: labelled, in %px order, identical ones folded unless fold=false. */
export function notebookOutputs(items: readonly TaskOutput[], fold = true): NbOutput[] {
  const out: NbOutput[] = [];
  for (const g of groupPieces(toPieces(items, fold))) {
    const label = groupLabel(g.kind, g.members);
    if (g.kind === 'stdout' || g.kind === 'stderr') out.push(streamOutput(g, label, fold));
    else if (g.kind === 'error') out.push(errorOutput(g, label));
    else out.push(...richOutputs(g, label));
  }
  return out;
}
