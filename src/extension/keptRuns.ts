/**
 * Runs that survive a window reload, a server restart or a reconnect: each run is kept (runStore.ts) for
 * the cluster it ran on, and after every connect to that cluster the kept runs the server does not track
 * are sent to ipp/reattach. They then come back into the model through the usual notifications: finished
 * ones with their state and output, running ones followed to their end, and tasks the hub no longer has
 * shown `lost` with a reason that says so. No `vscode` here (ctx.ts wires it), so it is unit tested.
 */
import { codeHash } from '../core/codeHash';
import type { ExecuteResult, ReattachParams, ReattachResult, Targets } from '../shared/protocol';
import type { ClusterModel } from './model';
import type { RunStore } from './runStore';

export interface KeptRunsDeps {
  store: RunStore;
  model: ClusterModel;
  reattach(params: ReattachParams): Promise<ReattachResult>;
  log: { info(message: string): void; warn(message: string): void };
}

/** What was run, as runCode knows it. */
export interface SubmittedRun {
  code: string;
  title: string;
  uri?: string;
  line?: number;
  targets: Targets;
}

export class KeptRuns {
  #cluster: string | undefined;

  constructor(private readonly deps: KeptRunsDeps) {}

  /** The key of the cluster connected to (undefined while not connected, or from a server without it). */
  get cluster(): string | undefined {
    return this.#cluster;
  }

  /**
   * Connected to a cluster: re-attaches its kept runs that the server does not track (a server that was
   * already connected to it keeps its own). Resolves with the answer, or undefined when nothing was sent.
   */
  async connected(clusterKey: string | undefined): Promise<ReattachResult | undefined> {
    this.#cluster = clusterKey;
    if (clusterKey === undefined) return undefined;
    const tracked = new Set(this.deps.model.runs.flatMap((r) => r.tasks.map((t) => t.msgId)));
    const runs = this.deps.store.runs(clusterKey).filter((r) => !r.msgIds.every((id) => tracked.has(id)));
    if (runs.length === 0) return undefined;
    const answer = await this.deps.reattach({ runs });
    const back = answer.runs.filter((r) => r.runId !== undefined);
    const running = back.filter((r) => r.state === 'running' || r.state === 'pending').length;
    const gone = back.filter((r) => r.unknown.length > 0).length;
    this.deps.log.info(`re-attached ${back.length} of ${runs.length} kept run(s): ${running} still running, ${gone} with tasks the controller no longer has`);
    for (const r of answer.runs) if (r.error) this.deps.log.warn(`a kept run could not be re-attached: ${r.error}`);
    return answer;
  }

  /** A run was submitted: keep it for the cluster it runs on. */
  keep(run: SubmittedRun, result: ExecuteResult): Promise<void> {
    const cluster = this.#cluster;
    if (cluster === undefined) return Promise.resolve();
    const { code, title, uri, line, targets } = run;
    return this.deps.store.keep(cluster, {
      msgIds: result.msgIds,
      targets,
      title,
      code,
      ...(uri !== undefined && { uri, line: line ?? 0 }),
      created: new Date().toISOString(),
      codeHash: codeHash(code),
    });
  }

  /** The msg_ids of the finished runs among `runIds` (default: every run): read before a purge forgets them. */
  finishedMsgIds(runIds?: readonly string[]): string[] {
    const finished = this.deps.model.runs.filter((r) => (runIds === undefined || runIds.includes(r.runId)) && r.state !== 'running' && r.state !== 'pending');
    return finished.flatMap((r) => r.tasks.map((t) => t.msgId));
  }

  /** Forgets the kept runs with any of these tasks (their results were purged). */
  forget(msgIds: readonly string[]): Promise<void> {
    const cluster = this.#cluster;
    if (cluster === undefined || msgIds.length === 0) return Promise.resolve();
    return this.deps.store.forget(cluster, msgIds);
  }
}
