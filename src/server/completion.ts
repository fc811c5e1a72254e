/**
 * Completion: names from one idle engine's namespace (`complete_request`), with a short timeout, so it
 * never waits behind a running cell. The current line is sent as the code; the engine's code-point
 * cursor_start/cursor_end become the UTF-16 range of a TextEdit.
 */
import { CompletionItemKind, type CancellationToken, type CompletionItem, type Position } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { CompletionResult } from '../core/client/types';
import type { FeatureHost } from './features';
import { codePointsToUtf16, lexicalContext, utf16ToCodePoints } from './pythonText';

export const TRIGGER_CHARACTERS = ['.'];
const MAX_ITEMS = 500;

const KINDS: Record<string, CompletionItemKind> = {
  function: CompletionItemKind.Function,
  module: CompletionItemKind.Module,
  class: CompletionItemKind.Class,
  instance: CompletionItemKind.Variable,
  statement: CompletionItemKind.Variable,
  param: CompletionItemKind.Variable,
  property: CompletionItemKind.Property,
  keyword: CompletionItemKind.Keyword,
  path: CompletionItemKind.File,
  magic: CompletionItemKind.Function,
};

/** Maps an engine's completion reply on `line` to LSP items. */
export function completionItems(result: CompletionResult, line: string, lineNumber: number): CompletionItem[] {
  const start = codePointsToUtf16(line, result.cursorStart);
  const end = codePointsToUtf16(line, result.cursorEnd);
  const types = new Map((result.types ?? []).map((t) => [t.text, t]));
  const width = String(result.matches.length).length;
  return result.matches.slice(0, MAX_ITEMS).map((match, i) => {
    const t = types.get(match);
    const item: CompletionItem = {
      label: match,
      sortText: String(i).padStart(width, '0'),
      textEdit: { range: { start: { line: lineNumber, character: start }, end: { line: lineNumber, character: end } }, newText: match },
    };
    if (t) {
      item.kind = KINDS[t.type] ?? CompletionItemKind.Text;
      item.detail = t.signature ? `${t.type} ${match.split('.').pop()}${t.signature}` : t.type;
    }
    return item;
  });
}

export class CompletionProvider {
  constructor(private readonly host: FeatureHost) {}

  async complete(doc: TextDocument, position: Position, token?: CancellationToken): Promise<CompletionItem[] | null> {
    const settings = this.host.settings();
    if (!settings.evaluate || !settings.completion || doc.languageId !== 'python') return null;
    const client = this.host.connectedClient();
    if (!client) return null;
    const engineId = (await this.host.idleEngines())[0];
    if (engineId === undefined) return null;
    const line = doc.getText({ start: { line: position.line, character: 0 }, end: { line: position.line + 1, character: 0 } }).replace(/\r?\n$/, '');
    const character = Math.min(position.character, line.length);
    if (lexicalContext(line, character) === 'comment') return null; // strings complete (paths, dict keys)
    const controller = new AbortController();
    const sub = token?.onCancellationRequested(() => controller.abort());
    try {
      const timeoutMs = this.host.settings().languageFeatureTimeoutMs;
      const result = await client.complete(line, utf16ToCodePoints(line, character), { engineId, timeoutMs, signal: controller.signal });
      return completionItems(result, line, position.line);
    } catch (e) {
      this.host.logger.debug(`completion on engine ${engineId} failed: ${(e as Error).message}`);
      return null;
    } finally {
      sub?.dispose();
    }
  }
}
