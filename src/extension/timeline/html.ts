/**
 * The timeline webview's page: no remote content, one script (dist/timeline.js) and one style block,
 * both allowed by a fresh nonce; nothing else may load. Colours come from VS Code's theme variables.
 * Pure (no `vscode`): the panel passes the webview's cspSource and the script's webview URI.
 */

/** 32 random base64url characters. */
export function makeNonce(random: (n: number) => Uint8Array): string {
  return Buffer.from(random(24)).toString('base64url');
}

export function timelineHtml(opts: { cspSource: string; scriptUri: string; nonce: string }): string {
  const { cspSource, scriptUri, nonce } = opts;
  const csp = [`default-src 'none'`, `img-src ${cspSource}`, `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Task Timeline</title>
<style nonce="${nonce}">
  html, body { height: 100%; margin: 0; padding: 0; overflow: hidden; }
  body { display: flex; flex-direction: column; color: var(--vscode-foreground); background: var(--vscode-editor-background);
         font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
  #bar { display: flex; gap: 12px; align-items: center; padding: 4px 8px; border-bottom: 1px solid var(--vscode-panel-border, transparent); }
  #bar button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 2px 8px; cursor: pointer; }
  #bar button[aria-pressed="true"] { outline: 1px solid var(--vscode-focusBorder); }
  #summary, #hint { color: var(--vscode-descriptionForeground); }
  #wrap { position: relative; flex: 1; min-height: 0; }
  #canvas { position: absolute; inset: 0; width: 100%; height: 100%; cursor: grab; }
  #canvas.dragging { cursor: grabbing; }
  #tip { position: absolute; pointer-events: none; display: none; max-width: 420px; padding: 4px 8px; white-space: pre-wrap;
         color: var(--vscode-editorHoverWidget-foreground, var(--vscode-foreground));
         background: var(--vscode-editorHoverWidget-background, var(--vscode-editor-background));
         border: 1px solid var(--vscode-editorHoverWidget-border, var(--vscode-panel-border, transparent)); }
</style>
</head>
<body>
<div id="bar">
  <button id="follow" aria-pressed="true" title="Keep now at the right edge">Follow now</button>
  <span id="summary"></span>
  <span id="hint">wheel: zoom · drag: pan · click a bar: show it</span>
</div>
<div id="wrap"><canvas id="canvas" aria-label="Task timeline: one lane per engine"></canvas><div id="tip" role="tooltip"></div></div>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
