// A local ipyparallel cluster for `npm start` (and anything else in scripts/ that needs one).
//
// Where: a repo-local IPython dir, .cache/ipython (gitignored), so `npm start` never touches the user's
// ~/.ipython; profile "default", cluster id "" (what `ipcluster start` uses), so the connection file is
// .cache/ipython/profile_default/security/ipcontroller-client.json. Pass another ipythonDir to change it.
//
// How: `<python> -m ipyparallel.cluster start -n N` (the `ipcluster` command, run by the interpreter that
// has ipyparallel) as the leader of its own process group, output to <ipythonDir>/ipcluster.log. Ready when
// the connection file exists and N engines have registered. ipcluster starts the controller and engines in
// sessions of their own, so stop() asks ipcluster to stop them (SIGINT, as Ctrl+C would), then makes sure
// by pid (from cluster-.json) that the controller and every engine are gone.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
export const LOCAL_IPYTHONDIR = join(REPO, '.cache', 'ipython');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns a truthy value or the deadline passes (then throws, naming `what`). */
async function poll(fn, { timeoutMs, what, intervalMs = 200 }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** True when pid is alive and is still an ipyparallel process (not a recycled pid). */
function aliveIpp(pid) {
  try {
    return alive(pid) && /ipyparallel|ipcontroller|ipengine|ipcluster/.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
  } catch {
    return false;
  }
}

function signal(pid, sig, group = false) {
  try {
    process.kill(group ? -pid : pid, sig);
  } catch {
    /* already gone */
  }
}

/** SIGTERM, then SIGKILL after graceMs, for each of these ipyparallel processes still alive. */
async function terminate(pids, graceMs = 5_000) {
  const live = () => pids.filter(aliveIpp);
  for (const pid of live()) signal(pid, 'SIGTERM');
  await poll(() => live().length === 0, { timeoutMs: graceMs, what: 'processes to exit', intervalMs: 100 }).catch(() => {
    for (const pid of live()) signal(pid, 'SIGKILL');
  });
}

/** Controller and engine pids recorded in the Cluster API's state file (PROTOCOL.md §1.1). */
export function clusterPids(securityDir, clusterId = '') {
  try {
    const state = JSON.parse(readFileSync(join(securityDir, `cluster-${clusterId}.json`), 'utf8'));
    const pids = [];
    const controller = state?.controller?.state?.pid;
    if (Number.isInteger(controller) && controller > 0) pids.push(controller);
    for (const set of Object.values(state?.engines?.sets ?? {})) {
      for (const engine of Object.values(set?.engines ?? {})) {
        if (Number.isInteger(engine?.pid) && engine.pid > 0) pids.push(engine.pid);
      }
    }
    return pids;
  } catch {
    return [];
  }
}

/**
 * Waits, through the Python client in a child process, until the Hub has registered `n` engines.
 * Returns { done, cancel }: `done` resolves with the count registered, or rejects with the client's error.
 */
function waitForEngines(python, env, profile, n, timeoutMs) {
  const code = [
    'import ipyparallel as ipp',
    `c = ipp.Client(profile=${JSON.stringify(profile)}, timeout=30)`,
    `c.wait_for_engines(${n}, timeout=${Math.ceil(timeoutMs / 1000)})`,
    'print(len(c.ids))',
    'c.close()',
  ].join('\n');
  const child = spawn(python, ['-c', code], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', rej);
    child.on('close', (status) => {
      const last = out.trim().split('\n').pop() ?? '';
      const count = Number.parseInt(last, 10);
      if (status === 0 && Number.isInteger(count)) res(count);
      else rej(new Error(`the Python client did not see ${n} engines: ${last || `exit status ${status}`}`));
    });
  });
  return { done, cancel: () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL') };
}

/** Resolves with `promise`'s value, or with `fallback` after ms (the timer never outlives the race). */
async function within(promise, ms, fallback) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((res) => (timer = setTimeout(() => res(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts `ipcluster start -n engines` and waits until its connection file exists and `engines` engines
 * have registered. Returns a handle: { pid, ipythonDir, profile, connectionFile, logFile, engines, stop() }.
 * On failure everything started is stopped and the error carries the log's tail.
 */
export async function startLocalCluster({ python, ipythonDir = LOCAL_IPYTHONDIR, profile = 'default', engines = 2, timeoutMs = 120_000, log = () => {} }) {
  const security = join(ipythonDir, `profile_${profile}`, 'security');
  const connectionFile = join(security, 'ipcontroller-client.json');
  const logFile = join(ipythonDir, 'ipcluster.log');
  const env = { ...process.env, IPYTHONDIR: ipythonDir, PYTHONUNBUFFERED: '1' };
  mkdirSync(ipythonDir, { recursive: true });

  // A cluster left behind by a crash would make ipcluster refuse to start: stop it, then start clean.
  const stale = clusterPids(security).filter(aliveIpp);
  if (stale.length) {
    log(`stopping a cluster left running in ${ipythonDir} (pids ${stale.join(', ')})`);
    spawnSync(python, ['-m', 'ipyparallel.cluster', 'stop', `--profile=${profile}`], { env, stdio: 'ignore', timeout: 30_000 });
    await terminate(stale);
  }
  rmSync(connectionFile, { force: true });
  rmSync(join(security, 'cluster-.json'), { force: true });

  const fd = openSync(logFile, 'w');
  const args = ['-m', 'ipyparallel.cluster', 'start', '-n', String(engines), `--profile=${profile}`];
  log(`$ IPYTHONDIR=${ipythonDir} ${python} ${args.join(' ')}   (log: ${logFile})`);
  const child = spawn(python, args, { env, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited = null;
  const exit = new Promise((res) => child.on('exit', (code, sig) => res((exited = code ?? sig))));
  await new Promise((res, rej) => {
    child.once('spawn', res);
    child.once('error', rej);
  });
  const exitBefore = (what) => exit.then((how) => Promise.reject(new Error(`ipcluster exited (${how}) before ${what}`)));

  let pids = [];
  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      pids = [...new Set([...pids, ...clusterPids(security)])];
      if (exited === null) {
        signal(child.pid, 'SIGINT', true); // what Ctrl+C does: ipcluster stops its controller and engines
        await within(exit, 20_000);
      }
      await terminate([...pids, ...(exited === null ? [child.pid] : [])]);
      signal(child.pid, 'SIGKILL', true);
    })();
    return stopping;
  };

  try {
    await Promise.race([
      poll(() => existsSync(connectionFile) || exited !== null, { timeoutMs, what: `the connection file ${connectionFile}` }),
      exitBefore('writing its connection file'),
    ]);
    if (exited !== null) await exitBefore('writing its connection file');
    log(`connection file written: ${connectionFile}`);
    const engineWait = waitForEngines(python, env, profile, engines, timeoutMs);
    let registered;
    try {
      registered = await Promise.race([engineWait.done, exitBefore(`${engines} engines registered`)]);
    } finally {
      engineWait.cancel();
    }
    pids = [...new Set([...pids, ...clusterPids(security)])];
    return { pid: child.pid, ipythonDir, profile, connectionFile, logFile, engines: registered, pids: () => [...pids], stop };
  } catch (err) {
    await stop();
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-20).join('\n') : '';
    throw new Error(`${err.message}\n--- ${logFile} (last lines) ---\n${tail}`);
  }
}
