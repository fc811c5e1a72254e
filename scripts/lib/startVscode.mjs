// Start VS Code in a browser tab: code-server on 127.0.0.1 with isolated state under one root folder
// (XDG dirs, TMPDIR, user data, extensions), optionally with a .vsix installed. Used by `npm start` and by
// the e2e harness (test/e2e/harness), which also uses startRawServer() for extension-host tests
// (../shared/docs/E2E-RECIPE.md §5 and §7).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codeServerBin, codeServerDir, installedVersion, isolatedEnv, rawServerMain } from './codeServer.mjs';
import { freePort, httpStatus, runChecked, spawnGroup, stopGroup, waitFor } from './proc.mjs';

/** User settings read server-side by code-server: no telemetry, updates, tips, trust prompts or chat. */
export const USER_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.startupEditor': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** The folders of one isolated instance under `root`. */
export function layout(root) {
  return {
    root,
    userDataDir: path.join(root, 'user-data'),
    extensionsDir: path.join(root, 'extensions'),
    serverDataDir: path.join(root, 'server-data'),
    logFile: path.join(root, 'code-server.log'),
  };
}

async function requireCodeServer(dir) {
  if (!(await installedVersion(dir))) {
    throw new Error(`code-server is not installed in ${dir}: run \`node scripts/e2eSetup.mjs\` first`);
  }
}

function makeRoot(root, prefix) {
  if (root) {
    fs.mkdirSync(root, { recursive: true });
    return { root: path.resolve(root), owned: false };
  }
  return { root: fs.mkdtempSync(path.join(os.tmpdir(), prefix)), owned: true };
}

/** `code-server --install-extension <vsix> --force` into the instance's extensions folder. */
export async function installExtension({ root, vsix, env = {}, dir = codeServerDir() }) {
  const l = layout(root);
  await runChecked(codeServerBin(dir), ['--user-data-dir', l.userDataDir, '--extensions-dir', l.extensionsDir,
    '--install-extension', path.resolve(vsix), '--force'], { env: isolatedEnv(root, env), timeoutMs: 120_000 });
}

/** Ids (publisher.name@version) of the extensions installed in the instance. */
export async function listExtensions({ root, env = {}, dir = codeServerDir() }) {
  const l = layout(root);
  const res = await runChecked(codeServerBin(dir), ['--user-data-dir', l.userDataDir, '--extensions-dir', l.extensionsDir,
    '--list-extensions', '--show-versions'], { env: isolatedEnv(root, env), timeoutMs: 60_000 });
  return res.stdout.split('\n').map((s) => s.trim()).filter((s) => /^[\w-]+\.[\w-]+@/.test(s));
}

function tail(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Spawn a server in its own process group and wait until `readyPath` answers 200. */
async function spawnAndWait({ cmd, args, env, logFile, url, readyPath, what, timeoutMs }) {
  const child = spawnGroup(cmd, args, { env, logFile });
  let exited = null;
  child.once('exit', (code, signal) => { exited = code ?? signal; });
  const stop = () => stopGroup(child.pid);
  try {
    await waitFor(async () => {
      if (exited !== null) throw Object.assign(new Error(`${what} exited with ${exited}`), { fatal: true });
      return (await httpStatus(`${url}${readyPath}`)) === 200;
    }, { timeoutMs, intervalMs: 100, what: `${what} at ${url}${readyPath}` });
  } catch (err) {
    await stop();
    throw new Error(`${err.message}\n${tail(logFile)}`);
  }
  return { pid: child.pid, stop };
}

/**
 * Start code-server for `workspace` with `vsix` installed (when given). Returns
 * { url, folderUrl, port, pid, root, userDataDir, extensionsDir, logFile, env, stop }.
 * `root` defaults to a new temp folder that stop() removes; `settings` are merged into the user settings;
 * `env` is added to the server's environment (the extension host inherits it).
 */
export async function startCodeServer({ workspace, vsix, env = {}, root, port, settings = {}, dir = codeServerDir(),
  readyTimeoutMs = 60_000 } = {}) {
  await requireCodeServer(dir);
  const made = makeRoot(root, 'ipp-vscode-');
  const l = layout(made.root);
  const cleanup = () => { if (made.owned) fs.rmSync(made.root, { recursive: true, force: true }); };
  try {
    fs.mkdirSync(path.join(l.userDataDir, 'User'), { recursive: true });
    fs.writeFileSync(path.join(l.userDataDir, 'User', 'settings.json'),
      `${JSON.stringify({ ...USER_SETTINGS, ...settings }, null, 2)}\n`);
    if (vsix) await installExtension({ root: made.root, vsix, env, dir });
    const serverEnv = isolatedEnv(made.root, env);
    const p = port ?? await freePort();
    const url = `http://127.0.0.1:${p}`;
    const args = ['--auth', 'none', '--bind-addr', `127.0.0.1:${p}`,
      '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
      '--disable-getting-started-override', '--disable-file-downloads', '--ignore-last-opened',
      '--user-data-dir', l.userDataDir, '--extensions-dir', l.extensionsDir];
    if (workspace) args.push(path.resolve(workspace));
    const srv = await spawnAndWait({ cmd: codeServerBin(dir), args, env: serverEnv, logFile: l.logFile, url,
      readyPath: '/healthz', what: 'code-server', timeoutMs: readyTimeoutMs });
    let stopped = null;
    const stop = () => (stopped ??= srv.stop().then(cleanup));
    const folderUrl = workspace ? `${url}/?folder=${encodeURIComponent(path.resolve(workspace))}` : `${url}/`;
    return { url, folderUrl, port: p, pid: srv.pid, ...l, root: made.root, env: serverEnv, stop };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/**
 * Start the VS Code server bundled in code-server directly (`server-main.js --enable-smoke-test-driver`):
 * the only way a built product honours extensionDevelopmentPath/extensionTestsPath in the page `payload`
 * (recipe §7). Returns { url, port, pid, root, userDataDir, extensionsDir, serverDataDir, logFile, stop }.
 */
export async function startRawServer({ env = {}, root, port, dir = codeServerDir(), readyTimeoutMs = 60_000 } = {}) {
  await requireCodeServer(dir);
  const made = makeRoot(root, 'ipp-vscode-raw-');
  const l = layout(made.root);
  const cleanup = () => { if (made.owned) fs.rmSync(made.root, { recursive: true, force: true }); };
  try {
    for (const d of [l.userDataDir, l.extensionsDir, l.serverDataDir]) fs.mkdirSync(d, { recursive: true });
    const p = port ?? await freePort();
    const url = `http://127.0.0.1:${p}`;
    const args = [rawServerMain(dir), '--host', '127.0.0.1', '--port', String(p),
      '--without-connection-token', '--accept-server-license-terms', '--enable-smoke-test-driver',
      '--disable-telemetry', '--disable-workspace-trust', '--server-data-dir', l.serverDataDir,
      '--user-data-dir', l.userDataDir, '--extensions-dir', l.extensionsDir];
    const srv = await spawnAndWait({ cmd: process.execPath, args, env: isolatedEnv(made.root, env), logFile: l.logFile,
      url, readyPath: '/version', what: 'VS Code server', timeoutMs: readyTimeoutMs });
    let stopped = null;
    const stop = () => (stopped ??= srv.stop().then(cleanup));
    return { url, port: p, pid: srv.pid, ...l, root: made.root, stop };
  } catch (err) {
    cleanup();
    throw err;
  }
}
