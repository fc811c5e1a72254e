// Ready for translation, the runtime strings: the extension's messages go through vscode.l10n.t (or the
// l10n shim of the modules without `vscode`), each message a string literal, and l10n/bundle.l10n.json
// lists exactly them (scripts/l10n.mjs writes it). A message written straight into a popup, an error, a
// quick pick or a progress title is flagged.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { formatMessage, l10n } from '../../src/extension/l10n';
import { repoRoot } from './support/fixtures';

interface L10nLib {
  bundleText(repo?: string): string;
  extractMessages(files: { file: string; text: string }[]): { messages: string[]; problems: string[] };
}
const lib = (): Promise<L10nLib> => import(pathToFileURL(join(repoRoot, 'scripts', 'l10n.mjs')).href) as Promise<L10nLib>;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? tsFiles(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}

/**
 * A user-facing text that starts as a literal: the first argument of a popup, status-bar message or
 * UserError, or a title/placeholder/prompt/tooltip/label/detail field, written as '…' or `…` with letters.
 */
const HARD_CODED = [
  /\b(?:show(?:Information|Warning|Error)Message|setStatusBarMessage|new UserError|new \w+Error)\(\s*(['`"])[^'`"]*[A-Za-z]{3}/,
  /\b(?:title|placeHolder|placeholder|prompt|tooltip|label|detail|openLabel|message): (['`"])[^'`"]*[A-Za-z]{3}/,
];

describe('runtime strings are ready for translation (vscode.l10n.t, l10n/bundle.l10n.json)', () => {
  it('l10n/bundle.l10n.json lists exactly the messages of the l10n.t calls (node scripts/l10n.mjs)', async () => {
    const { bundleText } = await lib();
    assert.equal(readFileSync(join(repoRoot, 'l10n', 'bundle.l10n.json'), 'utf8'), bundleText(repoRoot), 'stale: run node scripts/l10n.mjs');
  });

  it('package.json points VS Code at the l10n folder', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { l10n?: string };
    assert.equal(pkg.l10n, './l10n');
  });

  it('a message that is not a string literal is reported, escapes are read as the runtime reads them', async () => {
    const { extractMessages } = await lib();
    const r = extractMessages([{ file: join(repoRoot, 'x.ts'), text: "l10n.t(msg);\nvscode.l10n.t('a \\'b\\'\\n{0}', x);\nl10n.t(\"c\")" }]);
    assert.deepEqual(r.messages, ["a 'b'\n{0}", 'c']);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0], /x\.ts:1: .*string literal/);
  });

  it('no popup, error, quick pick, progress or tree text in src/extension is a hard-coded literal', () => {
    const found: string[] = [];
    // ids.ts holds identifiers, not text.
    for (const file of tsFiles(join(repoRoot, 'src', 'extension')).filter((f) => !f.endsWith('ids.ts'))) {
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        if (/^\s*(\/\/|\*|\/\*)/.test(line) || /\blog\.\w+\(/.test(line)) return;
        // The product's name stays as it is in every language; codicons and ${…} parts are not text.
        const text = line
          .replace(/\$\{[^}]*\}|\$\([\w~-]+\)/g, '')
          .replace(/(['`"])IPython Parallel(?:: )?\1/g, '');
        if (HARD_CODED.some((re) => re.test(text))) found.push(`${relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(found, []);
  });

  it('the shim formats {n} like vscode.l10n.t, and translates through what activate() hands it', () => {
    assert.equal(formatMessage('{0} of {1} engines, {0} again, {2} kept', [1, 2]), '1 of 2 engines, 1 again, {2} kept');
    assert.equal(l10n.t('Connected to {0}', 'default'), 'Connected to default');
    l10n.use((m, ...a) => `«${formatMessage(m, a)}»`);
    try {
      assert.equal(l10n.t('engine {0}', 3), '«engine 3»');
    } finally {
      l10n.use((m, ...a) => formatMessage(m, a));
    }
  });
});
