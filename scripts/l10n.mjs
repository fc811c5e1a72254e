#!/usr/bin/env node
// `node scripts/l10n.mjs`: writes l10n/bundle.l10n.json, the English runtime strings of the extension that
// translators start from (the format of `@vscode/l10n-dev export`: message -> message), from every
// `l10n.t('…')` and `vscode.l10n.t('…')` call in src/extension. `--check` writes nothing and exits 1 when
// the file is stale (test/unit/l10nBundle.test.ts runs the same check). A translation is
// l10n/bundle.l10n.<locale>.json with the same keys; package.json's "l10n" field points VS Code at the folder.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE = path.join(REPO, 'l10n', 'bundle.l10n.json');

function tsFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? tsFiles(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}

/** A JS string literal's value ('…' or "…", with the escapes the sources use). */
function unquote(lit) {
  const q = lit[0];
  return lit.slice(1, -1).replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === q || c === '\\' ? c : `\\${c}`));
}

/**
 * The messages of every l10n.t call in `files` ({ file, text }), and the calls whose message is not a
 * string literal (those cannot be listed for translators: each is a problem).
 */
export function extractMessages(files) {
  const messages = new Set();
  const problems = [];
  for (const { file, text } of files) {
    for (const m of text.matchAll(/\bl10n\.t\(\s*/g)) {
      const rest = text.slice(m.index + m[0].length);
      const lit = /^(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")\s*[,)]/.exec(rest);
      if (!lit) {
        const line = text.slice(0, m.index).split('\n').length;
        problems.push(`${path.relative(REPO, file)}:${line}: l10n.t's message must be a string literal`);
        continue;
      }
      messages.add(unquote(lit[0].replace(/\s*[,)]$/, '')));
    }
  }
  return { messages: [...messages].sort(), problems };
}

/** The bundle's text for the extension's sources under `repo`. */
export function bundleText(repo = REPO) {
  const files = tsFiles(path.join(repo, 'src', 'extension')).map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));
  const { messages, problems } = extractMessages(files);
  if (problems.length) throw new Error(problems.join('\n'));
  return `${JSON.stringify(Object.fromEntries(messages.map((m) => [m, m])), null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const text = bundleText();
    const current = fs.existsSync(BUNDLE) ? fs.readFileSync(BUNDLE, 'utf8') : '';
    if (process.argv.includes('--check')) {
      if (current !== text) {
        console.error('l10n/bundle.l10n.json is stale: run node scripts/l10n.mjs');
        process.exit(1);
      }
    } else if (current !== text) {
      fs.mkdirSync(path.dirname(BUNDLE), { recursive: true });
      fs.writeFileSync(BUNDLE, text);
      console.log(`wrote ${path.relative(REPO, BUNDLE)} (${Object.keys(JSON.parse(text)).length} messages)`);
    }
  } catch (e) {
    console.error(`l10n: ${e.message}`);
    process.exit(1);
  }
}
