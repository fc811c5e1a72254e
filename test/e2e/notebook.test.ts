// GUI test of notebooks on the cluster, in code-server (built-in ipynb support, no Jupyter extension)
// against a real 2-engine cluster: pick the cluster kernel in a notebook (it offers to connect), Run
// All with per-engine and folded outputs, a matplotlib PNG, a `%%px --targets 1` cell, interrupting a
// sleeping cell from the notebook toolbar (the queued cell is aborted), a failing cell with its error
// and diagnostic, save/close/reopen keeping the outputs, and the Interactive Window from a .py
// selection. The tests run in order and share one workbench and one cluster.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame, Locator } from 'playwright-core';
import { CATEGORY, Commands } from '../../src/extension/ids';
import { TestCluster } from '../integration/harness';
import { SCREENSHOT_SETTINGS, Workbench, waitFor } from './harness';
import { paletteTitle, stepRunner } from './harness/views';


const NOTEBOOK = 'parallel_demo.ipynb';
const PLOT = [
  'import io, math',
  'import matplotlib',
  'matplotlib.use("Agg")',
  'import matplotlib.pyplot as plt',
  'from IPython.display import Image, display',
  'fig, ax = plt.subplots(figsize=(4, 2.2))',
  'ax.plot([x / 10 for x in range(63)], [math.sin(x / 10) for x in range(63)])',
  'ax.set_title("drawn on every engine")',
  'png = io.BytesIO()',
  'fig.savefig(png, format="png")',
  'plt.close(fig)',
  'display(Image(png.getvalue()))',
].join('\n');
const MIMES = [
  'from IPython.display import display, HTML, Markdown, SVG, JSON, Latex',
  'display(HTML("<b id=\'ipp-html\'>bold html</b>"))',
  'display(Markdown("**ipp markdown**"))',
  'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect id="ipp-svg" width="40" height="20" fill="teal"/></svg>\'))',
  'display(JSON({"ipp": "json"}))',
  'display(Latex(r"$\\alpha^2$"))',
].join('\n');
// Cells of the notebook, in order (0-based indices below).
const CELLS = [
  'import os\nprint("pid", os.getpid())', // 0: per-engine outputs
  'print("the same on every engine")', // 1: one folded output
  PLOT, // 2: a PNG
  MIMES, // 3: other MIME types
  '%%px --targets 1\nimport os\nprint("only on", os.getpid())', // 4: engine 1 only
  'import time\ntime.sleep(60)', // 5: interrupted from the toolbar
  'print("after the sleep")', // 6: queued behind 5: aborted
  'values = [3, 0]\nratio = values[0] / values[-1]', // 7: raises on its second line
];

function notebookJson(): string {
  const cell = (source: string) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: source.split(/(?<=\n)/) });
  return JSON.stringify({
    cells: CELLS.map(cell),
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  }, null, 1);
}

interface SavedOutput { output_type: string; name?: string; text?: string[] | string; data?: Record<string, unknown>; metadata?: Record<string, unknown>; ename?: string; traceback?: string[] }
interface SavedCell { outputs: SavedOutput[]; execution_count: number | null; metadata: Record<string, unknown> }

let cluster: TestCluster | undefined;
let wb: Workbench | undefined;

before(async () => {
  cluster = await TestCluster.start({ engines: 2 });
  try {
    wb = await Workbench.start({
      workspaceSettings: { 'ipyparallel.ipythonDir': cluster.ipythonDir, 'ipyparallel.profile': cluster.profile },
      settings: {
        ...SCREENSHOT_SETTINGS,
        'notebook.output.scrolling': false,
        'notebook.output.textLineLimit': 60,
      },
    });
    fs.writeFileSync(path.join(wb.workspace, NOTEBOOK), notebookJson());
    fs.writeFileSync(path.join(wb.workspace, 'interactive_demo.py'), 'import os\nprint("interactive", os.getpid())\n');
  } catch (err) {
    await cluster.stop();
    cluster = undefined;
    throw err;
  }
}, { timeout: 240_000 });

after(async () => {
  try {
    await wb?.close();
  } finally {
    await cluster?.stop();
  }
}, { timeout: 60_000 });

