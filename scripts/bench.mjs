// `npm run bench`: compile the TypeScript (src, test harnesses, bench) when out/ is stale, build dist/
// when the bundles are stale, then run out/bench/main.js (which starts and stops its own cluster).
// Not part of `npm test`. Settings are BENCH_* environment variables (bench/config.ts).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootstrap, BootstrapError } from './bootstrap.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(REPO, 'out', 'bench', 'main.js');

// From a clean clone: the npm packages and a Python with ipyparallel, as `npm test` installs them.
try {
  const { python } = bootstrap({ python: true });
  if (python && !process.env.IPP_PYTHON) process.env.IPP_PYTHON = python;
} catch (err) {
  console.error(`bench: ${err instanceof BootstrapError ? err.message : err.stack}`);
  process.exit(1);
}

/** Newest mtime (ms) of files under `dirs` whose names pass `filter`; 0 when there are none. */
function newest(dirs, filter) {
  let max = 0;
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && !e.name.startsWith('.')) walk(p);
      } else if (filter(e.name)) {
        max = Math.max(max, fs.statSync(p).mtimeMs);
      }
    }
  };
  for (const d of dirs) walk(path.join(REPO, d));
  return max;
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function step(what, cmd, args) {
  process.stderr.write(`bench: ${what}\n`);
  const res = spawnSync(cmd, args, { cwd: REPO, stdio: 'inherit' });
  if (res.error) throw res.error;
  return res.status ?? 1;
}

// The activation measure runs a real code-server extension host in headless Chromium; the GUI latency
// measure also needs the packaged .vsix (built here from the current tree).
const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const wants = (group) => only.length === 0 || only.includes(group);
const gui = wants('gui') && process.env.BENCH_GUI_PRESSES !== '0';
if (gui || (wants('extension') && process.env.BENCH_ACTIVATION_REPS !== '0')) {
  const code = step(`e2e set-up for the ${gui ? 'GUI latency and activation measures (packages the .vsix)' : 'activation measure'}`, process.execPath,
    [path.join(REPO, 'scripts', 'e2eSetup.mjs'), ...(gui ? [] : ['--no-package'])]);
  if (code !== 0) process.stderr.write('bench: e2e set-up failed (above); the GUI measures will report the failure\n');
}

const ts = (n) => n.endsWith('.ts') && !n.endsWith('.d.ts');
const sources = newest(['src', 'bench', 'test'], (n) => ts(n) || n === 'tsconfig.json');
if (mtime(MAIN) < Math.max(sources, mtime(path.join(REPO, 'tsconfig.test.json')))) {
  const code = step('compiling (tsc -p tsconfig.test.json)', process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json']);
  // tsc still emits when another area of the tree has type errors; the bench only needs its own output.
  if (code !== 0 && !fs.existsSync(MAIN)) process.exit(code);
  if (code !== 0) process.stderr.write('bench: tsc reported errors (above); continuing with the emitted JavaScript\n');
}

const bundles = ['extension.js', 'server.js'].map((f) => path.join(REPO, 'dist', f));
const srcNewest = newest(['src'], ts);
if (bundles.some((b) => mtime(b) < srcNewest)) {
  if (fs.existsSync(path.join(REPO, 'scripts', 'build.mjs'))) {
    const code = step('building dist/ (node scripts/build.mjs)', process.execPath, [path.join(REPO, 'scripts', 'build.mjs')]);
    if (code !== 0) process.stderr.write('bench: the build failed; the language-server and extension rows will be missing\n');
  } else {
    process.stderr.write('bench: scripts/build.mjs does not exist yet; the language-server and extension rows will be missing\n');
  }
}

const child = spawn(process.execPath, [MAIN, ...process.argv.slice(2)], { cwd: REPO, stdio: 'inherit' });
// Ctrl+C reaches the child through the terminal's process group; other signals are forwarded.
for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
process.on('SIGINT', () => undefined);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
