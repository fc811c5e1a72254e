// The language bundle (dist/server.js) carries small stand-ins for two of vscode-languageclient's
// dependencies (src/extension/shims, aliased by scripts/build.mjs): they must answer as the real
// minimatch and semver do, for every input the client can give them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { expandBraces, Minimatch } from '../../src/extension/shims/minimatch';
import { parse, satisfies } from '../../src/extension/shims/semver';
import { repoRoot } from './support/fixtures';

const requireReal = createRequire(join(repoRoot, 'node_modules', 'vscode-languageclient', 'package.json'));
const real = {
  Minimatch: (requireReal('minimatch') as typeof import('minimatch')).Minimatch,
  parse: requireReal('semver/functions/parse') as (v: unknown) => { major: number; minor: number; patch: number; prerelease: (string | number)[] } | null,
  satisfies: requireReal('semver/functions/satisfies') as (v: unknown, range: string) => boolean,
};

const PATTERNS = [
  '**/*.py', '*.py', '/a/**', '/a/**/b', '/a/*', '/a/*/c', '{a,b}/*.js', 'a/{b,c{d,e}}/f', '{a}/x', 'a/[!x]y', 'a/[a-c]y', 'a/[]]', 'a/[x', 'a/?',
  '!a/b', '!!a/b', '#a', '', '/a/**/*', 'a/**', 'a/b/', '**', 'a/**/', 'a\\*b', '**/.vscode/*.json', '/home/*/src/**/*.{ts,js}', '.*', 'a/.b/**',
  '**/node_modules/**', 'A/*.PY', 'a//b', '/a/b?c', 'a/*b*c', '**/a/**/b', 'a/\\[x]',
];
const PATHS = [
  '/a/b/c.py', '/a/.b/c.py', 'c.py', '.c.py', '/a/.x/y', '/a/b', '/a/.x', '/a/x/c', 'b/x.js', 'c/x.js', 'a/b/f', 'a/cd/f', 'a/ce/f', 'a/c/f', '{a}/x',
  'a/zy', 'a/xy', 'a/by', 'a/]', 'a/[x', 'a/.', 'a/c', 'a/b', '#a', '', '/a/.', 'a', 'a/', 'a/b/', '.x', 'x/.y', 'a*b', 'aab', '/w/.vscode/s.json',
  '/home/u/src/m/x.ts', '/home/u/src/x.js', '/home/u/src/x.py', '.hidden', 'a/.b/c', 'x/node_modules/y/z.js', 'A/X.py', 'a/x.PY', 'a//b', 'a/b//',
  '/a/bxc', '/a/b/c', 'a/xbyc', 'a/bc', 'q/a/r/s/b', 'a/b', 'a/[x]', 'a/x',
];

describe('shims: minimatch', () => {
  for (const options of [{ noext: true }, { dot: true }, { dot: true, nocase: true }, {}]) {
    it(`matches as minimatch does, options ${JSON.stringify(options)}`, () => {
      const wrong: string[] = [];
      for (const pattern of PATTERNS) {
        const ours = new Minimatch(pattern, options);
        const theirs = new real.Minimatch(pattern, options);
        if (Boolean(ours.makeRe()) !== Boolean(theirs.makeRe())) wrong.push(`makeRe ${JSON.stringify(pattern)}`);
        for (const path of PATHS) {
          const want = theirs.match(path);
          if (ours.match(path) !== want) wrong.push(`${JSON.stringify(pattern)} ~ ${JSON.stringify(path)}: minimatch says ${want}`);
        }
      }
      assert.deepEqual(wrong, []);
    });
  }

  it('expands braces as brace-expansion does', () => {
    assert.deepEqual(expandBraces('a{b,c{d,e}}f'), ['abf', 'acdf', 'acef']);
    assert.deepEqual(expandBraces('{a}'), ['{a}']);
    assert.deepEqual(expandBraces('x{a,b'), ['x{a,b']);
    assert.deepEqual(expandBraces('\\{a,b}'), ['\\{a,b}']);
  });
});

describe('shims: semver', () => {
  const VERSIONS = ['1.91.0', '1.100.2', '1.105.0-insider', 'v1.95.1', '=1.95.1', ' 1.95.1 ', '1.90.9', '2.0.0', '1.91.0+build.5', '0.9.0', '01.2.3', '1.2', 'x', '', '1.2.3-alpha.01', '1.2.3-alpha.1', '1.2.3-rc.1+b'];
  it('parses as semver does', () => {
    for (const v of VERSIONS) {
      const want = real.parse(v);
      assert.deepEqual(parse(v), want && { major: want.major, minor: want.minor, patch: want.patch, prerelease: want.prerelease }, v);
    }
  });

  it('answers ^X.Y.Z ranges as semver does, also for a parsed version with its prerelease removed (as the client does)', () => {
    for (const range of ['^1.91.0', '^0.2.3', '^0.0.3', '^1.0.0']) {
      for (const v of [...VERSIONS, '0.2.3', '0.2.9', '0.3.0', '0.0.3', '0.0.4', '1.0.0']) {
        assert.equal(satisfies(v, range), real.satisfies(v, range), `${v} ${range}`);
        const parsed = parse(v);
        if (parsed) assert.equal(satisfies({ ...parsed, prerelease: [] }, range), real.satisfies(`${parsed.major}.${parsed.minor}.${parsed.patch}`, range), `${v} ${range} (no prerelease)`);
      }
    }
  });

  it("the client's range is of the one form the shim reads", () => {
    const main = readFileSync(join(repoRoot, 'node_modules', 'vscode-languageclient', 'lib', 'node', 'main.js'), 'utf8');
    const range = /const REQUIRED_VSCODE_VERSION = '([^']+)'/.exec(main)?.[1];
    assert.match(range ?? '', /^\^\d+\.\d+\.\d+$/);
    assert.throws(() => satisfies('1.0.0', '>=1.0.0'), /only \^X\.Y\.Z ranges/);
  });
});
