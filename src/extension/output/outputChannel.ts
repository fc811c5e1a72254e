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
import { PxStream, type StreamRunInfo } from './pxStream';
import { stateCounts } from './runInfo';

const FLUSH_MS = 200;
const RECENT_CHARS = 64 * 1024;

export function streamInfo(r: RunSummary): StreamRunInfo {
  const counts = stateCounts(r);
  return {
    runId: r.runId,
    title: r.title,
    targets: r.targets,
    created: r.created,
    state: r.state,
    done: r.done,
    total: r.total,
    elapsedMs: r.elapsedMs,
    failed: counts.error + counts.aborted + counts.lost,
  };
}

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

export class RunOutput implements vscode.Disposable {
  readonly channel: vscode.OutputChannel;
  readonly images = new ImagePanel();
  readonly #stream: PxStream;
  readonly #disposables: vscode.Disposable[] = [];
  #timer: NodeJS.Timeout | undefined;
  #recent = '';
  readonly #onDidWrite = new vscode.EventEmitter<string>();
  /** Text was appended to the channel. */
  readonly onDidWrite = this.#onDidWrite.event;

  constructor(
    private readonly model: ClusterModel,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.channel = vscode.window.createOutputChannel(Channels.output);
    this.#stream = new PxStream((text) => this.#append(text));
    this.#disposables.push(
      this.channel,
      this.images,
      this.#onDidWrite,
      model.onDidChangeRuns((change) => {
        for (const id of [...change.added, ...change.changed]) {
          const run = model.run(id);
          if (run) this.#stream.setRun(streamInfo(run));
        }
        for (const id of change.removed) this.#stream.remove(id);
        this.#schedule();
      }),
    );
  }

  /** Runs that were already over when we (re)connected: not written again. */
  ignoreFinished(runs: readonly RunSummary[]): void {
    this.#stream.ignore(runs.filter((r) => r.state !== 'running' && r.state !== 'pending').map((r) => r.runId));
  }

  /** A run whose output is shown elsewhere (a notebook cell): never written here. */
  ignoreRun(runId: string): void {
    this.#stream.remove(runId);
    this.#stream.ignore([runId]);
  }

  onOutput(p: OutputNotificationParams): void {
    const images: PanelImage[] = [];
    for (const item of p.items) {
      this.#stream.push(item.runId, item.engineId, item.output, item.run);
      images.push(...imagesOf([{ engineId: item.engineId, output: item.output }], this.model.run(item.runId)?.title ?? item.runId));
    }
    if (images.length) this.images.add(images);
    this.#schedule();
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
    const who = engineId === undefined ? '' : ` (engine ${engineId} only)`;
    let text = header.replace(/ ──\n$/, `${who} ──\n`);
    text += formatOutputs(items) || '(no output)\n';
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
    this.#recent = (this.#recent + text).slice(-RECENT_CHARS);
    this.#onDidWrite.fire(text);
  }

  reveal(): void {
    this.channel.show(true);
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      try {
        this.#stream.flush();
      } catch (e) {
        this.log.error(`writing run output: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
      if (!this.#stream.busy && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    }, FLUSH_MS);
  }

  dispose(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#stream.flush(true);
    for (const d of this.#disposables) d.dispose();
  }
}