const step = stepRunner('notebook', () => wb);

/**
 * The frame holding a notebook's (or the Interactive Window's) rendered outputs whose text matches
 * `text`. Outputs render in an iframe inside the webview's iframe; which element hosts the webview
 * differs between VS Code versions, so the frame is found by its content.
 */
async function outputFrame(w: Workbench, text: RegExp, timeout = 60_000): Promise<Frame> {
  const probe = `${text.toString()}.test(document.body ? document.body.innerText : '')`;
  let seen: string[] = [];
  return waitFor(async () => {
    seen = [];
    for (const frame of w.page.frames()) {
      if (frame.isDetached() || frame === w.page.mainFrame()) continue;
      if ((await frame.evaluate(probe).catch(() => false)) === true) return frame;
      seen.push(frame.url().slice(0, 80));
    }
    return undefined;
  }, timeout, `an output frame showing ${text}`).catch((e: Error) => {
    throw new Error(`${e.message} (frames: ${seen.join(' | ')})`);
  });
}

/**
 * Waits until `target` (in the output frame) is visible, scrolling the notebook by `dy` pixels per try
 * meanwhile: the notebook renders a cell's outputs only once the cell has scrolled into view.
 */
async function scrollTo(w: Workbench, target: Locator, dy: number, timeout = 60_000): Promise<void> {
  const list = w.page.locator('.notebook-editor .cell-list-container').filter({ visible: true }).first();
  const box = await list.boundingBox();
  if (box) await w.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await waitFor(async () => {
    if (await target.first().isVisible()) return true;
    await w.page.mouse.wheel(0, dy);
    await w.page.waitForTimeout(500); // let the notebook render the cells scrolled into view
    return undefined;
  }, timeout, `${target.toString()} to be visible`);
}

/** Opens a workspace file from the Explorer (Quick Open's file search is slow on a loaded machine). */
async function quickOpen(w: Workbench, file: string): Promise<void> {
  const row = w.page.locator(`.explorer-folders-view .monaco-list-row[aria-label^="${file}"]`).first();
  if (!(await row.isVisible())) await w.runCommand('View: Show Explorer');
  await row.click({ timeout: 30_000 });
}

async function openNotebook(w: Workbench): Promise<void> {
  await quickOpen(w, NOTEBOOK);
  const cells = w.page.locator('.notebook-editor .cell-list-container').first();
  // Before the built-in ipynb extension has registered its serializer (it activates late on a loaded
  // machine), the file opens as JSON text: reopen it with the notebook editor.
  if (!(await cells.waitFor({ state: 'visible', timeout: 30_000 }).then(() => true, () => false))) {
    await w.runCommand('View: Reopen Editor With...');
    await w.pickQuickItem('Jupyter Notebook', 30_000);
  }
  await cells.waitFor({ state: 'visible', timeout: 60_000 });
}

/** Wheels the notebook back to its first cell (a reopened notebook is scrolled where it was left). */
async function scrollToTop(w: Workbench): Promise<void> {
  const list = w.page.locator('.notebook-editor .cell-list-container').filter({ visible: true }).first();
  const box = await list.boundingBox();
  if (box) await w.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const first = w.page.locator('.notebook-editor .view-line', { hasText: 'print("pid", os.getpid())' }).first();
  await waitFor(async () => {
    if (await first.isVisible()) return true;
    await w.page.mouse.wheel(0, -2000);
    await w.page.waitForTimeout(300);
    return undefined;
  }, 30_000, 'the first cell to be visible');
  await w.page.mouse.wheel(0, -2000);
}

/** Closes the palette if open and hides the panel (Problems) if shown, for a clean screenshot. */
async function hidePanel(w: Workbench): Promise<void> {
  await w.page.keyboard.press('Escape');
  if (await w.page.locator('.part.panel').first().isVisible()) await w.runCommand('View: Toggle Panel Visibility');
  await w.page.locator('.part.panel').first().waitFor({ state: 'hidden', timeout: 10_000 });
}

