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

/** The layer of a file under src/, lowest first; shared (the wire contract) sits between client and server. */
const LAYERS = ['core/protocol', 'core/transport', 'core/client', 'shared', 'server', 'extension'] as const;
/** core's own top-level files (event, log, defaults, codedError, python, index) are below every layer. */
function layerOf(srcRel: string): number {
  const i = LAYERS.findIndex((l) => srcRel === l || srcRel.startsWith(`${l}/`));
  if (i >= 0) return i;
  if (srcRel.startsWith('core/')) return srcRel === 'core/index.ts' ? LAYERS.length : -1;
  return LAYERS.length;
}

/** Relative imports between files of a tree, as [from, to] pairs. */
function importEdges(files: string[]): [string, string][] {
  return files.flatMap((f) => specifiers(f).flatMap((s) => {
    const to = s.startsWith('.') ? resolveRelative(f, s) : undefined;
    return to ? [[f, to] as [string, string]] : [];
  }));
}

/** Every import cycle (as a path of files), found by depth-first search. */
function findCycles(edges: [string, string][]): string[][] {
  const next = new Map<string, string[]>();
  for (const [a, b] of edges) next.set(a, [...(next.get(a) ?? []), b]);
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  const visit = (f: string, path: string[]): void => {
    state.set(f, 'open');
    for (const t of next.get(f) ?? []) {
      if (state.get(t) === 'open') cycles.push([...path.slice(path.indexOf(t)), f, t]);
      else if (!state.has(t)) visit(t, [...path, f]);
    }
    state.set(f, 'done');
  };
  for (const f of next.keys()) if (!state.has(f)) visit(f, []);
  return cycles;
}

/** Imports from a lower layer to a higher one. */
function upwardImports(edges: [string, string][], srcRoot: string): string[] {
  return edges.flatMap(([a, b]) => {
    const la = layerOf(relative(srcRoot, a));
    const lb = layerOf(relative(srcRoot, b));
    return lb > la ? [`${relative(srcRoot, a)} imports ${relative(srcRoot, b)}`] : [];
  });
}

describe('layering: no import cycles, and no import from a lower layer to a higher one', () => {
  const src = join(repoRoot, 'src');

  it('src/ has no import cycle between its files', () => {
    const cycles = findCycles(importEdges(tsFiles(src)));
    assert.deepEqual(cycles.map((c) => c.map((f) => relative(src, f)).join(' -> ')), []);
  });

  it('layers import only downwards: protocol, transport, client, shared, server, extension', () => {
    assert.deepEqual(upwardImports(importEdges(tsFiles(src)), src), []);
  });

  it('the checks are not vacuous: they find a planted cycle and an upward import', () => {
    const root = tempDir('layers');
    writeFile(join(root, 'core', 'protocol', 'a.ts'), "import { b } from '../client/b';\nexport const a = b;\n");
    writeFile(join(root, 'core', 'client', 'b.ts'), "import { c } from './c';\nexport const b = c;\n");
    writeFile(join(root, 'core', 'client', 'c.ts'), "import { b } from './b';\nexport const c = b;\n");
    const edges = importEdges(tsFiles(root));
    assert.deepEqual(findCycles(edges).map((c) => c.map((f) => relative(root, f)).join(' -> ')), ['core/client/b.ts -> core/client/c.ts -> core/client/b.ts']);
    assert.deepEqual(upwardImports(edges, root), ['core/protocol/a.ts imports core/client/b.ts']);
  });
});

describe('layering: the extension reaches the server only through the contract', () => {
  const eslint = new ESLint({ cwd: repoRoot });

  it('an import of src/server from src/extension is a lint error; src/shared is not', async () => {
    const lint = async (spec: string) => {
      const [r] = await eslint.lintText(`import { x } from '${spec}';\nexport const y = x;\n`, { filePath: join(repoRoot, 'src/extension/views/layeringProbe.ts') });
      return r.messages.filter((m) => m.ruleId === 'no-restricted-imports');
    };
    assert.equal((await lint('../../server/runs')).length, 1);
    assert.equal((await lint('../../shared/protocol')).length, 0);
  });
});
