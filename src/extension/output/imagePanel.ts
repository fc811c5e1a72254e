/**
 * The results panel: a webview showing the images (`image/png` display_data and execute_result) of
 * runs, newest first. Static HTML re-rendered on each change (no scripts), images as data: URIs.
 */
import * as vscode from 'vscode';
import { WebviewTypes } from '../ids';
import { renderImagesHtml, type PanelImage } from './imagesHtml';

export type { PanelImage };

const MAX_IMAGES = 60;

export class ImagePanel implements vscode.Disposable {
  #panel: vscode.WebviewPanel | undefined;
  #images: PanelImage[] = [];

  get count(): number {
    return this.#images.length;
  }

  /** Adds images (newest first) and shows the panel beside the editor without taking focus. */
  add(images: readonly PanelImage[]): void {
    if (!images.length) return;
    this.#images = [...images, ...this.#images].slice(0, MAX_IMAGES);
    if (!this.#panel) {
      this.#panel = vscode.window.createWebviewPanel(
        WebviewTypes.results,
        vscode.l10n.t('IPython Parallel Results'),
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: false, localResourceRoots: [] },
      );
      this.#panel.onDidDispose(() => (this.#panel = undefined));
    } else if (!this.#panel.visible) {
      this.#panel.reveal(undefined, true);
    }
    this.#panel.webview.html = renderImagesHtml(this.#images, this.#panel.webview.cspSource);
  }

  dispose(): void {
    this.#panel?.dispose();
  }
}