function savedCells(w: Workbench): SavedCell[] {
  return (JSON.parse(fs.readFileSync(path.join(w.workspace, NOTEBOOK), 'utf8')) as { cells: SavedCell[] }).cells;
}

const textOf = (o: SavedOutput) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? ''));

async function save(w: Workbench): Promise<void> {
  const before = fs.statSync(path.join(w.workspace, NOTEBOOK)).mtimeMs;
  await w.runCommand('File: Save');
  await waitFor(() => fs.statSync(path.join(w.workspace, NOTEBOOK)).mtimeMs > before, 20_000, 'the notebook to be saved');
}

/** Cells whose execution state icon shows success/error in the cell status bars. */
function stateIcons(w: Workbench, kind: 'success' | 'error'): Locator {
  return w.page.locator(`.notebook-editor .cell-statusbar-container .codicon-notebook-state-${kind}`);
}

test('selecting the cluster kernel while disconnected offers to connect, then names the cluster', { timeout: 180_000 }, step('kernel', async (w) => {
  await openNotebook(w);
  // Our controller is the only one: the toolbar suggests it; picking it selects it.
  const kernel = w.page.locator('.notebook-toolbar-container .action-item', { hasText: `${CATEGORY}: ${cluster!.profile}` }).first();
  await kernel.filter({ hasText: '(not connected)' }).waitFor({ state: 'visible', timeout: 60_000 });
  await kernel.click();
  await w.pickQuickItem(`${CATEGORY}: ${cluster!.profile} (not connected)`, 30_000);
  const offer = w.page.locator('.notifications-toasts .notification-toast', { hasText: 'runs cells on a cluster' });
  await offer.locator('.monaco-button', { hasText: 'Connect…' }).click({ timeout: 30_000 });
  await w.pickQuickItem('default cluster', 60_000);
  // The kernel picker's label follows the connection.
  await kernel.filter({ hasText: '(2 engines)' }).waitFor({ state: 'visible', timeout: 60_000 });
}));

test('Run All: per-engine and folded outputs, a PNG, engine 1 only; interrupting the sleeping cell aborts the queued one', { timeout: 240_000 }, step('run-all', async (w) => {
  await w.runCommand('Notebook: Run All');
  const frame = await outputFrame(w, /\[output:0,1\]/, 90_000);
  await frame.locator('img').first().waitFor({ state: 'visible', timeout: 30_000 });
  await scrollTo(w, frame.getByText(/\[stdout:1\] only on \d+/), 300);
  // Cell 5 is sleeping now: interrupt it from the notebook toolbar.
  const interrupt = w.page.locator('.notebook-toolbar-container .action-label[aria-label^="Interrupt"]').first();
  await interrupt.waitFor({ state: 'visible', timeout: 30_000 });
  const t0 = Date.now();
  await interrupt.click();
  await scrollTo(w, frame.getByText(/KeyboardInterrupt/), 300, 30_000);
  await scrollTo(w, frame.getByText(/Aborted: not run, because a cell before it/), 300, 30_000);
  assert.ok(Date.now() - t0 < 30_000, 'the interrupt took effect within seconds');
  await save(w);
  const cells = savedCells(w);
  const streams = (i: number) => cells[i].outputs.filter((o) => o.output_type === 'stream').map(textOf);
  const pids = streams(0).join('').match(/^\[stdout:(\d)\] pid (\d+)$/gm) ?? [];
  assert.equal(pids.length, 2, `two labelled outputs: ${streams(0).join('|')}`);
  assert.deepEqual(streams(1), ['[stdout:0,1] the same on every engine\n']);
  const png = cells[2].outputs.find((o) => o.output_type === 'display_data' && typeof o.data?.['image/png'] === 'string');
  assert.ok(png, 'the plot is a display_data with image/png');
  assert.deepEqual((png.metadata?.ipyparallel as { engines: number[] }).engines, [0, 1], 'engine ids kept in the output metadata');
  assert.equal((png.metadata?.ipyparallel as { msgIds: string[] }).msgIds.length, 2, 'msg_ids kept in the output metadata');
  assert.match(streams(4).join(''), /^\[stdout:1\] only on \d+\n$/);
  assert.ok(cells[5].outputs.some((o) => o.output_type === 'error' && o.ename === 'KeyboardInterrupt'), 'the sleeping cell ended interrupted');
  assert.match(streams(6).join(''), /Aborted/);
  assert.ok(cells[0].execution_count !== null && cells[0].execution_count < cells[4].execution_count!, 'execution order on the cells');
  assert.ok(((cells[0].metadata.ipyparallel as { lastRun?: { msgIds: Record<string, string> } }).lastRun?.msgIds['0'] ?? '').length > 0, 'msg_ids in the cell metadata');
  await stateIcons(w, 'success').first().waitFor({ state: 'visible', timeout: 10_000 });
  // Which of the other MIME types the built-in renderers show (recorded, for the docs).
  await scrollTo(w, frame.locator('#ipp-html'), -300);
  const rendered: Record<string, boolean> = {};
  const probes: Record<string, Locator> = {
    'text/html': frame.locator('#ipp-html'),
    'text/markdown': frame.locator('strong', { hasText: 'ipp markdown' }),
    'image/svg+xml': frame.locator('img[src^="data:image/svg"], svg #ipp-svg, #ipp-svg'),
    'application/json': frame.getByText(/"ipp": "json"/),
    'text/latex': frame.locator('.katex'),
  };
  for (const [mime, probe] of Object.entries(probes)) rendered[mime] = await probe.first().isVisible();
  console.log(`# MIME types rendered in code-server: ${JSON.stringify(rendered)}`);
  assert.ok(rendered['text/html'], 'HTML renders');
}));

