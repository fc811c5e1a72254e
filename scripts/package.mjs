#!/usr/bin/env node
// `npm run package`: build, then `vsce package` into dist-vsix/ipyparallel-vscode.vsix (gitignored), never
// waiting on a prompt. Afterwards the archive is checked: it must hold the entry point and zeromq's
// linux-x64-glibc addon with its loader, and none of sources, tests, source maps or other platforms' addons;
// the packaged zeromq is extracted and loaded with this Node to prove it works.
// Usage: node scripts/package.mjs [--list]   (--list prints every file in the .vsix)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { runChecked } from './lib/proc.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const VSIX_PATH = path.join(REPO, 'dist-vsix', 'ipyparallel-vscode.vsix');

/** What the extension cannot run without (relative to the archive's `extension/` folder). */
const REQUIRED = [
  'package.json',
  'node_modules/zeromq/package.json',
  'node_modules/zeromq/lib/index.js',
  'node_modules/zeromq/build/manifest.json',
  'node_modules/zeromq/build/linux/x64/node/glibc-127-Release/addon.node',
  'node_modules/cmake-ts/package.json',
  'node_modules/cmake-ts/build/loader.js',
];
/** What must never ship. */
const FORBIDDEN = [
  [/^(src|test|out|scripts|bench|docs|\.cache|test-results|dist-vsix)\//, 'sources, tests or build output'],
  [/\.map$/, 'source maps'],
  [/\.(ts|mts|cts)$/, 'TypeScript sources and declarations'],
  [/^node_modules\/zeromq\/(src|script)\//, 'zeromq build sources'],
  [/^node_modules\/zeromq\/build\/(?!manifest\.json$|linux\/x64\/node\/glibc-127-Release\/)/, 'zeromq addons for other platforms'],
  [/^node_modules\/node-addon-api\//, 'node-addon-api (build-time headers)'],
  [/^node_modules\/(@types|typescript|esbuild|mocha|eslint|playwright-core|@vscode\/vsce)\//, 'dev dependencies'],
];

/** Entries of a zip file, read from its central directory (no dependency needed): [{ name, read() }]. */
export function readZip(file) {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip archive`);
  const count = buf.readUInt16LE(eocd + 10);
  let off = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(off) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${n}`);
    const method = buf.readUInt16LE(off + 10);
    const size = buf.readUInt32LE(off + 20);
    const nameLen = buf.readUInt16LE(off + 28);
    const local = buf.readUInt32LE(off + 42);
    const name = buf.toString('utf8', off + 46, off + 46 + nameLen);
    off += 46 + nameLen + buf.readUInt16LE(off + 30) + buf.readUInt16LE(off + 32);
    const read = () => {
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const data = buf.subarray(start, start + size);
      return method === 8 ? zlib.inflateRawSync(data) : Buffer.from(data);
    };
    entries.push({ name, read });
  }
  return entries;
}

export const listZip = (file) => readZip(file).map((e) => e.name);

/**
 * Extract the packaged zeromq and its loader and load it with this Node (the extension host's runtime
 * in code-server): proves the allowlist ships everything the native addon needs. Throws on failure.
 */
async function checkZeromqLoads(vsix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-vsix-'));
  try {
    for (const e of readZip(vsix)) {
      if (!e.name.startsWith('extension/node_modules/') || e.name.endsWith('/')) continue;
      const dest = path.join(dir, e.name);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, e.read());
    }
    const zeromq = path.join(dir, 'extension', 'node_modules', 'zeromq');
    const res = await runChecked(process.execPath, ['-e',
      `const z = require(${JSON.stringify(zeromq)}); new z.Dealer().close(); console.log(z.version)`], { timeoutMs: 30_000 });
    if (res.stderr.trim()) throw new Error(`the packaged zeromq loads, but warns:\n${res.stderr.trim()}`);
    return res.stdout.trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Problems with the archive's contents (empty when it is fine). */
export function checkVsixContents(names, main) {
  const ext = names.filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));
  const have = new Set(ext);
  const problems = [];
  const entry = path.posix.normalize(main.replace(/^\.\//, ''));
  for (const req of [...REQUIRED, entry.endsWith('.js') ? entry : `${entry}.js`]) {
    if (!have.has(req)) problems.push(`missing ${req}`);
  }
  for (const [re, what] of FORBIDDEN) {
    const bad = ext.filter((n) => re.test(n));
    if (bad.length) problems.push(`${what} must not ship: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ` (+${bad.length - 5})` : ''}`);
  }
  return problems;
}

/**
 * Build and package, then check the archive. Returns { path, relPath, bytes, files, names, zeromq }
 * (zeromq: the libzmq version the packaged addon reports). With quiet, the output of the build
 * and of vsce is only shown when they fail.
 */
export async function buildVsix({ quiet = false, out = VSIX_PATH } = {}) {
  const opts = { cwd: REPO, timeoutMs: 5 * 60_000, env: { ...process.env, npm_config_yes: 'true' } };
  const show = (res) => { if (!quiet) process.stdout.write(res.stdout + res.stderr); };
  show(await runChecked('npm', ['run', '--silent', 'build'], opts));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.rmSync(out, { force: true });
  // stdin is /dev/null, not a TTY: vsce never stops at its [y/N] prompt. The package is for linux-x64
  // only (the one zeromq addon it ships), and README links stay relative (no public repository to point at).
  show(await runChecked('npx', ['--no-install', 'vsce', 'package', '--target', 'linux-x64', '--no-rewrite-relative-links',
    '--out', out], opts));
  const names = listZip(out);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  const problems = checkVsixContents(names, pkg.main ?? '');
  if (problems.length) {
    throw new Error(`${path.relative(REPO, out)} is not right (fix .vscodeignore or the build):\n  ${problems.join('\n  ')}`);
  }
  const zeromq = await checkZeromqLoads(out);
  const files = names.filter((n) => !n.endsWith('/')).length;
  return { path: out, relPath: path.relative(REPO, out), bytes: fs.statSync(out).size, files, names, zeromq };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  buildVsix({ quiet: !process.argv.includes('--verbose') }).then((v) => {
    if (process.argv.includes('--list')) for (const n of v.names) console.log(`  ${n}`);
    console.log(`${v.relPath}: ${(v.bytes / 1e6).toFixed(2)} MB, ${v.files} files; packaged zeromq loads (libzmq ${v.zeromq})`);
  }, (err) => {
    console.error(`package: ${err.message}`);
    process.exit(1);
  });
}
