/** The status bar item: cluster, engines, running tasks, security (and the cluster's version in the tooltip); a click opens the actions. */
import * as vscode from 'vscode';
import { Commands } from './ids';
import type { ClusterModel } from './model';
import { statusView } from './statusText';

export class StatusBar implements vscode.Disposable {
  readonly #item: vscode.StatusBarItem;
  readonly #subscription: { dispose(): void };

  constructor(
    private readonly model: ClusterModel,
    private readonly localClusterRunning: () => boolean,
    private readonly serverStarted: () => boolean = () => true,
  ) {
    this.#item = vscode.window.createStatusBarItem('ipyparallel.status', vscode.StatusBarAlignment.Left, 50);
    this.#item.name = 'IPython Parallel';
    this.#item.command = Commands.showActions;
    this.#subscription = model.onDidChangeStatus(() => this.update());
    this.update();
    this.#item.show();
  }

  /** With several clusters open, a click switches the active one instead of opening the actions. */
  setSeveral(several: boolean): void {
    this.#item.command = several ? Commands.switchCluster : Commands.showActions;
  }

  /** The text shown now (for tests). */
  get text(): string {
    return this.#item.text;
  }

  update(): void {
    const m = this.model;
    const v = statusView({
      state: m.state,
      connectionFile: m.connectionFile,
      engines: m.engines.length,
      runningTasks: m.runningTasks,
      ...m.version,
      security: m.security,
      dropped: m.dropped,
      message: m.message,
      localCluster: this.localClusterRunning(),
      serverStarted: this.serverStarted(),
    });
    this.#item.text = v.text;
    this.#item.tooltip = v.tooltip;
    this.#item.backgroundColor =
      v.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : v.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }

  dispose(): void {
    this.#subscription.dispose();
    this.#item.dispose();
  }
}
