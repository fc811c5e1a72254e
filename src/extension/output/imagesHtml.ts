/** The results panel's HTML (pure: no `vscode`, unit tested in plain Node). */
import { l10n } from '../l10n';
export interface PanelImage {
  runTitle: string;
  engineId?: number;
  /** Base64 PNG. */
  png: string;
  alt?: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The panel's HTML (exported for tests of the escaping and the CSP). */
export function renderImagesHtml(images: readonly PanelImage[], cspSource: string): string {
  const figures = images
    .map((im) => {
      const who = im.engineId === undefined ? '' : `${l10n.t('engine {0}', im.engineId)} · `;
      const png = im.png.replace(/[^A-Za-z0-9+/=]/g, '');
      return `<figure><img src="data:image/png;base64,${png}" alt="${escapeHtml(im.alt ?? 'image')}"><figcaption>${escapeHtml(who + im.runTitle)}</figcaption></figure>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data: ${cspSource}; style-src 'unsafe-inline';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>IPython Parallel results</title>
<style>
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 8px; }
figure { display: inline-block; margin: 0 12px 16px 0; vertical-align: top; }
img { max-width: 100%; background: white; border: 1px solid var(--vscode-panel-border); }
figcaption { font-size: 0.9em; opacity: 0.8; margin-top: 4px; }
</style></head>
<body>${figures || `<p>${escapeHtml(l10n.t('No images yet.'))}</p>`}</body></html>`;
}
