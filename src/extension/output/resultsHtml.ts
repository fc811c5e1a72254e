/**
 * The Results view's page (pure: no `vscode`, unit tested in plain Node). A strict CSP: nothing loads
 * from anywhere, the one script and the one style carry a fresh nonce. Text is only ever set with
 * textContent (outputs come from the network). Theme colours and the editor font come from VS Code's
 * CSS variables. The script applies the ResultsModel operations it is posted, as they come (one message
 * per ipp/output notification), and keeps the view scrolled to the end unless the user scrolled up.
 */

export function renderResultsHtml(nonce: string, cspSource: string): string {
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(nonce)) throw new Error('renderResultsHtml: the nonce must be at least 16 base64 characters');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>IPython Parallel results</title>
<style nonce="${nonce}">
body { margin: 0; padding: 4px 8px; color: var(--vscode-foreground); background: var(--vscode-sideBar-background, var(--vscode-editor-background));
  font-family: var(--vscode-editor-font-family, monospace); font-size: var(--vscode-editor-font-size, 13px); }
section { margin: 0 0 8px 0; }
.header, .footer { color: var(--vscode-descriptionForeground); white-space: pre-wrap; }
.footer:empty { display: none; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; font-family: inherit; }
#empty { color: var(--vscode-descriptionForeground); font-family: var(--vscode-font-family); }
</style></head>
<body><p id="empty">Run code with Ctrl+Alt+Enter: its output appears here as it arrives.</p><main id="runs"></main>
<script nonce="${nonce}">
(function () {
  const vscode = acquireVsCodeApi();
  const runs = document.getElementById('runs');
  const empty = document.getElementById('empty');
  const byId = new Map();
  function el(tag, cls, text) { const e = document.createElement(tag); e.className = cls; e.textContent = text; return e; }
  function add(r) {
    if (byId.has(r.runId)) return byId.get(r.runId);
    const s = document.createElement('section');
    const parts = { section: s, header: el('div', 'header', r.header), body: el('pre', 'body', r.body), footer: el('div', 'footer', r.footer) };
    s.append(parts.header, parts.body, parts.footer);
    runs.append(s);
    byId.set(r.runId, parts);
    empty.hidden = true;
    return parts;
  }
  function apply(op) {
    if (op.type === 'run') { add(op.run); return; }
    const r = byId.get(op.runId);
    if (!r) return;
    if (op.type === 'header') r.header.textContent = op.text;
    else if (op.type === 'body') r.body.textContent = op.text;
    else if (op.type === 'append') r.body.append(op.text);
    else if (op.type === 'footer') r.footer.textContent = op.text;
    else if (op.type === 'drop') { r.section.remove(); byId.delete(op.runId); }
  }
  window.addEventListener('message', (e) => {
    const m = e.data;
    const atEnd = window.innerHeight + window.scrollY >= document.body.scrollHeight - 4;
    if (m.type === 'reset') { runs.textContent = ''; byId.clear(); for (const r of m.runs) add(r); }
    else if (m.type === 'ops') for (const op of m.ops) apply(op);
    empty.hidden = byId.size > 0;
    if (atEnd) window.scrollTo(0, document.body.scrollHeight);
  });
  vscode.postMessage({ type: 'ready' });
})();
</script></body></html>`;
}
