#!/usr/bin/env node
// `npm start`: set up, build, and start a local 2-engine ipyparallel cluster, print what the extension
// would connect to, then package the extension and start code-server on 127.0.0.1 with it installed and a
// sample workspace (.cache/npm-start/workspace) pointed at the cluster, and print its URL. Ctrl+C stops
// code-server and the cluster (controller and engines, by pid) and exits.
//
//   node scripts/start.mjs [--engines N] [--ipython-dir DIR] [--port N] [--no-vscode] [--once]
//
// The cluster lives in a repo-local IPython dir, .cache/ipython (see scripts/lib/cluster.mjs), so your own
// ~/.ipython profiles are never touched. --once stops everything right after printing (for CI and checks);
// --no-vscode starts only the cluster.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { bootstrap, BootstrapError, REPO } from './bootstrap.mjs';
import { LOCAL_IPYTHONDIR, startLocalCluster } from './lib/cluster.mjs';
import { startVscodeForCluster } from './lib/startVscode.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const say = (msg) => console.log(`[start] ${msg}`);

/** The project's own protocol code (src/core/protocol), bundled on the fly, to read the connection file. */
async function loadProtocol() {
  const esbuild = await import('esbuild');
  const outfile = join(REPO, '.cache', 'npm-start', 'protocol.cjs');
  await esbuild.build({ absWorkingDir: REPO, entryPoints: ['src/core/protocol/index.ts'], outfile, bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning' });
  return createRequire(import.meta.url)(outfile);
}

async function main() {
  const engines = Number(option('--engines', '2'));
  const ipythonDir = option('--ipython-dir', LOCAL_IPYTHONDIR);
  const once = process.argv.includes('--once');

  const { python } = bootstrap({ python: true });
  // Imported only now: they need esbuild, which bootstrap may just have installed.
  const { build } = await import('./build.mjs');
  await build();
  const protocol = await loadProtocol();

  say(`starting a local cluster with ${engines} engines in ${ipythonDir}`);
  const cluster = await startLocalCluster({ python, ipythonDir, engines, log: say });
  let stopping = false;
  let vscode; // a promise of { url, stop } once code-server is starting
  const shutdown = async (why) => {
    if (stopping) return;
    stopping = true;
    const vs = await vscode?.catch(() => undefined);
    if (vs) {
      say(`${why}: stopping code-server`);
      await vs.stop();
    }
    say(`${why}: stopping the cluster`);
    await cluster.stop();
    say('cluster stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => shutdown('Ctrl+C'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));

  const info = protocol.loadConnectionFile(cluster.connectionFile);
  const urls = protocol.channelUrls(info);
  console.log('');
  console.log('The extension would connect to:');
  console.log(`  connection file  ${cluster.connectionFile}`);
  console.log(`  profile          ${cluster.profile} (IPYTHONDIR=${cluster.ipythonDir})`);
  console.log(`  engines          ${cluster.engines} registered`);
  console.log(`  signature        ${info.signatureScheme}${info.key ? ' (signed)' : ' (UNSIGNED)'}`);
  for (const [channel, url] of Object.entries(urls)) console.log(`  ${channel.padEnd(16)} ${url}`);
  for (const w of info.warnings) console.log(`  warning: ${w}`);
  console.log(`  processes        ipcluster ${cluster.pid}; controller and engines ${cluster.pids().join(', ')}`);
  console.log(`  cluster log      ${cluster.logFile}`);
  console.log('');

  if (!process.argv.includes('--no-vscode')) {
    const port = Number(option('--port', '0')) || undefined;
    vscode = startVscodeForCluster({ ipythonDir: cluster.ipythonDir, profile: cluster.profile, python, port, log: say });
    const vs = await vscode.catch(async (err) => {
      stopping = true;
      say('code-server did not start: stopping the cluster');
      await cluster.stop().catch(() => undefined);
      throw err;
    });
    console.log('');
    console.log(`VS Code (code-server) with the extension: ${vs.url}`);
    console.log('');
  }

  if (once) await shutdown('--once');
  else say(`running. Press Ctrl+C to stop ${vscode ? 'code-server and ' : ''}the cluster.`);
}

main().catch((err) => {
  console.error(`[start] ${err instanceof BootstrapError ? err.message : err.stack ?? err}`);
  process.exit(1);
});
