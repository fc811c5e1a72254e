#!/usr/bin/env node
// `npm run package`: build once, then `vsce package --target T` for every target into
// dist-vsix/ipyparallel-vscode-T.vsix (gitignored), never waiting on a prompt. Each package holds exactly
// the zeromq addon that zeromq's own loader picks on T (scripts/lib/zeromqAddon.mjs runs the loader for
// T's os, arch and libc), added to the .vscodeignore allowlist for that package alone. Afterwards each
// archive is checked: it must hold the entry point, that addon and its loader, and none of sources, tests,
// source maps or other addons; the loader run against the archive's file list must resolve to the packaged
// addon; and the host's own package is extracted and its zeromq loaded with this Node to prove it works.
// Usage: node scripts/package.mjs [--target T ...] [--list] [--verbose]
//   --target T   only these targets (repeatable), e.g. `npm run package -- --target linux-x64`
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { runChecked } from './lib/proc.mjs';
import { addonsIn, loaderPick, TARGETS } from './lib/zeromqAddon.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE_MODULES = path.join(REPO, 'node_modules');
export { TARGETS };

/** The target of the machine this runs on (the platform zeromq's loader sees here). */
export function hostTarget() {
  const libc = process.platform === 'linux' ? (fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc') : undefined;
  const name = Object.keys(TARGETS).find((t) => {
    const p = TARGETS[t];
    return p.os === process.platform && p.arch === process.arch && (libc === undefined || p.libc === libc);
  });
  if (!name) throw new Error(`no package target for ${process.platform}-${process.arch}${libc ? ` (${libc})` : ''}`);
  return name;
}

export const vsixPath = (target) => path.join(REPO, 'dist-vsix', `ipyparallel-vscode-${target}.vsix`);
/** The package for this machine (what the e2e tests and `npm start` install). */
export const VSIX_PATH = vsixPath(hostTarget());

/** What the extension cannot run without (relative to the archive's `extension/` folder), but the addon. */
const REQUIRED = [
  'package.json',
  // The manifest's English texts (package.json's "%key%" values; VS Code shows raw keys without it).
  'package.nls.json',
  // The runtime strings' bundle (package.json's "l10n" folder), from scripts/l10n.mjs.
  'l10n/bundle.l10n.json',
  // The language server, which is also the language client (loaded on first use by dist/extension.js).
  'dist/server.js',
  // The task timeline's webview script.
  'dist/timeline.js',
  // The licences of the bundled packages (the minified bundles carry none).
  'dist/THIRD-PARTY-NOTICES.txt',
  'node_modules/zeromq/package.json',
  'node_modules/zeromq/lib/index.js',
  'node_modules/zeromq/build/manifest.json',
  'node_modules/cmake-ts/package.json',
  'node_modules/cmake-ts/build/loader.js',
];
/** What must never ship. */
const FORBIDDEN = [
  [/^(src|test|out|scripts|bench|docs|\.cache|test-results|dist-vsix)\//, 'sources, tests or build output'],
  [/\.map$/, 'source maps'],
  [/\.(ts|mts|cts)$/, 'TypeScript sources and declarations'],
  [/^node_modules\/zeromq\/(src|script)\//, 'zeromq build sources'],
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

/**
 * Problems with a target's archive (empty when it is fine): what must ship (the entry point, the zeromq
 * loader, the walkthroughs' media) and must not, exactly one
 * zeromq addon, the one zeromq's loader picks on the target from a full install, and the loader run
 * against the archive's own files resolves to it.
 */
export function checkVsixContents(names, pkg, target, nodeModules = NODE_MODULES) {
  const ext = names.filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));
  const have = new Set(ext);
  const problems = [];
  const entry = path.posix.normalize((pkg.main ?? '').replace(/^\.\//, ''));
  for (const req of [...REQUIRED, entry.endsWith('.js') ? entry : `${entry}.js`, ...walkthroughMedia(pkg)]) {
    if (!have.has(req)) problems.push(`missing ${req}`);
  }
  for (const [re, what] of FORBIDDEN) {
    const bad = ext.filter((n) => re.test(n));
    if (bad.length) problems.push(`${what} must not ship: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ` (+${bad.length - 5})` : ''}`);
  }
  const want = loaderPick(target, nodeModules);
  const addons = addonsIn(names);
  if (addons.length !== 1 || addons[0] !== want) {
    problems.push(`${target} must ship exactly zeromq's ${want} (its loader's pick), not [${addons.join(', ')}]`);
  }
  try {
    const picked = loaderPick(target, nodeModules, (rel) => addons.includes(rel));
    if (picked !== want) problems.push(`on ${target} zeromq's loader would load ${picked} from the package, not ${want}`);
  } catch (e) {
    problems.push(e.message);
  }
  return problems;
}

/**
 * The README as the package ships it: its PNG images inlined as data: URLs. The extension's details page
 * renders the README in a webview that resolves no relative link (and loads only https: and data:
 * images), and there is no public https host to point --baseImagesUrl at; once there is, that is the
 * lighter choice.
 */
export function packagedReadme(text, repo = REPO) {
  return text.replace(/(!\[[^\]]*\]\()([^)\s]+\.png)(\))/g, (all, open, rel, close) => {
    const file = path.join(repo, rel);
    if (/^[a-z]+:/i.test(rel) || !fs.existsSync(file)) return all;
    return `${open}data:image/png;base64,${fs.readFileSync(file).toString('base64')}${close}`;
  });
}

/** Every file the manifest's walkthroughs show (images and markdown pages). */
export function walkthroughMedia(pkg) {
  return (pkg.contributes?.walkthroughs ?? []).flatMap((w) => w.steps.flatMap((s) => {
    const m = s.media ?? {};
    return [m.image, m.markdown, m.svg].filter((f) => typeof f === 'string');
  }));
}

/** The allowlist for one target: .vscodeignore plus the addon zeromq's loader picks there. */
export function ignoreFileFor(target, nodeModules = NODE_MODULES) {
  const base = fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8');
  return `${base.trimEnd()}\n!node_modules/zeromq/${loaderPick(target, nodeModules)}\n`;
}

const cliOpts = () => ({ cwd: REPO, timeoutMs: 5 * 60_000, env: { ...process.env, npm_config_yes: 'true' } });

/**
 * Package one target (after `npm run build`, which `build` runs first unless false), then check the
 * archive. Returns { target, path, relPath, bytes, files, names, addon, addonBytes, zeromq } (zeromq: the
 * libzmq version the packaged addon reports, for the host's target only).
 */
export async function buildVsix({ quiet = false, target = hostTarget(), out = vsixPath(target), build = true } = {}) {
  const show = (res) => { if (!quiet) process.stdout.write(res.stdout + res.stderr); };
  if (build) show(await runChecked('npm', ['run', '--silent', 'build'], cliOpts()));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.rmSync(out, { force: true });
  // vsce takes the README only from inside the project: the work folder is under the gitignored .cache/.
  fs.mkdirSync(path.join(REPO, '.cache'), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(REPO, '.cache', 'vsce-'));
  try {
    const ignoreFile = path.join(tmp, '.vscodeignore');
    fs.writeFileSync(ignoreFile, ignoreFileFor(target));
    const readme = path.join(tmp, 'README.md');
    fs.writeFileSync(readme, packagedReadme(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8')));
    // stdin is /dev/null, not a TTY: vsce never stops at its [y/N] prompt. Other README links stay relative
    // (no public repository to point at).
    show(await runChecked('npx', ['--no-install', 'vsce', 'package', '--target', target, '--ignoreFile', ignoreFile,
      '--readme-path', path.relative(REPO, readme), '--no-rewrite-relative-links', '--out', out], cliOpts()));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const names = listZip(out);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  const problems = checkVsixContents(names, pkg, target);
  if (problems.length) {
    throw new Error(`${path.relative(REPO, out)} is not right (fix .vscodeignore or the build):\n  ${problems.join('\n  ')}`);
  }
  const addon = addonsIn(names)[0];
  const addonBytes = readZip(out).find((e) => e.name === `extension/node_modules/zeromq/${addon}`).read().length;
  const zeromq = target === hostTarget() ? await checkZeromqLoads(out) : undefined;
  const files = names.filter((n) => !n.endsWith('/')).length;
  return { target, path: out, relPath: path.relative(REPO, out), bytes: fs.statSync(out).size, files, names, addon, addonBytes, zeromq };
}

/** Build once (unless build is false) and package every target given (default: all), in order. */
export async function buildAll({ targets = Object.keys(TARGETS), quiet = true, outDir, build = true } = {}) {
  if (build) await runChecked('npm', ['run', '--silent', 'build'], cliOpts());
  const done = [];
  for (const target of targets) {
    const out = outDir ? path.join(outDir, `ipyparallel-vscode-${target}.vsix`) : vsixPath(target);
    done.push(await buildVsix({ quiet, target, out, build: false }));
  }
  return done;
}

function targetsFromArgs(argv) {
  const targets = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target') targets.push(argv[++i]);
    else if (argv[i].startsWith('--target=')) targets.push(argv[i].slice('--target='.length));
  }
  const unknown = targets.filter((t) => !TARGETS[t]);
  if (unknown.length) throw new Error(`unknown target ${unknown.join(', ')}: use ${Object.keys(TARGETS).join(', ')}`);
  return targets.length ? targets : Object.keys(TARGETS);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  (async () => {
    const all = await buildAll({ targets: targetsFromArgs(process.argv.slice(2)), quiet: !process.argv.includes('--verbose') });
    for (const v of all) {
      if (process.argv.includes('--list')) for (const n of v.names) console.log(`  ${n}`);
      const loads = v.zeromq ? `; packaged zeromq loads here (libzmq ${v.zeromq})` : '';
      console.log(`${v.relPath}: ${(v.bytes / 1e6).toFixed(2)} MB, ${v.files} files, addon ${v.addon} (${(v.addonBytes / 1024).toFixed(0)} KiB)${loads}`);
    }
  })().catch((err) => {
    console.error(`package: ${err.message}`);
    process.exit(1);
  });
}
