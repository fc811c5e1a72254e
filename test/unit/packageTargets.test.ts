// The per-target packages: which zeromq addon each target ships is zeromq's own loader's answer
// (scripts/lib/zeromqAddon.mjs runs cmake-ts's loader.js for the target's os, arch and libc), and
// checkVsixContents rejects a package that ships another addon, two addons or none.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './support/fixtures';

interface AddonLib {
  TARGETS: Record<string, { os: string; arch: string; libc: string }>;
  loaderPick(target: string, nodeModules: string, available?: (rel: string) => boolean): string;
  addonsIn(names: string[]): string[];
}
interface PackageLib {
  checkVsixContents(names: string[], pkg: { main: string }, target: string): string[];
  ignoreFileFor(target: string): string;
  packagedReadme(text: string): string;
}
const load = <T>(rel: string): Promise<T> => import(pathToFileURL(join(repoRoot, rel)).href) as Promise<T>;
const nodeModules = join(repoRoot, 'node_modules');
const BASE = [
  'package.json', 'package.nls.json', 'l10n/bundle.l10n.json', 'dist/extension.js', 'dist/server.js', 'dist/timeline.js', 'dist/THIRD-PARTY-NOTICES.txt', 'node_modules/zeromq/package.json', 'node_modules/zeromq/lib/index.js',
  'node_modules/zeromq/build/manifest.json', 'node_modules/cmake-ts/package.json', 'node_modules/cmake-ts/build/loader.js',
].map((n) => `extension/${n}`);
const withAddons = (...rel: string[]) => [...BASE, ...rel.map((r) => `extension/node_modules/zeromq/${r}`)];

describe('per-target packages: the zeromq addon is the loader\'s pick', () => {
  it('offers the eight targets of the marketplace', async () => {
    const { TARGETS } = await load<AddonLib>('scripts/lib/zeromqAddon.mjs');
    assert.deepEqual(Object.keys(TARGETS).sort(), [
      'alpine-arm64', 'alpine-x64', 'darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64', 'win32-arm64', 'win32-x64',
    ]);
  });

  it('resolves, for every target, an addon of that os and arch that zeromq ships', async () => {
    const { TARGETS, loaderPick } = await load<AddonLib>('scripts/lib/zeromqAddon.mjs');
    for (const [target, p] of Object.entries(TARGETS)) {
      const rel = loaderPick(target, nodeModules);
      assert.ok(rel.startsWith(`build/${p.os}/${p.arch}/node/${p.libc}-`), `${target}: ${rel}`);
      assert.ok(existsSync(join(nodeModules, 'zeromq', rel)), `${target}: ${rel} is not in node_modules`);
    }
  });

  it('tells musl from glibc the way the loader does (/etc/alpine-release)', async () => {
    const { loaderPick } = await load<AddonLib>('scripts/lib/zeromqAddon.mjs');
    assert.match(loaderPick('alpine-x64', nodeModules), /\/musl-/);
    assert.match(loaderPick('linux-x64', nodeModules), /\/glibc-/);
  });

  it('falls back to the next build when the first is not in the package, and fails when none is', async () => {
    const { loaderPick } = await load<AddonLib>('scripts/lib/zeromqAddon.mjs');
    const first = loaderPick('linux-x64', nodeModules);
    const second = loaderPick('linux-x64', nodeModules, (rel) => rel !== first);
    assert.notEqual(second, first);
    assert.match(second, /^build\/linux\/x64\/node\/glibc-/);
    assert.throws(() => loaderPick('win32-x64', nodeModules, () => false), /finds no addon for win32-x64/);
  });

  it('accepts exactly the pick and rejects another addon, two addons or none', async () => {
    const { loaderPick } = await load<AddonLib>('scripts/lib/zeromqAddon.mjs');
    const { checkVsixContents } = await load<PackageLib>('scripts/package.mjs');
    const pick = loaderPick('darwin-arm64', nodeModules);
    assert.deepEqual(checkVsixContents(withAddons(pick), { main: './dist/extension.js' }, 'darwin-arm64'), []);
    const other = loaderPick('darwin-x64', nodeModules);
    assert.match(checkVsixContents(withAddons(other), { main: './dist/extension.js' }, 'darwin-arm64').join('\n'), /must ship exactly zeromq's/);
    assert.match(checkVsixContents(withAddons(pick, other), { main: './dist/extension.js' }, 'darwin-arm64').join('\n'), /not \[.*, .*\]/);
    assert.match(checkVsixContents(withAddons(), { main: './dist/extension.js' }, 'darwin-arm64').join('\n'), /finds no addon/);
  });

  it('adds the target\'s addon, and only it, to the allowlist', async () => {
    const { loaderPick } = await load<AddonLib>('scripts/lib/zeromqAddon.mjs');
    const { ignoreFileFor } = await load<PackageLib>('scripts/package.mjs');
    const text = ignoreFileFor('win32-arm64');
    const addonLines = text.split('\n').filter((l) => l.includes('addon.node'));
    assert.deepEqual(addonLines, [`!node_modules/zeromq/${loaderPick('win32-arm64', nodeModules)}`]);
  });

  it('inlines the README\'s PNG screenshots for the details page, and leaves other links alone', async () => {
    const { packagedReadme } = await load<PackageLib>('scripts/package.mjs');
    const text = '![Tasks view](media/screenshots/tasks.png)\n[docs](docs/api.md) ![x](https://example.org/a.png) ![gone](media/none.png)';
    const out = packagedReadme(text);
    const png = readFileSync(join(repoRoot, 'media/screenshots/tasks.png')).toString('base64');
    assert.ok(out.startsWith(`![Tasks view](data:image/png;base64,${png})\n`));
    assert.ok(out.endsWith('[docs](docs/api.md) ![x](https://example.org/a.png) ![gone](media/none.png)'));
  });
});
