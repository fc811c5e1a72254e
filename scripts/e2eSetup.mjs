#!/usr/bin/env node
// Prepare everything the e2e tests need, installing only what is missing (idempotent, offline when warm):
//   1. Debian packages chromium, libkrb5-dev, ripgrep (apt-get; root only, otherwise prints the command);
//   2. code-server 4.100.3 in a cache folder outside the repo ($IPP_CODE_SERVER_DIR or
//      ${XDG_CACHE_HOME:-~/.cache}/ipyparallel-vscode/code-server-4.100.3);
//   3. the .vsix (`npm run package`).
// Usage: node scripts/e2eSetup.mjs [--no-package]
import { ensureAptPackages, ensureCodeServer } from './lib/codeServer.mjs';
import { buildVsix } from './package.mjs';

const log = (msg) => console.log(`[e2e-setup] ${msg}`);

async function main() {
  const t0 = Date.now();
  const step = (name, since) => log(`${name} (${((Date.now() - since) / 1000).toFixed(1)} s)`);

  let t = Date.now();
  const installed = await ensureAptPackages({ log });
  step(installed.length ? `apt: installed ${installed.join(', ')}` : 'apt: chromium, libkrb5-dev, ripgrep present', t);

  t = Date.now();
  const cs = await ensureCodeServer({ log });
  step(`code-server ${cs.version.split(' ')[0]} ${cs.installed ? 'installed' : 'present'} in ${cs.dir}`, t);

  if (!process.argv.includes('--no-package')) {
    t = Date.now();
    const vsix = await buildVsix({ quiet: true });
    step(`vsix: ${vsix.relPath} (${(vsix.bytes / 1e6).toFixed(2)} MB, ${vsix.files} files)`, t);
  }
  step('ready', t0);
}

main().catch((err) => {
  console.error(`[e2e-setup] FAILED: ${err.message}`);
  process.exit(1);
});
