// Which zeromq native addon a platform loads, answered by zeromq's own loader (cmake-ts's
// build/loader.js), not by a table of ours. The loader reads zeromq/build/manifest.json, keeps the
// builds whose os, arch and libc match the running process (libc: musl when /etc/alpine-release exists
// on Linux, glibc otherwise; libc on macOS; msvc on Windows), sorts them newest ABI first and `require`s
// each until one loads. Here it runs in a vm context whose `process`, `fs.existsSync` and `path` are
// those of the simulated platform, and whose `require` of an addon succeeds only for the files a package
// holds, so the answer is the addon that platform would load from that package.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

/** The targets `vsce package --target` builds, with the platform each one runs on. */
export const TARGETS = {
  'linux-x64': { os: 'linux', arch: 'x64', libc: 'glibc' },
  'linux-arm64': { os: 'linux', arch: 'arm64', libc: 'glibc' },
  'alpine-x64': { os: 'linux', arch: 'x64', libc: 'musl' },
  'alpine-arm64': { os: 'linux', arch: 'arm64', libc: 'musl' },
  'darwin-x64': { os: 'darwin', arch: 'x64', libc: 'libc' },
  'darwin-arm64': { os: 'darwin', arch: 'arm64', libc: 'libc' },
  'win32-x64': { os: 'win32', arch: 'x64', libc: 'msvc' },
  'win32-arm64': { os: 'win32', arch: 'arm64', libc: 'msvc' },
};

/** Thrown when the loader finds no addon for the platform among the files offered. */
export class NoAddonError extends Error {}

/**
 * The addon zeromq's loader loads on `target`'s platform, as a path relative to the zeromq package
 * (`build/linux/x64/node/glibc-127-Release/addon.node`). `nodeModules` is the folder holding zeromq and
 * cmake-ts; `available(rel)` says whether the package holds that zeromq-relative file (default: every
 * addon in node_modules, i.e. what the loader would pick from a full install).
 */
export function loaderPick(target, nodeModules, available = () => true) {
  const platform = TARGETS[target];
  if (!platform) throw new Error(`unknown target ${target}: use one of ${Object.keys(TARGETS).join(', ')}`);
  const zeromq = path.join(nodeModules, 'zeromq');
  const loaderFile = path.join(nodeModules, 'cmake-ts', 'build', 'loader.js');
  // The loader joins the manifest's paths with the platform's own path module (Windows entries use `\`).
  const hostPath = platform.os === 'win32' ? path.win32 : path.posix;
  const buildDir = hostPath.join(platform.os === 'win32' ? 'C:\\pkg\\zeromq' : '/pkg/zeromq', 'build');
  const toRel = (p) => hostPath.relative(hostPath.dirname(buildDir), p).split(hostPath.sep).join('/');
  const fakeFs = {
    existsSync: (p) => {
      if (p === '/etc/alpine-release') return platform.libc === 'musl';
      if (p === hostPath.resolve(buildDir, 'manifest.json')) return true;
      return false;
    },
    readFileSync: (p, enc) => {
      if (p !== hostPath.resolve(buildDir, 'manifest.json')) throw new Error(`loader read unexpected file ${p}`);
      return fs.readFileSync(path.join(zeromq, 'build', 'manifest.json'), enc);
    },
  };
  const tried = [];
  const fakeRequire = (id) => {
    if (id === 'fs') return fakeFs;
    if (id === 'path') return hostPath;
    if (id === 'module') return { createRequire: () => fakeRequire };
    if (id === 'url') return { pathToFileURL: (p) => new URL(`file://${p}`) };
    const rel = toRel(id);
    tried.push(rel);
    if (!rel.endsWith('.node') || !available(rel)) throw new Error(`not in the package: ${rel}`);
    return { picked: rel };
  };
  const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {}, log() {} };
  const module = { exports: {} };
  const context = vm.createContext({
    require: fakeRequire, module, exports: module.exports, __filename: loaderFile, console: quiet,
    process: { platform: platform.os, arch: platform.arch, env: {} }, URL,
  });
  vm.runInContext(fs.readFileSync(loaderFile, 'utf8'), context, { filename: loaderFile });
  try {
    return module.exports.loadAddon(buildDir).picked;
  } catch (e) {
    throw new NoAddonError(`zeromq's loader finds no addon for ${target} (tried ${tried.join(', ') || 'none'}): ${e.message.split('\n')[0]}`);
  }
}

/** Every zeromq addon file in a package's file list (paths relative to the zeromq package). */
export function addonsIn(names, prefix = 'extension/node_modules/zeromq/') {
  return names.filter((n) => n.startsWith(prefix) && n.endsWith('.node')).map((n) => n.slice(prefix.length));
}
