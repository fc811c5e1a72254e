// The third-party notice shipped beside the bundles (dist/THIRD-PARTY-NOTICES.txt, in every .vsix): the
// packages esbuild put into dist/*.js, from its metafiles, each with its name, version, licence and the
// text of its licence file, plus the packages shipped as they are in node_modules (zeromq carries its own
// licence files there; cmake-ts has none, so its package.json's licence and author stand for it). The
// bundles are minified and carry no licence comments, so this file is where the MIT and ISC notices,
// which every copy must keep, go.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NOTICES_FILE = 'dist/THIRD-PARTY-NOTICES.txt';
/** Packages shipped unbundled in the .vsix's node_modules (see .vscodeignore). */
const SHIPPED = ['zeromq', 'cmake-ts'];

/** The package directories (relative to the repo) that a metafile's inputs come from. */
export function bundledPackages(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]);
  }
  return [...dirs];
}

function licenceText(dir) {
  const file = readdirSync(dir).find((f) => /^licen[cs]e(\.(md|txt))?$/i.test(f));
  return file ? readFileSync(join(dir, file), 'utf8').trim() : undefined;
}

function author(pkg) {
  return typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
}

/** Writes the notice for these bundled package directories (and the shipped ones); returns its path. */
export function writeNotices(repo, packageDirs) {
  const dirs = [...new Set([...packageDirs, ...SHIPPED.map((p) => `node_modules/${p}`)])].filter((d) => existsSync(join(repo, d, 'package.json')));
  const entries = dirs
    .map((d) => ({ dir: d, pkg: JSON.parse(readFileSync(join(repo, d, 'package.json'), 'utf8')) }))
    .sort((a, b) => a.pkg.name.localeCompare(b.pkg.name));
  const parts = entries.map(({ dir, pkg }) => {
    const text = licenceText(join(repo, dir));
    const head = `${pkg.name} ${pkg.version} (${pkg.license ?? 'no licence field'})${author(pkg) ? `, by ${author(pkg)}` : ''}`;
    return `${head}\n${'-'.repeat(head.length)}\n${text ?? `The package has no licence file; its package.json says: ${pkg.license}.`}\n`;
  });
  const intro = 'IPython Parallel for VS Code includes the following third-party software, in dist/*.js (bundled) or node_modules (as shipped).\n';
  writeFileSync(join(repo, NOTICES_FILE), `${intro}\n${parts.join('\n')}`);
  return NOTICES_FILE;
}
