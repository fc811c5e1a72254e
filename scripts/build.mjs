#!/usr/bin/env node
// `npm run build`: bundles the extension and the language server with esbuild.
//   src/extension/extension.ts -> dist/extension.js   (loaded by VS Code at activation)
//   src/lspBundle.ts           -> dist/server.js      (the language server, and the language client: see below)
//   src/extension/timeline/webview/main.ts -> dist/timeline.js (the task timeline's webview script, for a browser)
// dist/server.js is one bundle of both ends of the language protocol (src/lspBundle.ts): run by Node it is the
// language server (src/server/main.ts); required by dist/extension.js on first use (clientModule.ts) it is
// the language client (src/extension/client.ts, vscode-languageclient). vscode-jsonrpc, -protocol and -types
// ship once, not once per end. dist/extension.js must not contain the language client, and of vscode-languageserver-protocol it needs
// only the RequestType/NotificationType classes that src/shared/protocol.ts constructs: an alias points
// that import at vscode-jsonrpc's messages module (requests go by method name across the two bundles).
// CommonJS for Node 20, minified with names kept (stack traces and error class names stay readable), with
// source maps beside the bundles for debugging (.vscodeignore keeps them out of the .vsix). `vscode` is provided by the editor and `zeromq` loads its native
// addon relative to its own files, so both stay external (zeromq ships in the .vsix's node_modules).
// The bundles carry no licence comments: dist/THIRD-PARTY-NOTICES.txt (scripts/lib/notices.mjs, from esbuild's
// metafiles) holds the licence of every package bundled, and ships in the .vsix. Files in dist/ that no entry
// builds are removed first. An entry whose source does not exist yet is skipped with a note. Usage: node scripts/build.mjs [--watch]
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { bundledPackages, NOTICES_FILE, writeNotices } from './lib/notices.mjs';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..');

export const ENTRIES = [
  {
    source: 'src/extension/extension.ts',
    outfile: 'dist/extension.js',
    alias: { 'vscode-languageserver-protocol': './node_modules/vscode-jsonrpc/lib/common/messages.js' },
  },
  {
    source: 'src/lspBundle.ts',
    outfile: 'dist/server.js',
    // vscode-languageclient's minimatch (with brace-expansion) and semver, 50 KiB, for the LSP's glob
    // patterns and one version check: small stand-ins that answer as they do (test/unit/shims.test.ts).
    alias: {
      minimatch: './src/extension/shims/minimatch.ts',
      'semver/functions/parse': './src/extension/shims/semverParse.ts',
      'semver/functions/satisfies': './src/extension/shims/semverSatisfies.ts',
    },
  },
  // The task timeline's webview script: runs in the webview (a browser), not in Node.
  { source: 'src/extension/timeline/webview/main.ts', outfile: 'dist/timeline.js', browser: true },
];

function options(entry) {
  return {
    absWorkingDir: REPO,
    entryPoints: [entry.source],
    outfile: entry.outfile,
    bundle: true,
    external: ['vscode', 'zeromq'],
    format: entry.browser ? 'iife' : 'cjs',
    platform: entry.browser ? 'browser' : 'node',
    target: entry.browser ? 'es2022' : 'node20',
    sourcemap: true,
    metafile: true,
    minify: true,
    keepNames: true,
    logLevel: 'warning',
    ...(entry.alias ? { alias: entry.alias } : {}),
  };
}

/** Removes what an older build left in dist/ (e.g. dist/client.js), which `!dist/*.js` would package. */
function removeStale() {
  const dist = join(REPO, 'dist');
  if (!existsSync(dist)) return;
  const keep = new Set([...ENTRIES.flatMap((e) => [e.outfile, `${e.outfile}.map`]), NOTICES_FILE]);
  for (const name of readdirSync(dist)) {
    if (keep.has(`dist/${name}`)) continue;
    rmSync(join(dist, name), { recursive: true, force: true });
    console.log(`[build] removed dist/${name} (no entry builds it)`);
  }
}

/** Builds every entry that exists; returns the list of outfiles written. */
export async function build({ watch = false } = {}) {
  removeStale();
  const built = [];
  const packages = [];
  for (const entry of ENTRIES) {
    if (!existsSync(join(REPO, entry.source))) {
      console.log(`[build] skip ${entry.outfile}: ${entry.source} does not exist yet`);
      continue;
    }
    if (watch) {
      const ctx = await esbuild.context(options(entry));
      await ctx.watch();
      console.log(`[build] watching ${entry.source}`);
    } else {
      const started = Date.now();
      const result = await esbuild.build(options(entry));
      packages.push(...bundledPackages(result.metafile));
      console.log(`[build] ${entry.source} -> ${entry.outfile} (${Date.now() - started} ms)`);
    }
    built.push(entry.outfile);
  }
  if (!watch) console.log(`[build] ${writeNotices(REPO, packages)}: the licences of ${new Set(packages).size} bundled packages`);
  return built;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  build({ watch: process.argv.includes('--watch') }).catch((err) => {
    console.error(`[build] failed: ${err.message}`);
    process.exit(1);
  });
}
