/**
 * The "IPython Parallel" output channel: a block per run in %px style, streamed as ipp/output
 * notifications arrive (PxStream does the formatting and grouping; this file owns the channel, the
 * flush timer and the images sent to the results panel).
 */
import * as vscode from 'vscode';
import type { EngineOutputs, OutputNotificationParams, RunSummary, WaitResult } from '../../shared/protocol';
import { Channels } from '../ids';
import type { ClusterModel } from '../model';
import { ImagePanel, type PanelImage } from './imagePanel';
import { formatOutputs, formatRunFooter, formatRunHeader, type EngineOutput } from './pxFormat';
import { trace, tracing } from './latencyTrace';
import { PxStream } from './pxStream';
import { ResultsView } from './resultsView';
import type { OutputSurface } from '../settings';
import { streamInfo } from './runInfo';

export { streamInfo };

/** The timer for what is due by time (the hold for grouping, the footer's grace); new output is written on the next turn. */
const FLUSH_MS = 50;
const RECENT_CHARS = 64 * 1024;

/** image/png outputs of a list of engine outputs. */
function imagesOf(items: readonly EngineOutput[], runTitle: string): PanelImage[] {
  const out: PanelImage[] = [];
  for (const { engineId, output } of items) {
    if (output.kind !== 'display_data' && output.kind !== 'execute_result') continue;
    const png = output.data['image/png'];
    if (typeof png !== 'string') continue;
    const alt = output.data['text/plain'];
    out.push({ runTitle, engineId, png, alt: typeof alt === 'string' ? alt : undefined });
  }
  return out;
}

/** The outputs of a run's tasks in one list, each with its engine and task (msg_id). */
export function flattenOutputs(engines: readonly EngineOutputs[], engineId?: number): (EngineOutput & { msgId: string })[] {
  const items: (EngineOutput & { msgId: string })[] = [];
  for (const e of engines) {
    if (engineId !== undefined && e.engineId !== engineId) continue;
    for (const output of e.outputs) items.push({ engineId: e.engineId, msgId: e.msgId, output });
    // A task that failed without an iopub error (scheduler failures) still shows its error.
    if (e.error && !e.outputs.some((o) => o.kind === 'error')) items.push({ engineId: e.engineId, msgId: e.msgId, output: { kind: 'error', ...e.error } });
  }
  return items;
}

/** A run of a cluster that is not active, as the surfaces know it: run ids are per cluster. */
const otherRunId = (sessionId: string, runId: string) => `${sessionId}/${runId}`;

export class RunOutput implements vscode.Disposable {
  readonly channel: vscode.OutputChannel;
  readonly images = new ImagePanel();
  /** The Results view: the same runs, each output shown the moment it arrives. */
  readonly results: ResultsView;
  readonly #stream: PxStream;
  readonly #disposables: vscode.Disposable[] = [];
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Immediate | undefined;
  #recent = '';
  /** The clusters connected but not active whose runs are written too (watchOther): session id → name. */
  readonly #others = new Map<string, string>();
  readonly #onDidWrite = new vscode.EventEmitter<string>();
  /** Text was appended to the channel. */
  readonly onDidWrite = this.#onDidWrite.event;

