/**
 * Streams runs into an append-only channel in %px style. Outputs are held per run until every engine of
 * the run has output waiting, the run ends, or the oldest has waited `holdMs`, then written together:
 * identical outputs are grouped across engines, so a short run is grouped exactly as %px groups it (and
 * written as soon as the last engine's output is in), while a long run still streams every `holdMs`.
 * Pure (the writer and the clock are injected): the vscode side calls push/setRun and flush on a timer.
 */
import type { OutputItem, Targets, TaskState } from '../../core/client/types';
import { l10n } from '../l10n';
import { formatOutputs, formatRunFooter, formatRunHeader, type EngineOutput, type FormatState } from './pxFormat';

export interface StreamRunInfo {
  runId: string;
  title: string;
  targets: Targets;
  created?: string;
  state: TaskState;
  done: number;
  total: number;
  elapsedMs: number;
  failed?: number;
  /** The cluster it ran on, named while several clusters are connected. */
  cluster?: string;
}

interface RunStream {
  info?: StreamRunInfo;
  pending: EngineOutput[];
  /** When the oldest pending output arrived. */
  pendingSince: number;
  format: FormatState;
  headerWritten: boolean;
  footerWritten: boolean;
  /** When the run was first seen terminal (the footer waits graceMs for late outputs). */
  finishedAt?: number;
  firstSeen: number;
}

const terminal = (s: TaskState) => s !== 'pending' && s !== 'running';

/** Whether each engine of the run (one per task, as far as the summary says) has output waiting. */
function everyEngineWaiting(s: RunStream): boolean {
  const total = s.info?.total ?? 0;
  if (total < 2) return false;
  const engines = new Set(s.pending.map((p) => p.engineId));
  return !engines.has(undefined) && engines.size >= total;
}

export class PxStream {
  #runs = new Map<string, RunStream>();
  #ignored = new Set<string>();
  /** Recently finished runs, so that a late output is written under its run's title. */
  #finished = new Map<string, StreamRunInfo | undefined>();
  #lastRun: string | undefined;

  constructor(
    private readonly write: (text: string) => void,
    private readonly now: () => number = Date.now,
    /** How long the footer waits after a run ended, for outputs still in flight. */
    private readonly graceMs = 150,
    /**
     * How long outputs of a run we know nothing about (no summary, no intro with its first output: not
     * from this extension's server) wait before a bare header; also how long a quiet run's header waits.
     */
    private readonly headerWaitMs = 1000,
    /**
     * How long the outputs of a running run are held at most, to group those of several engines: long
     * enough for engines that finish a moment apart on a loaded machine (a chunk is written at once when
     * every engine's output is in).
     */
    private readonly holdMs = 1000,
  ) {}

  /** Runs that ended before we started watching: never written (their outputs are fetched on demand). */
  ignore(runIds: Iterable<string>): void {
    for (const id of runIds) if (!this.#runs.has(id)) this.#ignored.add(id);
  }

  #stream(runId: string): RunStream {
    let s = this.#runs.get(runId);
    if (!s) {
      s = { pending: [], pendingSince: 0, format: {}, headerWritten: false, footerWritten: false, firstSeen: this.now() };
      this.#runs.set(runId, s);
    }
    return s;
  }

  setRun(info: StreamRunInfo): void {
    if (this.#ignored.has(info.runId)) return;
    if (this.#finished.has(info.runId) && !this.#runs.has(info.runId)) {
      // Already written: a finished run that changes again (e.g. resubmitted) gets a new block.
      if (terminal(info.state)) {
        this.#finished.set(info.runId, info);
        return;
      }
      this.#finished.delete(info.runId);
    }
    const s = this.#stream(info.runId);
    s.info = info;
    if (terminal(info.state)) s.finishedAt ??= this.now();
    else s.finishedAt = undefined;
  }

  /**
   * An output of a run. `intro` (the server sends it with a run's first output) titles the run at once,
   * so its output never waits for the run's summary.
   */
  push(runId: string, engineId: number | undefined, output: OutputItem, intro?: { title: string; targets: Targets; created?: string; tasks?: number; cluster?: string }): void {
    if (this.#ignored.has(runId)) return;
    const late = !this.#runs.has(runId) && this.#finished.has(runId);
    const s = this.#stream(runId);
    if (!s.info && intro) {
      const { tasks, ...rest } = intro;
      // The task count lets the first chunk go out the moment every engine's output is in.
      s.info = { runId, ...rest, state: 'running', done: 0, total: tasks ?? 0, elapsedMs: 0 };
    }
    if (late) {
      s.info = this.#finished.get(runId);
      s.headerWritten = s.footerWritten = true;
    }
    if (!s.pending.length) s.pendingSince = this.now();
    s.pending.push({ engineId, output });
  }

  /** Forget a run (purged): nothing more is written for it. */
  remove(runId: string): void {
    this.#runs.delete(runId);
    // The run left the model (purged, the server restarted, another cluster shown): its id may name a new
    // run later (run ids restart with the server and are per session), whose outputs are not late ones of this.
    this.#ignored.delete(runId);
    this.#finished.delete(runId);
  }

  /** Whether flush() has anything to do now or later (the caller keeps its timer while true). */
  get busy(): boolean {
    for (const s of this.#runs.values()) if (!s.footerWritten) return true;
    return false;
  }

  /** Writes what is due. `final` writes everything now (footers included), e.g. before showing the channel. */
  flush(final = false): void {
    const now = this.now();
    for (const [runId, s] of this.#runs) {
      if (s.footerWritten) {
        if (s.pending.length) this.#writeChunk(runId, s, `── ${l10n.t('late output of {0}', s.info?.title ?? l10n.t('run {0}', runId))} ──\n`);
        continue;
      }
      const waited = final || now - s.firstSeen >= this.headerWaitMs;
      // A run we know nothing about yet waits a moment for its summary (its title and targets).
      if (s.info === undefined && !waited) continue;
      const footerDue = s.info !== undefined && s.finishedAt !== undefined && (final || now - s.finishedAt >= this.graceMs);
      const chunkDue = s.pending.length > 0
        && (final || footerDue || s.info === undefined || now - s.pendingSince >= this.holdMs || everyEngineWaiting(s));
      // The header comes with the first output, the end, or after a moment for a quiet run, so that
      // concurrent runs interleave as little as possible.
      if (chunkDue || (!s.headerWritten && (footerDue || waited))) this.#writeChunk(runId, s);
      if (footerDue && s.info) {
        this.write(formatRunFooter(s.info));
        s.footerWritten = true;
        this.#lastRun = undefined;
      }
    }
    // Finished runs are written: forget them, remembering only the last few titles for late outputs.
    for (const [runId, s] of this.#runs) {
      if (!s.footerWritten || s.pending.length) continue;
      this.#runs.delete(runId);
      this.#finished.set(runId, s.info);
      if (this.#finished.size > 200) this.#finished.delete(this.#finished.keys().next().value!);
    }
  }

  #writeChunk(runId: string, s: RunStream, lead = ''): void {
    let text = lead;
    if (!s.headerWritten) {
      text += formatRunHeader(s.info ?? { title: l10n.t('run {0}', runId), targets: 'all' });
      s.headerWritten = true;
    } else if (this.#lastRun !== runId && !lead) {
      text += `── ${s.info?.title ?? `run ${runId}`} (continued) ──\n`;
      s.format.lastLabel = undefined;
    }
    text += formatOutputs(s.pending, s.format);
    s.pending = [];
    this.#lastRun = runId;
    if (text) this.write(text);
  }
}
