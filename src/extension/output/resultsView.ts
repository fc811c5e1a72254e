/**
 * The Results view (a webview view in the IPython Parallel container): each run's output in %px style,
 * shown the moment it arrives and regrouped in place (ResultsModel). The default output surface: VS
 * Code's output channel shows appended text only after its own delay (see bench/results/latest.md).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { OutputNotificationParams, RunSummary } from '../../shared/protocol';
import { Views } from '../ids';
import { trace, tracing } from './latencyTrace';
import type { StreamRunInfo } from './pxStream';
import { renderResultsHtml } from './resultsHtml';
import { ResultsModel, type ResultsOp } from './resultsModel';

export class ResultsView implements vscode.WebviewViewProvider, vscode.Disposable {
  readonly #results = new ResultsModel();
  readonly #disposables: vscode.Disposable[] = [];
  #view: vscode.WebviewView | undefined;
  /** The page has loaded and asked for the state: ops can be posted. */
  #ready = false;

  constructor() {
    this.#disposables.push(
      vscode.window.registerWebviewViewProvider(Views.results, this, { webviewOptions: { retainContextWhenHidden: true } }),
    );
  }

  setRun(info: StreamRunInfo): void {
    this.#results.setRun(info);
  }

  remove(runId: string): void {
    this.#results.remove(runId);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.#view = view;
    this.#ready = false;
    view.webview.options = { enableScripts: true, localResourceRoots: [] };
    view.webview.html = renderResultsHtml(randomBytes(18).toString('base64'), view.webview.cspSource);
    this.#disposables.push(
      view.webview.onDidReceiveMessage((m: { type?: string }) => {
        if (m?.type !== 'ready') return;
        this.#ready = true;
        this.#results.takeOps(); // the snapshot holds them
        void view.webview.postMessage({ type: 'reset', runs: this.#results.snapshot() });
      }),
      view.onDidDispose(() => {
        if (this.#view === view) this.#view = undefined;
        this.#ready = false;
      }),
    );
  }

  /** Runs that were already over when we (re)connected: not shown. */
  ignoreFinished(runs: readonly RunSummary[]): void {
    this.#results.ignore(runs.filter((r) => r.state !== 'running' && r.state !== 'pending').map((r) => r.runId));
  }

  /** Outputs of runs; `cluster` names the cluster they run on in a new run's header (several clusters connected). */
  onOutput(p: OutputNotificationParams, cluster?: string): void {
    for (const item of p.items) this.#results.push(item.runId, item.engineId, item.output, item.run && { ...item.run, cluster });
    const first = p.items.find((i) => i.run !== undefined);
    if (this.post() && first && tracing) trace('surface-append', first.runId, 'resultsView');
  }

  /** Shows the view without taking the focus from the editor. */
  reveal(): void {
    if (this.#view?.visible) return;
    if (this.#view) this.#view.show(true);
    else void vscode.commands.executeCommand(`${Views.results}.focus`, { preserveFocus: true });
  }

  /** Posts the pending ops (after a batch of setRun/remove); true when it posted some. */
  post(): boolean {
    const ops: ResultsOp[] = this.#results.takeOps();
    if (!ops.length || !this.#view || !this.#ready) return false;
    void this.#view.webview.postMessage({ type: 'ops', ops });
    return true;
  }

  dispose(): void {
    for (const d of this.#disposables) d.dispose();
  }
}
