/**
 * The task timeline panel: a webview (dist/timeline.js, strict CSP with a nonce) fed from the
 * ClusterModel. On `ready` it gets every bar; afterwards, at most every UPDATE_MS, only the bars that
 * changed (BarFeed). Other clients' tasks come from the hub's history (ipp/history), reloaded every
 * HISTORY_MS while the panel is visible and connected. A click on a bar reveals the task in the Tasks
 * view and shows its output.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { HistoryRequest, type TaskSummary } from '../../shared/protocol';
import type { Ctx } from '../ctx';
import { Commands, WebviewTypes } from '../ids';
import { BarFeed, barsOf, lanesOf } from './bars';
import { makeNonce, timelineHtml } from './html';
import { isWebviewMessage, type HostMessage, type WebviewMessage } from './messages';

const UPDATE_MS = 100;
const HISTORY_MS = 15_000;
const HISTORY_LIMIT = 1000;

export class TimelinePanel implements vscode.Disposable {
  static #current: TimelinePanel | undefined;

  /** Opens the timeline, or brings the open one forward. */
  static show(ctx: Ctx): TimelinePanel {
    if (TimelinePanel.#current) {
      TimelinePanel.#current.#panel.reveal();
      return TimelinePanel.#current;
    }
    const panel = vscode.window.createWebviewPanel(WebviewTypes.timeline, 'Task Timeline', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist')],
    });
    TimelinePanel.#current = new TimelinePanel(ctx, panel);
    return TimelinePanel.#current;
  }

  readonly #feed = new BarFeed();
  readonly #subs: { dispose(): void }[] = [];
  #history: TaskSummary[] = [];
  #lanes = '';
  #ready = false;
  #timer: NodeJS.Timeout | undefined;
  #historyTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly ctx: Ctx,
    readonly panel: vscode.WebviewPanel,
  ) {
    const webview = panel.webview;
    const script = webview.asWebviewUri(vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'timeline.js'));
    webview.html = timelineHtml({ cspSource: webview.cspSource, scriptUri: script.toString(), nonce: makeNonce(randomBytes) });
    this.#subs.push(
      webview.onDidReceiveMessage((m: unknown) => {
        if (isWebviewMessage(m)) void this.#onMessage(m);
      }),
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => this.#syncHistoryTimer()),
      ctx.model.onDidChangeRuns(() => this.#schedule()),
      ctx.model.onDidChangeEngines(() => this.#schedule()),
      ctx.model.onDidChangeState(() => {
        if (!ctx.model.connected) this.#history = [];
        this.#schedule();
        this.#syncHistoryTimer();
      }),
    );
  }

  get #panel(): vscode.WebviewPanel {
    return this.panel;
  }

  async #onMessage(m: WebviewMessage): Promise<void> {
    if (m.type === 'ready') {
      this.#ready = true;
      this.#feed.reset();
      this.#lanes = '';
      this.#send(true);
      this.#syncHistoryTimer();
      void this.#loadHistory();
      return;
    }
    if (!m.runId || !this.ctx.model.run(m.runId)) {
      vscode.window.setStatusBarMessage(vscode.l10n.t('Another client\u2019s task: {0}', m.id), 4000);
      return;
    }
    const node = this.ctx.tasksTree.taskNode(m.runId, m.id);
    await this.ctx.tasksView.reveal(node, { select: true, focus: false, expand: true }).then(undefined, () => undefined);
    await vscode.commands.executeCommand(Commands.showTaskOutput, node);
  }

  #schedule(): void {
    if (!this.#ready || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#send(false);
    }, UPDATE_MS);
  }

  #send(reset: boolean): void {
    const model = this.ctx.model;
    const now = Date.now();
    const bars = barsOf(model.runs, this.#history, now, this.#feed.sent);
    const { upserts, removed } = this.#feed.diff(bars);
    const lanes = lanesOf(
      model.engines.map((e) => e.id),
      bars,
    );
    const lanesKey = lanes.join(',');
    let msg: HostMessage;
    if (reset) msg = { type: 'reset', lanes, bars: upserts, now, connected: model.connected };
    else {
      if (!upserts.length && !removed.length && lanesKey === this.#lanes) return;
      msg = { type: 'update', upserts, removed, now, connected: model.connected, ...(lanesKey !== this.#lanes && { lanes }) };
    }
    this.#lanes = lanesKey;
    void this.panel.webview.postMessage(msg);
  }

  async #loadHistory(): Promise<void> {
    if (!this.ctx.model.connected) return;
    try {
      this.#history = await this.ctx.request(HistoryRequest, { limit: HISTORY_LIMIT });
      this.#schedule();
    } catch (e) {
      this.ctx.log.warn(`timeline: could not load the hub's history: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  #syncHistoryTimer(): void {
    const want = this.#ready && this.panel.visible && this.ctx.model.connected;
    if (want && !this.#historyTimer) this.#historyTimer = setInterval(() => void this.#loadHistory(), HISTORY_MS);
    else if (!want && this.#historyTimer) {
      clearInterval(this.#historyTimer);
      this.#historyTimer = undefined;
    }
  }

  dispose(): void {
    if (TimelinePanel.#current === this) TimelinePanel.#current = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#historyTimer) clearInterval(this.#historyTimer);
    this.#timer = this.#historyTimer = undefined;
    for (const s of this.#subs.splice(0)) s.dispose();
    this.panel.dispose();
  }
}
