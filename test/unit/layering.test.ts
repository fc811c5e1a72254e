import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { repoRoot } from './support/fixtures';
import { tempDir, writeFile } from './support/tempDir';

/**
 * The layer boundary: nothing under src/core or src/server may reach `vscode` (or the VS Code language
 * client, which requires it), directly or through relative imports. The ESLint rule guards edits; this
 * test guards the tree as it is, and checks that the rule fires.
 */

const FORBIDDEN = /^(vscode|vscode-languageclient)(\/|$)/;

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return tsFiles(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

function resolveRelative(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Every import/require/export-from specifier in a file (TypeScript's own pre-processor, no regexes). */
function specifiers(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** Forbidden imports reachable from the given roots: `chain` shows how each is reached. */
function forbiddenReach(roots: string[]): { chain: string[]; spec: string }[] {
  const found: { chain: string[]; spec: string }[] = [];
  const seen = new Set<string>();
  const visit = (file: string, chain: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of specifiers(file)) {
      if (FORBIDDEN.test(spec)) found.push({ chain: [...chain, file], spec });
      else if (spec.startsWith('.')) {
        const target = resolveRelative(file, spec);
        if (target) visit(target, [...chain, file]);
      }
    }
  };
  for (const r of roots) visit(r, []);
  return found;
}

function describeReach(found: { chain: string[]; spec: string }[], root: string): string {
  return found.map((f) => `${f.chain.map((p) => relative(root, p)).join(' -> ')} imports "${f.spec}"`).join('\n');
}

describe('layering: src/core and src/server never import vscode', () => {
  for (const layer of ['src/core', 'src/server']) {
    it(`${layer}: no vscode import, directly or through relative imports`, (t) => {
      const files = tsFiles(join(repoRoot, layer));
      const found = forbiddenReach(files);
      assert.equal(found.length, 0, describeReach(found, repoRoot));
      t.diagnostic(`${layer}: ${files.length} file(s) scanned`);
    });
  }

  it('src/core has files to scan', () => {
    assert.ok(tsFiles(join(repoRoot, 'src/core')).length >= 5);
  });

  it('the scanner finds a vscode import reached through relative imports (it is not vacuous)', () => {
    const root = tempDir('layering');
    writeFile(join(root, 'core', 'a.ts'), "import { b } from './sub/b';\nexport const a = b;\n");
    writeFile(join(root, 'core', 'sub', 'b.ts'), "export { c as b } from '../../shared';\n");
    writeFile(join(root, 'shared', 'index.ts'), "import type * as vs from 'vscode';\nexport const c: vs.Uri | undefined = undefined;\n");
    writeFile(join(root, 'core', 'd.ts'), "const x = require('vscode-languageclient/node');\nexport default x;\n");
    writeFile(join(root, 'core', 'e.ts'), "export async function e() { return import('vscode'); }\n");
    const found = forbiddenReach(tsFiles(join(root, 'core')));
    const text = describeReach(found, root);
    assert.match(text, /core\/a\.ts -> core\/sub\/b\.ts -> shared\/index\.ts imports "vscode"/);
    assert.match(text, /core\/d\.ts imports "vscode-languageclient\/node"/);
    assert.match(text, /core\/e\.ts imports "vscode"/);
  });
});

describe('layering: the ESLint rule fires', () => {
  const eslint = new ESLint({ cwd: repoRoot });
  const snippet = "import * as vscode from 'vscode';\nexport const uri: vscode.Uri | undefined = undefined;\n";

  async function restrictedImportErrors(path: string, code = snippet): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: join(repoRoot, path) });
    return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  }

  it('for a vscode import under src/core', async () => {
    const errors = await restrictedImportErrors('src/core/protocol/layeringProbe.ts');
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /do not import vscode/);
  });

  it('for a vscode import under src/server', async () => {
    const errors = await restrictedImportErrors('src/server/layeringProbe.ts');
    assert.equal(errors.length, 1, errors.join('\n'));
  });

  it('for an LSP import under src/core', async () => {
    const errors = await restrictedImportErrors('src/core/layeringProbe.ts', "import { createConnection } from 'vscode-languageserver/node';\nexport const c = createConnection;\n");
    assert.equal(errors.length, 1, errors.join('\n'));
  });

  it('but not under src/extension', async () => {
    assert.deepEqual(await restrictedImportErrors('src/extension/layeringProbe.ts'), []);
  });
});
