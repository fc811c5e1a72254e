/**
 * What the Results view shows, as plain data and update operations (no `vscode`: unit tested in Node).
 * A block per run in %px style, like the output channel, but mutable: an output is shown the moment it
 * arrives, and when the other engines' identical outputs follow, the run's text is regrouped in place
 * (`[stdout:0] 1` becomes `[stdout:0,1] 1`), so nothing waits to be grouped. A run whose text outgrows
 * `regroupChars` switches to appending (a long stream is no longer regrouped, which would cost its whole
 * text per update). Bounded: the last `maxRuns` runs, and the last `maxBodyChars` of each.
 */
import type { OutputItem, Targets } from '../../core/client/types';
import { formatOutputs, formatRunFooter, formatRunHeader, type EngineOutput, type FormatState } from './pxFormat';
import type { StreamRunInfo } from './pxStream';
import { l10n } from '../l10n';

export interface RenderedRun {
  runId: string;
  header: string;
  body: string;
  footer: string;
}

export type ResultsOp =
  | { type: 'run'; run: RenderedRun }
  | { type: 'header'; runId: string; text: string }
  | { type: 'body'; runId: string; text: string }
  | { type: 'append'; runId: string; text: string }
  | { type: 'footer'; runId: string; text: string }
  | { type: 'drop'; runId: string };

export interface ResultsLimits {
  maxRuns: number;
  regroupChars: number;
  maxBodyChars: number;
}

export const DEFAULT_RESULTS_LIMITS: ResultsLimits = { maxRuns: 50, regroupChars: 64 * 1024, maxBodyChars: 512 * 1024 };

const CUT = '… (earlier output not shown here: Show Output or the task\'s output has all of it)\n';

interface RunState extends RenderedRun {
  /** Every output so far while the run is regrouped; undefined once it appends. */
  items?: EngineOutput[];
  format: FormatState;
  headerFromSummary: boolean;
}

const terminal = (s: StreamRunInfo['state']) => s !== 'pending' && s !== 'running';

export class ResultsModel {
  #runs = new Map<string, RunState>();
  #ops: ResultsOp[] = [];
  #ignored = new Set<string>();

  constructor(private readonly limits: ResultsLimits = DEFAULT_RESULTS_LIMITS) {}

  /** Runs that ended before we started watching: not shown. */
  ignore(runIds: Iterable<string>): void {
    for (const id of runIds) if (!this.#runs.has(id)) this.#ignored.add(id);
  }

  /** An output of a run; `intro` (on a run's first output) titles it. */
  push(runId: string, engineId: number | undefined, output: OutputItem, intro?: { title: string; targets: Targets; created?: string; cluster?: string }): void {
    if (this.#ignored.has(runId)) return;
    const r = this.#run(runId, intro);
    if (r.items) {
      r.items.push({ engineId, output });
      const format: FormatState = {};
      const text = formatOutputs(r.items, format);
      if (text.length <= this.limits.regroupChars) {
        r.body = text;
        this.#emitBody(r);
        return;
      }
      // Too long to regroup on every update: keep the text, append from now on (a stream continues bare).
      r.items = undefined;
      r.format = format;
      r.body = text;
      this.#bound(r);
      this.#emitBody(r);
      return;
    }
    const add = formatOutputs([{ engineId, output }], r.format);
    if (!add) return;
    r.body += add;
    if (this.#bound(r)) this.#emitBody(r);
    else this.#emitAppend(r, add);
  }

  /** A run's summary: its title (if no intro gave one) and, once it has ended, its footer. */
  setRun(info: StreamRunInfo): void {
    if (this.#ignored.has(info.runId)) return;
    const known = this.#runs.get(info.runId);
    if (!known && terminal(info.state)) return; // ended without output while we watched: nothing to show
    const r = known ?? this.#run(info.runId, info);
    if (!r.headerFromSummary) {
      r.headerFromSummary = true;
      const header = formatRunHeader(info);
      if (header !== r.header) {
        r.header = header;
        this.#ops.push({ type: 'header', runId: r.runId, text: header });
      }
    }
    const footer = terminal(info.state) ? formatRunFooter(info) : '';
    if (footer !== r.footer) {
      r.footer = footer;
      this.#ops.push({ type: 'footer', runId: r.runId, text: footer });
    }
  }

  remove(runId: string): void {
    // The run left the model (purged, the server restarted, another cluster shown): its id may name a new run later.
    this.#ignored.delete(runId);
    if (!this.#runs.delete(runId)) return;
    this.#ops.push({ type: 'drop', runId });
  }

  /** Everything shown, oldest run first (for a view that (re)loads). */
  snapshot(): RenderedRun[] {
    return [...this.#runs.values()].map(({ runId, header, body, footer }) => ({ runId, header, body, footer }));
  }

  /** The operations since the last call, in order. */
  takeOps(): ResultsOp[] {
    const ops = this.#ops;
    this.#ops = [];
    return ops;
  }

  #run(runId: string, intro?: { title: string; targets: Targets; created?: string; cluster?: string }): RunState {
    let r = this.#runs.get(runId);
    if (r) return r;
    r = {
      runId,
      header: formatRunHeader(intro ?? { title: l10n.t('run {0}', runId), targets: 'all' }),
      body: '',
      footer: '',
      items: [],
      format: {},
      headerFromSummary: false,
    };
    this.#runs.set(runId, r);
    this.#ops.push({ type: 'run', run: { runId, header: r.header, body: '', footer: '' } });
    while (this.#runs.size > this.limits.maxRuns) this.remove(this.#runs.keys().next().value!);
    return r;
  }

  /** Cuts the start of a body past maxBodyChars; true when it did. */
  #bound(r: RunState): boolean {
    if (r.body.length <= this.limits.maxBodyChars) return false;
    const keep = r.body.slice(-(this.limits.maxBodyChars - CUT.length));
    const nl = keep.indexOf('\n');
    r.body = CUT + (nl >= 0 ? keep.slice(nl + 1) : keep);
    return true;
  }

  /** A body replaces what is pending for the run; earlier body or append ops for it are dropped. */
  #emitBody(r: RunState): void {
    this.#ops = this.#ops.filter((op) => !((op.type === 'body' || op.type === 'append') && op.runId === r.runId));
    this.#ops.push({ type: 'body', runId: r.runId, text: r.body });
  }

  #emitAppend(r: RunState, text: string): void {
    const last = this.#ops.at(-1);
    if (last && last.type === 'append' && last.runId === r.runId) last.text += text;
    else this.#ops.push({ type: 'append', runId: r.runId, text });
  }
}
