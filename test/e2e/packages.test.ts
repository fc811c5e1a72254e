// `npm run package` for every target: each .vsix is built by vsce with its target and checked by
// scripts/package.mjs (exactly the zeromq addon zeromq's own loader picks on that target, the loader run
// against the archive resolves to it, no sources or maps). The host's package is also loaded here.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO } from './harness';

interface Built { target: string; bytes: number; addon: string; addonBytes: number; zeromq?: string }
interface PackageLib {
  TARGETS: Record<string, unknown>;
  hostTarget(): string;
  buildAll(o: { outDir: string; build: boolean; quiet: boolean }): Promise<Built[]>;
}

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-targets-'));
after(() => fs.rmSync(outDir, { recursive: true, force: true }));

test('npm run package makes a checked .vsix for every target', { timeout: 10 * 60_000 }, async (t) => {
  const lib = (await import(pathToFileURL(path.join(REPO, 'scripts', 'package.mjs')).href)) as PackageLib;
  // dist/ was built by npm test's build stage; packaging needs no second build.
  const built = await lib.buildAll({ outDir, build: false, quiet: true });
  assert.deepEqual(built.map((b) => b.target), Object.keys(lib.TARGETS));
  for (const b of built) t.diagnostic(`${b.target}: ${(b.bytes / 1e6).toFixed(2)} MB, ${b.addon} (${(b.addonBytes / 1024).toFixed(0)} KiB)`);
  const host = built.find((b) => b.target === lib.hostTarget());
  assert.ok(host?.zeromq, 'the host target\'s packaged zeromq was loaded');
  assert.equal(new Set(built.map((b) => b.addon)).size, built.length, 'every target ships its own addon');
});
