// Start VS Code in a browser tab: code-server on 127.0.0.1 with isolated state under one root folder
// (XDG dirs, TMPDIR, user data, extensions), optionally with a .vsix installed. Used by `npm start` and by
// the e2e harness (test/e2e/harness), which also uses startRawServer() for extension-host tests
// (../shared/docs/E2E-RECIPE.md §5 and §7).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildVsix } from '../package.mjs';
import { codeServerBin, codeServerDir, ensureAptPackages, ensureCodeServer, installedVersion, isolatedEnv, rawServerMain } from './codeServer.mjs';
import { freePort, httpStatus, runChecked, spawnGroup, stopGroup, waitFor } from './proc.mjs';

/** User settings read server-side by code-server: no telemetry, updates, tips, prompts or chat. */
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
  // `npm start` keeps its workspace inside this repository: no "open the parent repository?" prompt.
  'git.openRepositoryInParentFolders': 'never',
};

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The sample workspace: a Python file with `# %%` cells. */
export const WORKSPACE_TEMPLATE = path.join(REPO, 'test', 'e2e', 'workspace-template');

/**
 * Copy the sample workspace to `dest` (default: a new temp folder), keeping files that already exist
 * there, and merge `settings` into its .vscode/settings.json. Returns the folder.
 */
export function prepareWorkspace({ dest, settings = {} } = {}) {
  const dir = dest ? path.resolve(dest) : fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-ws-'));
  fs.cpSync(WORKSPACE_TEMPLATE, dir, { recursive: true, force: false });
  const file = path.join(dir, '.vscode', 'settings.json');
  const current = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ ...current, ...settings }, null, 2)}\n`);
  return dir;
}

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

const verified = new Set();

/** Throws a helpful error unless the code-server in `dir` works (checked once per process). */
async function requireCodeServer(dir) {
  if (verified.has(dir)) return;
  if (!(await installedVersion(dir))) {
    throw new Error(`code-server is not installed in ${dir}: run \`node scripts/e2eSetup.mjs\` first`);
  }
  verified.add(dir);
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
 * User settings for workspace trust ENABLED: the folder opens in Restricted Mode without the startup
 * dialog (a test trusts it through "Manage Workspace Trust").
 */
export const TRUST_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'always',
  'security.workspace.trust.emptyWindow': false,
};

/**
 * Start code-server for `workspace` with `vsix` installed (when given). Returns
 * { url, folderUrl, port, pid, root, userDataDir, extensionsDir, logFile, env, stop }.
 * `root` defaults to a new temp folder that stop() removes; `settings` are merged into the user settings;
 * `env` is added to the server's environment (the extension host inherits it). With `trust`, workspace
 * trust is enabled (TRUST_SETTINGS) and the folder starts untrusted; otherwise trust is disabled.
 */
export async function startCodeServer({ workspace, vsix, env = {}, root, port, settings = {}, dir = codeServerDir(),
  readyTimeoutMs = 60_000, trust = false } = {}) {
  await requireCodeServer(dir);
  const made = makeRoot(root, 'ipp-vscode-');
  const l = layout(made.root);
  const cleanup = () => { if (made.owned) fs.rmSync(made.root, { recursive: true, force: true }); };
  try {
    fs.mkdirSync(path.join(l.userDataDir, 'User'), { recursive: true });
    fs.writeFileSync(path.join(l.userDataDir, 'User', 'settings.json'),
      `${JSON.stringify({ ...USER_SETTINGS, ...(trust ? TRUST_SETTINGS : {}), ...settings }, null, 2)}\n`);
    if (vsix) await installExtension({ root: made.root, vsix, env, dir });
    const serverEnv = isolatedEnv(made.root, env);
    const p = port ?? await freePort();
    const url = `http://127.0.0.1:${p}`;
    const args = ['--auth', 'none', '--bind-addr', `127.0.0.1:${p}`,
      '--disable-telemetry', '--disable-update-check', ...(trust ? [] : ['--disable-workspace-trust']),
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

/**
 * For `npm start`: install code-server when missing, build the .vsix, and open a workspace (the sample,
 * copied once to .cache/npm-start/workspace) whose settings point the extension at the running cluster.
 * State (user data, extensions) persists in .cache/npm-start/code-server. Returns { url, stop }.
 */
export async function startVscodeForCluster({ ipythonDir, profile, python, port, log = console.log }) {
  await ensureAptPackages({ log, names: ['libkrb5-dev', 'ripgrep'] }); // only what installing code-server needs
  const cs = await ensureCodeServer({ log });
  log(`code-server ${cs.version.split(' ')[0]} (${cs.dir})`);
  log('packaging the extension');
  const vsix = await buildVsix({ quiet: true });
  const base = path.join(REPO, '.cache', 'npm-start');
  const workspace = prepareWorkspace({
    dest: path.join(base, 'workspace'),
    settings: {
      'ipyparallel.ipythonDir': ipythonDir,
      'ipyparallel.profile': profile,
      ...(python ? { 'ipyparallel.pythonPath': python } : {}),
      'ipyparallel.autoConnect': true,
    },
  });
  log(`starting code-server with ${vsix.relPath} on ${workspace}`);
  const server = await startCodeServer({ workspace, vsix: vsix.path, root: path.join(base, 'code-server'), port });
  return { url: server.folderUrl, stop: server.stop };
}
