// The language server's user-facing messages come from one table (src/core/messages.ts): every key is
// used, the placeholders are {0}..{n-1}, and no ipp/* error, parameter problem or diagnostic in
// src/server is written as a literal beside it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { message, MESSAGES } from '../../src/core/messages';
import { repoRoot } from './support/fixtures';

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? tsFiles(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}
const sources = [...tsFiles(join(repoRoot, 'src', 'server')), ...tsFiles(join(repoRoot, 'src', 'core'))].map((f) => ({
  file: relative(repoRoot, f),
  text: readFileSync(f, 'utf8'),
}));

describe('server messages: one table (src/core/messages.ts)', () => {
  it('every message of the table is used, through message()', () => {
    const used = new Set(sources.flatMap((s) => [...s.text.matchAll(/\bmessage\(\s*(?:[^'()]*\?\s*)?'(\w+)'(?:\s*:\s*'(\w+)')?/g)].flatMap((m) => [m[1], m[2]])));
    assert.deepEqual(Object.keys(MESSAGES).filter((k) => !used.has(k)), []);
  });

  it('placeholders are {0}..{n-1}, each used', () => {
    for (const [key, text] of Object.entries(MESSAGES)) {
      const ids = [...new Set([...text.matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
      assert.deepEqual(ids, ids.map((_, i) => i), key);
    }
  });

  it('message() fills the placeholders and leaves a missing one visible', () => {
    assert.equal(message('invalidParam', 'targets', message('mustBeTargets')), 'Invalid params: "targets" must be "all", "balanced" or a non-empty list of engine ids.');
    assert.equal(message('diagnostic', 'ZeroDivisionError', 'division by zero', 'on engines 0, 1'), 'ZeroDivisionError: division by zero (on engines 0, 1)');
    assert.equal(message('unknownRun'), 'Unknown run or task "{0}": it may have been purged; ipp/tasks lists the known runs.');
  });

  it('no ResponseError, parameter problem or diagnostic message in src/server is a literal', () => {
    const patterns = [
      /new ResponseError\([^,]+,\s*['`"]/,
      /invalidParams\([^,]+,\s*['`"]/,
      /\bmessage:\s*['`"]/,
    ];
    const found = sources
      .filter((s) => s.file.startsWith('src/server'))
      .flatMap((s) => s.text.split('\n').map((line, i) => ({ line, at: `${s.file}:${i + 1}` })))
      .filter(({ line }) => patterns.some((re) => re.test(line)))
      .map(({ line, at }) => `${at}: ${line.trim()}`);
    assert.deepEqual(found, []);
  });
});
