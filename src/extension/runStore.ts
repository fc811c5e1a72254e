/**
 * The runs a window keeps in workspace state so that they survive a window reload, a server restart or a
 * reconnect (ipp/reattach brings them back). Kept per cluster (ConnectResult.clusterKey: the connection
 * file and the controller's location, never the key), bounded: the newest runs per cluster, a byte budget
 * per cluster, the most recently used clusters. Pure functions over plain data plus a small class over a
 * Memento-like store, so it is unit tested in plain Node (no `vscode` here).
 */
import type { ReattachRun, Targets } from '../shared/protocol';

export const KEPT_RUNS_KEY = 'ipyparallel.keptRuns';

export const KEEP_LIMITS = {
  /** Runs kept per cluster (the newest). */
  runsPerCluster: 200,
  /** JSON bytes of the runs kept per cluster. */
  bytesPerCluster: 256 * 1024,
  /** Clusters kept (the most recently used). */
  clusters: 20,
  /** Code longer than this is not kept (the hub's record has it; the title and hash stand in). */
  codeChars: 4096,
  /** msg_ids kept per run (a run on more engines keeps its first ones). */
  msgIdsPerRun: 1024,
};
export type KeepLimits = typeof KEEP_LIMITS;

/** One run as kept: what ipp/reattach needs. */
export interface KeptRun extends ReattachRun {
  title: string;
  created: string;
  codeHash: string;
}

interface KeptCluster {
  /** ISO date of the last run kept or reattached. */
  used: string;
  runs: KeptRun[];
}

export interface KeptState {
  version: 1;
  clusters: Record<string, KeptCluster>;
}

/** The part of vscode.Memento used here. */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

const isStr = (v: unknown): v is string => typeof v === 'string';

function isTargets(v: unknown): v is Targets {
  return v === 'all' || v === 'balanced' || (Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x) && (x as number) >= 0));
}

/** A kept run as read back (workspace state may hold anything: an older version, a hand edit). */
function validRun(v: unknown): v is KeptRun {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return (
    Array.isArray(r.msgIds) && r.msgIds.length > 0 && r.msgIds.every(isStr) && isTargets(r.targets) &&
    isStr(r.title) && isStr(r.created) && isStr(r.codeHash) &&
    (r.uri === undefined || isStr(r.uri)) && (r.code === undefined || isStr(r.code)) &&
    (r.line === undefined || (Number.isInteger(r.line) && (r.line as number) >= 0))
  );
}

/** The kept state from whatever the store holds; anything malformed is dropped, never thrown. */
export function parseKept(raw: unknown): KeptState {
  const state: KeptState = { version: 1, clusters: {} };
  if (raw === null || typeof raw !== 'object' || (raw as KeptState).version !== 1) return state;
  const clusters = (raw as KeptState).clusters;
  if (clusters === null || typeof clusters !== 'object') return state;
  for (const [key, c] of Object.entries(clusters)) {
    if (!c || !isStr(c.used) || !Array.isArray(c.runs)) continue;
    const runs = c.runs.filter(validRun);
    if (runs.length) state.clusters[key] = { used: c.used, runs };
  }
  return state;
}

/** A run as it is kept: code only when short, msg_ids bounded. */
export function toKept(run: KeptRun, limits: KeepLimits = KEEP_LIMITS): KeptRun {
  const { code, ...rest } = run;
  const kept: KeptRun = { ...rest, msgIds: run.msgIds.slice(0, limits.msgIdsPerRun) };
  if (code !== undefined && code.length <= limits.codeChars) kept.code = code;
  return kept;
}

/** The newest runs within the count and byte limits (oldest dropped first). */
export function capRuns(runs: readonly KeptRun[], limits: KeepLimits = KEEP_LIMITS): KeptRun[] {
  const out: KeptRun[] = [];
  let bytes = 2;
  for (let i = runs.length - 1; i >= 0 && out.length < limits.runsPerCluster; i--) {
    const size = Buffer.byteLength(JSON.stringify(runs[i]), 'utf8') + 1;
    if (bytes + size > limits.bytesPerCluster) break;
    bytes += size;
    out.push(runs[i]);
  }
  return out.reverse();
}

/** The state with `run` kept for `cluster` (newest last), every limit applied. */
export function keepRun(state: KeptState, cluster: string, run: KeptRun, now: string, limits: KeepLimits = KEEP_LIMITS): KeptState {
  const prior = state.clusters[cluster]?.runs ?? [];
  const clusters = { ...state.clusters, [cluster]: { used: now, runs: capRuns([...prior, toKept(run, limits)], limits) } };
  return { version: 1, clusters: capClusters(clusters, limits) };
}

/** The most recently used clusters. */
export function capClusters(clusters: Record<string, KeptCluster>, limits: KeepLimits = KEEP_LIMITS): Record<string, KeptCluster> {
  const entries = Object.entries(clusters).sort((a, b) => b[1].used.localeCompare(a[1].used));
  return Object.fromEntries(entries.slice(0, limits.clusters));
}

/** The state without the runs of `cluster` that `drop` selects. */
export function dropRuns(state: KeptState, cluster: string, drop: (run: KeptRun) => boolean): KeptState {
  const c = state.clusters[cluster];
  if (!c) return state;
  const runs = c.runs.filter((r) => !drop(r));
  const clusters = { ...state.clusters };
  if (runs.length) clusters[cluster] = { ...c, runs };
  else delete clusters[cluster];
  return { version: 1, clusters };
}

/** The kept runs over a store (workspace state); writes are made one at a time, in order. */
export class RunStore {
  #writing: PromiseLike<void> = Promise.resolve();

  constructor(
    private readonly store: StateStore,
    private readonly limits: KeepLimits = KEEP_LIMITS,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {}

  runs(cluster: string): KeptRun[] {
    return parseKept(this.store.get(KEPT_RUNS_KEY)).clusters[cluster]?.runs ?? [];
  }

  keep(cluster: string, run: KeptRun): Promise<void> {
    return this.#write((s) => keepRun(s, cluster, run, this.now(), this.limits));
  }

  /** Forgets the runs any of whose msg_ids is listed. */
  forget(cluster: string, msgIds: Iterable<string>): Promise<void> {
    const ids = new Set(msgIds);
    return this.#write((s) => dropRuns(s, cluster, (r) => r.msgIds.some((m) => ids.has(m))));
  }

  #write(change: (s: KeptState) => KeptState): Promise<void> {
    const next = Promise.resolve(this.#writing).then(() => this.store.update(KEPT_RUNS_KEY, change(parseKept(this.store.get(KEPT_RUNS_KEY)))));
    this.#writing = next.then(undefined, () => undefined);
    return next;
  }
}