  constructor(
    private readonly model: ClusterModel,
    private readonly log: vscode.LogOutputChannel,
    /** The `ipyparallel.outputSurface` setting: what reveal() shows. */
    private readonly surface: () => OutputSurface = () => 'resultsView',
    /** The active cluster's name while several are connected: run headers name the cluster a run is on. */
    private readonly cluster: () => string | undefined = () => undefined,
  ) {
    this.channel = vscode.window.createOutputChannel(Channels.output);
    this.#stream = new PxStream((text) => this.#append(text));
    this.results = new ResultsView();
    this.#disposables.push(
      this.channel,
      this.results,
      this.images,
      this.#onDidWrite,
      this.#followRuns(model, (id) => id, () => this.cluster()),
    );
  }

  /**
   * Keeps the surfaces' runs in step with `model`'s (headers, states, footers; a removed run leaves them),
   * each under the id `key` gives it here and the cluster name `cluster` gives.
   */
  #followRuns(model: ClusterModel, key: (runId: string) => string, cluster: () => string | undefined, onAdded?: (run: RunSummary) => void): vscode.Disposable {
    return model.onDidChangeRuns((change) => {
      for (const id of change.added) {
        const run = model.run(id);
        if (run) onAdded?.(run);
      }
      for (const id of [...change.added, ...change.changed]) {
        const run = model.run(id);
        if (!run) continue;
        const info = { ...streamInfo(run), runId: key(id), cluster: cluster() };
        this.#stream.setRun(info);
        this.results.setRun(info);
      }
      for (const id of change.removed) {
        this.#stream.remove(key(id));
        this.results.remove(key(id));
      }
      this.results.post();
      this.#schedule();
    });
  }

  /** Runs that were already over when we (re)connected: not written again. */
  ignoreFinished(runs: readonly RunSummary[]): void {
    this.#stream.ignore(runs.filter((r) => r.state !== 'running' && r.state !== 'pending').map((r) => r.runId));
    this.results.ignoreFinished(runs);
  }

  /** A run whose output is shown elsewhere (a notebook cell): never written here. */
  ignoreRun(runId: string): void {
    this.#stream.remove(runId);
    this.#stream.ignore([runId]);
  }

  onOutput(p: OutputNotificationParams): void {
    if (tracing) for (const item of p.items) if (item.run) trace('first-output', item.runId);
    this.#onOutput(p, this.cluster());
  }

  /**
   * Writes the runs of a cluster that is connected but not active (several clusters at once): a run still
   * going when its cluster stopped being active goes on being written, under its cluster's name, with a
   * run id of its own here (`<session>/<run>`: run ids are per cluster). Runs that had ended before are not
   * written again. Call onOtherOutput with the session's ipp/output notifications.
   */
  watchOther(sessionId: string, model: ClusterModel, cluster: string): vscode.Disposable {
    const key = (runId: string) => otherRunId(sessionId, runId);
    this.#others.set(sessionId, cluster);
    const sub = this.#followRuns(model, key, () => cluster, (run) => {
      if (run.state !== 'running' && run.state !== 'pending') this.ignoreRun(key(run.runId));
    });
    return new vscode.Disposable(() => {
      sub.dispose();
      this.#others.delete(sessionId);
    });
  }

  /** An ipp/output notification of a cluster that is not active (see watchOther). */
  onOtherOutput(sessionId: string, p: OutputNotificationParams): void {
    const cluster = this.#others.get(sessionId);
    if (cluster === undefined) return;
    const items = p.items.map((i) => ({ ...i, runId: otherRunId(sessionId, i.runId) }));
    this.#onOutput({ ...p, items }, cluster);
  }

  #onOutput(p: OutputNotificationParams, cluster: string | undefined): void {
    this.results.onOutput(p, cluster);
    const images: PanelImage[] = [];
    for (const item of p.items) {
      this.#stream.push(item.runId, item.engineId, item.output, item.run && { ...item.run, cluster });
      images.push(...imagesOf([{ engineId: item.engineId, output: item.output }], item.run?.title ?? this.model.run(item.runId)?.title ?? item.runId));
    }
    if (images.length) this.images.add(images);
    this.#schedule();
    // Whatever is due now (e.g. every engine's first output is in) is written on the next turn, not at the next tick.
    this.#soon ??= setImmediate(() => {
      this.#soon = undefined;
      this.#flushDue();
    });
  }

  /** Writes everything pending now (footers included). */
  flush(): void {
    this.#stream.flush(true);
  }

  /** Writes the complete output of a run (optionally of one engine) as a block, and shows the channel. */
  showRun(run: RunSummary | undefined, result: WaitResult, engineId?: number): void {
    this.flush();
    const items = flattenOutputs(result.engines, engineId);
    const title = run?.title ?? result.runId;
    const header = formatRunHeader({ title, targets: run?.targets ?? 'all', created: run?.created });
    const who = engineId === undefined ? '' : ` ${vscode.l10n.t('(engine {0} only)', engineId)}`;
    let text = header.replace(/ ──\n$/, `${who} ──\n`);
    text += formatOutputs(items) || `${vscode.l10n.t('(no output)')}\n`;
    if (run) text += formatRunFooter(streamInfo(run));
    this.#append(text);
    this.channel.show(true);
    const imgs = imagesOf(items, title);
    if (imgs.length) this.images.add(imgs);
  }

  /** The last ~64 KB written to the channel (the extension-host tests read it; the API cannot). */
  get recentText(): string {
    return this.#recent;
  }

  #append(text: string): void {
    this.channel.append(text);
    if (tracing) trace('surface-append', undefined, 'outputChannel');
    this.#recent = (this.#recent + text).slice(-RECENT_CHARS);
    this.#onDidWrite.fire(text);
  }

  /** Shows the surface the `ipyparallel.outputSurface` setting picks, keeping the focus in the editor. */
  reveal(): void {
    if (this.surface() === 'resultsView') this.results.reveal();
    else this.channel.show(true);
  }

  /** Shows the output channel (its %px log of every run), whatever the surface. */
  showChannel(): void {
    this.channel.show(true);
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.#flushDue();
      if (!this.#stream.busy && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    }, FLUSH_MS);
  }

  #flushDue(): void {
    try {
      this.#stream.flush();
    } catch (e) {
      this.log.error(`writing run output: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }

  dispose(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#soon) clearImmediate(this.#soon);
    this.#stream.flush(true);
    for (const d of this.#disposables) d.dispose();
  }
}
