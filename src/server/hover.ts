/**
 * Hover: the value of the name under the cursor on the engines, through `user_expressions` (a silent
 * execute of nothing), asked only of idle engines so it never queues behind user work, with a short
 * timeout. Values are cached per name until the next run starts or finishes. Identical values show once
 * with the list of engines that hold them; long reprs are truncated.
 */
import { MarkupKind, type CancellationToken, type Hover, type Position } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ExpressionValue } from '../core/client/types';
import type { FeatureHost } from './features';
import { dottedNameAt } from './pythonText';
import { stripAnsi } from './traceback';
import { message } from '../core/messages';

export const MAX_HOVER_ENGINES = 16;
const MAX_REPR_CHARS = 1500;
const MAX_REPR_LINES = 25;

/** One distinct value and the engines that hold it. */
export interface HoverValue {
  repr: string;
  engines: number[];
}

export function truncateRepr(repr: string, maxChars = MAX_REPR_CHARS, maxLines = MAX_REPR_LINES): string {
  let out = repr;
  const lines = out.split('\n');
  if (lines.length > maxLines) out = lines.slice(0, maxLines).join('\n');
  if (out.length > maxChars) out = out.slice(0, maxChars);
  return out === repr ? repr : message('charactersInAll', out, repr.length.toLocaleString('en-US'));
}

/** Groups per-engine values: identical reprs once, engines sorted; groups in order of their first engine. */
export function groupValues(values: Map<number, ExpressionValue>): HoverValue[] {
  const groups = new Map<string, number[]>();
  for (const id of [...values.keys()].sort((a, b) => a - b)) {
    const v = values.get(id) as ExpressionValue;
    if (v.status !== 'ok') continue;
    const text = v.data['text/plain'];
    if (typeof text !== 'string') continue;
    const repr = stripAnsi(text);
    const list = groups.get(repr);
    if (list) list.push(id);
    else groups.set(repr, [id]);
  }
  return [...groups].map(([repr, engines]) => ({ repr, engines }));
}

function fence(text: string): string {
  let ticks = '```';
  while (text.includes(ticks)) ticks += '`';
  return `${ticks}python\n${text}\n${ticks}`;
}

export function hoverMarkdown(name: string, values: readonly HoverValue[]): string {
  return values
    .map((v) => `${message(v.engines.length > 1 ? 'hoverOnEngines' : 'hoverOnEngine', name, v.engines.join(', '))}\n${fence(truncateRepr(v.repr))}`)
    .join('\n\n');
}

export class HoverProvider {
  #cache = new Map<string, Promise<HoverValue[]>>();

  constructor(private readonly host: FeatureHost) {}

  /** The next run started or finished: cached values may be stale. */
  invalidate(): void {
    this.#cache.clear();
  }

  async hover(doc: TextDocument, position: Position, token?: CancellationToken): Promise<Hover | null> {
    const settings = this.host.settings();
    if (!settings.evaluate || !settings.hover || doc.languageId !== 'python') return null;
    const client = this.host.connectedClient();
    if (!client) return null;
    const line = doc.getText({ start: { line: position.line, character: 0 }, end: { line: position.line + 1, character: 0 } }).replace(/\r?\n$/, '');
    const at = dottedNameAt(line, position.character);
    if (!at) return null;
    let pending = this.#cache.get(at.name);
    if (!pending) {
      const lookup = this.#lookup(at.name, token);
      pending = lookup;
      this.#cache.set(at.name, lookup);
      // A failed or empty lookup is not worth keeping: the next hover asks again.
      lookup.then((v) => v.length === 0 && this.#cache.get(at.name) === lookup && this.#cache.delete(at.name));
    }
    const values = await pending;
    if (values.length === 0 || token?.isCancellationRequested) return null;
    return {
      contents: { kind: MarkupKind.Markdown, value: hoverMarkdown(at.name, values) },
      range: { start: { line: position.line, character: at.start }, end: { line: position.line, character: at.end } },
    };
  }

  /** Asks each idle engine on its own, so one slow engine does not hide the others' values. */
  async #lookup(name: string, token?: CancellationToken): Promise<HoverValue[]> {
    const targets = (await this.host.idleEngines()).slice(0, MAX_HOVER_ENGINES);
    const client = this.host.connectedClient();
    if (!client || targets.length === 0) return [];
    const timeoutMs = this.host.settings().languageFeatureTimeoutMs;
    const controller = new AbortController();
    const sub = token?.onCancellationRequested(() => controller.abort());
    try {
      const settled = await Promise.allSettled(
        targets.map((id) => client.evaluate({ value: name }, { targets: [id], timeoutMs, signal: controller.signal })),
      );
      const values = new Map<number, ExpressionValue>();
      settled.forEach((s, i) => {
        if (s.status !== 'fulfilled') return;
        const v = s.value.get(targets[i])?.value;
        if (v) values.set(targets[i], v);
      });
      const failures = settled.filter((s) => s.status === 'rejected').length;
      if (failures) this.host.logger.debug(`hover ${name}: ${failures} of ${targets.length} engines did not answer in ${timeoutMs} ms`);
      return groupValues(values);
    } catch (e) {
      this.host.logger.debug(`hover ${name} failed: ${(e as Error).message}`);
      return [];
    } finally {
      sub?.dispose();
    }
  }
}
