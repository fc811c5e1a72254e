// dist/THIRD-PARTY-NOTICES.txt (scripts/lib/notices.mjs): every package esbuild bundled, and those
// shipped in node_modules, with its licence text, since the minified bundles carry none.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { repoRoot } from './support/fixtures';

interface NoticesLib {
  NOTICES_FILE: string;
  bundledPackages(metafile: { inputs: Record<string, unknown> }): string[];
  writeNotices(repo: string, packageDirs: string[]): string;
}
const lib = () => import(pathToFileURL(join(repoRoot, 'scripts', 'lib', 'notices.mjs')).href) as Promise<NoticesLib>;

describe('third-party notices', () => {
  it('names the packages a metafile bundled, scoped ones and nested ones too', async () => {
    const { bundledPackages } = await lib();
    const inputs = {
      'src/core/messages.ts': {},
      'node_modules/vscode-jsonrpc/lib/common/api.js': {},
      'node_modules/vscode-jsonrpc/lib/node/main.js': {},
      'node_modules/@scope/pkg/index.js': {},
      'node_modules/a/node_modules/b/index.js': {},
    };
    assert.deepEqual(bundledPackages({ inputs }).sort(), ['node_modules/@scope/pkg', 'node_modules/a/node_modules/b', 'node_modules/vscode-jsonrpc']);
  });

  it('writes each package with its licence text, or its licence field when it has no file', async () => {
    const { writeNotices, NOTICES_FILE } = await lib();
    const repo = mkdtempSync(join(tmpdir(), 'notices-'));
    try {
      const pkg = (name: string, extra: object, licence?: string) => {
        const dir = join(repo, 'node_modules', name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.2.3', ...extra }));
        if (licence) writeFileSync(join(dir, 'License.txt'), licence);
      };
      pkg('libx', { license: 'MIT', author: 'X Corp' }, 'Copyright (c) X Corp. Permission is hereby granted...');
      pkg('cmake-ts', { license: 'MIT' });
      mkdirSync(join(repo, 'dist'));
      writeNotices(repo, ['node_modules/libx']);
      const text = readFileSync(join(repo, NOTICES_FILE), 'utf8');
      assert.match(text, /^libx 1\.2\.3 \(MIT\), by X Corp\n-+\nCopyright \(c\) X Corp\. Permission is hereby granted\.\.\.$/m);
      assert.match(text, /^cmake-ts 1\.2\.3 \(MIT\)\n-+\nThe package has no licence file; its package\.json says: MIT\.$/m);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
