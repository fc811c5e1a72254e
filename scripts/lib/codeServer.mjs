// code-server for the e2e tests and `npm start`: where it lives, whether it works, and how to install it
// offline (docs: ../shared/docs/E2E-RECIPE.md §3). Everything here is idempotent: a working install is
// detected by running `code-server --version` and is never touched again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runChecked } from './proc.mjs';

/** Newest code-server whose engines.node is 20 (newer ones hard-fail in postinstall on Node 20). */
export const CODE_SERVER_VERSION = '4.100.3';
/** @vscode/ripgrep version pinned by code-server 4.100.3, and the asset its postinstall downloads. */
const RIPGREP_PKG_VERSION = '1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';
/** Debian packages the e2e layer needs: the browser, kerberos headers (code-server build), rg (seed). */
export const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'ripgrep'];
export const CHROMIUM = process.env.IPP_CHROMIUM || '/usr/bin/chromium';

/** `$IPP_CODE_SERVER_DIR`, else `${XDG_CACHE_HOME:-~/.cache}/ipyparallel-vscode/code-server-<version>`. */
export function codeServerDir(env = process.env) {
  if (env.IPP_CODE_SERVER_DIR) return path.resolve(env.IPP_CODE_SERVER_DIR);
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'ipyparallel-vscode', `code-server-${CODE_SERVER_VERSION}`);
}

export function codeServerBin(dir = codeServerDir()) {
  return path.join(dir, 'node_modules', '.bin', 'code-server');
}

/** The VS Code server bundled in code-server, run directly for extension-host tests (recipe §7). */
export function rawServerMain(dir = codeServerDir()) {
  return path.join(dir, 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');
}

/**
 * Environment that keeps code-server (and anything it starts) out of $HOME: XDG dirs and TMPDIR under
 * `root`, a dead extensions gallery on 127.0.0.1:9, and no PASSWORD.
 */
export function isolatedEnv(root, extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  delete env.VSCODE_IPC_HOOK_CLI;
  Object.assign(env, {
    XDG_CONFIG_HOME: path.join(root, 'xdg', 'config'),
    XDG_DATA_HOME: path.join(root, 'xdg', 'data'),
    XDG_CACHE_HOME: path.join(root, 'xdg', 'cache'),
    TMPDIR: path.join(root, 'tmp'),
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }),
  });
  for (const key of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'TMPDIR']) fs.mkdirSync(env[key], { recursive: true });
  return env;
}

/** The `code-server --version` first line when the install in `dir` works, else null. */
export async function installedVersion(dir = codeServerDir()) {
  const bin = codeServerBin(dir);
  if (!fs.existsSync(bin)) return null;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-cs-version-'));
  try {
    const res = await run(bin, ['--version'], { env: isolatedEnv(scratch), timeoutMs: 60_000 });
    const line = res.stdout.trim().split('\n').find((l) => l.startsWith(CODE_SERVER_VERSION));
    return res.code === 0 && line ? line : null;
  } catch {
    return null;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Missing packages among `names`, by dpkg status (no network). */
export async function missingAptPackages(names = APT_PACKAGES) {
  const missing = [];
  for (const name of names) {
    const res = await run('dpkg-query', ['-W', '-f=${Status}', name], { timeoutMs: 30_000 }).catch(() => null);
    if (!res || res.code !== 0 || !res.stdout.includes('install ok installed')) missing.push(name);
  }
  return missing;
}

/** Install missing apt packages (root only). Throws with the exact command to run otherwise. */
export async function ensureAptPackages({ log = console.log, names = APT_PACKAGES } = {}) {
  const missing = await missingAptPackages(names);
  if (missing.length === 0) return [];
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages: ${missing.join(', ')}. Run as root:\n  ${cmd}`);
  log(`installing apt packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runChecked('apt-get', ['update'], { env, timeoutMs: 300_000 });
  await runChecked('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, timeoutMs: 600_000 });
  return missing;
}

/** Seed @vscode/ripgrep's download cache with Debian's rg, so its postinstall never calls GitHub. */
async function seedRipgrepCache(tmp) {
  const rg = ['/usr/bin/rg', '/bin/rg'].find((p) => fs.existsSync(p));
  if (!rg) throw new Error('ripgrep (/usr/bin/rg) is needed to install code-server offline: apt-get install ripgrep');
  const cacheDir = path.join(tmp, `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
  const asset = path.join(cacheDir, RIPGREP_ASSET);
  if (fs.existsSync(asset)) return;
  const stage = path.join(tmp, 'rg');
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.mkdirSync(stage, { recursive: true });
  fs.copyFileSync(rg, path.join(stage, 'rg'));
  fs.chmodSync(path.join(stage, 'rg'), 0o755);
  await runChecked('tar', ['czf', asset, '-C', stage, 'rg'], { timeoutMs: 60_000 });
}

/**
 * Take an exclusive lock (a directory) so two setups never install into the same folder at once.
 * A lock whose owner pid is gone is stale and taken over.
 */
async function withLock(lockDir, fn, { timeoutMs = 15 * 60_000, log }) {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8').trim() || 0) || 0;
      let alive = false;
      try { alive = owner > 0 && process.kill(owner, 0); } catch { alive = false; }
      if (!alive) { fs.rmSync(lockDir, { recursive: true, force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir} (held by pid ${owner})`);
      if (!told) { log(`waiting for another setup (pid ${owner}) to finish installing code-server`); told = true; }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Make sure code-server works in `dir`; install it when it does not. Returns
 * { dir, bin, version, installed: boolean, seconds }.
 */
export async function ensureCodeServer({ dir = codeServerDir(), log = console.log } = {}) {
  const started = Date.now();
  const done = (version, installed) => ({ dir, bin: codeServerBin(dir), version, installed, seconds: (Date.now() - started) / 1000 });
  let version = await installedVersion(dir);
  if (version) return done(version, false);

  fs.mkdirSync(path.dirname(dir), { recursive: true });
  return withLock(`${dir}.lock`, async () => {
    version = await installedVersion(dir); // another setup may have finished while we waited
    if (version) return done(version, false);
    log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (about 1-2 minutes)`);
    fs.rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true }); // a half-done install
    const tmp = path.join(dir, '.tmp');
    fs.mkdirSync(tmp, { recursive: true });
    await seedRipgrepCache(tmp);
    fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({
      name: 'code-server-host', private: true, version: '0.0.0', allowScripts: { 'code-server': true },
    }, null, 2)}\n`);
    const logFile = path.join(dir, 'install.log');
    fs.writeFileSync(logFile, '');
    await runChecked('npm', ['install', '--save-exact', '--foreground-scripts', '--no-audit', '--no-fund',
      `code-server@${CODE_SERVER_VERSION}`], {
      cwd: dir,
      logFile,
      timeoutMs: 15 * 60_000,
      env: {
        ...process.env,
        TMPDIR: tmp,
        // postinstall.sh refuses root without it; npm 11 warns "Unknown env config" but passes it on.
        npm_config_unsafe_perm: 'true',
        // node-pty's postinstall runs `npx node-gyp`; this machine's npmrc says yes=false.
        npm_config_yes: 'true',
      },
    });
    version = await installedVersion(dir);
    if (!version) throw new Error(`code-server installed but \`code-server --version\` does not work (log: ${logFile})`);
    return done(version, true);
  }, { log });
}