test('a failing cell shows its error output and a diagnostic on the failing line', { timeout: 120_000 }, step('error', async (w) => {
  // The failing cell is the last one.
  await w.runCommand('Notebook: Focus Last Cell');
  await w.runCommand('Notebook: Execute Cell');
  const frame = await outputFrame(w, /ZeroDivisionError/);
  await frame.getByText(/ZeroDivisionError/).first().waitFor({ state: 'visible', timeout: 60_000 });
  await w.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
  const row = w.page.locator('.markers-panel .monaco-list-row', { hasText: 'ZeroDivisionError' }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  const text = (await row.innerText()).replace(/\s+/g, ' ');
  assert.match(text, /engines 0, 1/, text);
  assert.match(text, /\[Ln 2, Col \d+\]/, text);
}));

test('save, close and reopen: the outputs are still there', { timeout: 120_000 }, step('reopen', async (w) => {
  await save(w);
  await w.runCommand('View: Close All Editors');
  await w.page.locator('.notebook-editor').first().waitFor({ state: 'hidden', timeout: 20_000 });
  await openNotebook(w);
  // The notebook reopens scrolled where it was left (at the bottom): go back to the top.
  await hidePanel(w);
  await scrollToTop(w);
  const frame = await outputFrame(w, /\[stdout:0,1\] the same on every engine/);
  await frame.locator('img').first().waitFor({ state: 'visible', timeout: 60_000 });
  await frame.getByText(/\[stdout:0,1\] the same on every engine/).first().waitFor({ state: 'visible', timeout: 30_000 });
  await hidePanel(w);
  await frame.locator('img').first().waitFor({ state: 'visible', timeout: 10_000 });
  await w.screenshot('notebook', { readme: true });
}));

test('the Interactive Window runs a .py selection with per-engine outputs', { timeout: 120_000 }, step('interactive', async (w) => {
  await quickOpen(w, 'interactive_demo.py');
  await w.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await w.page.keyboard.press('Control+A');
  await w.runCommand(paletteTitle(Commands.runInInteractiveWindow));
  const iw = w.page.locator('.interactive-editor, .editor-group-container', { has: w.page.locator('.interactive-editor') }).first();
  await iw.waitFor({ state: 'visible', timeout: 30_000 });
  const frame = await outputFrame(w, /\[stdout:0\] interactive \d+/);
  await frame.getByText(/\[stdout:0\] interactive \d+/).first().waitFor({ state: 'visible', timeout: 60_000 });
  await frame.getByText(/\[stdout:1\] interactive \d+/).first().waitFor({ state: 'visible', timeout: 10_000 });
}));
