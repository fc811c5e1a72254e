// Process helpers for the scripts and the e2e harness: run a command with a deadline, spawn a detached
// process group and stop it again, poll with a deadline, pick a free loopback port.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

/**
 * Run a command to completion. Output is captured (and appended to `logFile` when given); the promise
 * resolves with { code, signal, stdout, stderr, timedOut } and never rejects on a non-zero exit. The child
 * stays in our process group, so Ctrl+C reaches it too; on `timeoutMs` it is killed and `timedOut` is set.
 */
export function run(cmd, args, { cwd, env, timeoutMs = 120_000, logFile, input } = {}) {
  return new Promise((resolve, reject) => {
    // stdin is /dev/null unless `input` is given: never a TTY, so nothing can stop at a prompt.
    const child = spawn(cmd, args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const log = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : null;
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; log?.write(d); });
    child.stderr.on('data', (d) => { stderr += d; log?.write(d); });
    if (child.stdin) {
      child.stdin.on('error', () => { /* the child exited without reading its input */ });
      child.stdin.end(input);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); log?.end(); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const done = () => resolve({ code, signal, stdout, stderr, timedOut });
      if (log) log.end(done); else done();
    });
  });
}

/** Like run(), but throws with the output tail when the command fails or times out. */
export async function runChecked(cmd, args, opts = {}) {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) {
    const what = res.timedOut ? `timed out after ${opts.timeoutMs ?? 120_000} ms` : `exited with ${res.code ?? res.signal}`;
    const tail = (res.stdout + res.stderr).trim().split('\n').slice(-25).join('\n');
    throw new Error(`${[cmd, ...args].join(' ')} ${what}${opts.logFile ? ` (log: ${opts.logFile})` : ''}\n${tail}`);
  }
  return res;
}

/**
 * Spawn a long-running process as the leader of its own process group, with stdout/stderr appended to
 * `logFile`. Stop it (and everything it started) with stopGroup(child.pid).
 */
export function spawnGroup(cmd, args, { cwd, env, logFile }) {
  const fd = fs.openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
    child.on('error', () => { /* reported through exit state; callers poll readiness with a deadline */ });
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function groupAlive(pid) {
  return killGroup(pid, 0);
}

/** SIGTERM the process group, wait up to `timeoutMs` for it to go, then SIGKILL. Never throws. */
export async function stopGroup(pid, { timeoutMs = 5_000 } = {}) {
  if (!pid || !killGroup(pid, 'SIGTERM')) return;
  const gone = await waitFor(() => !groupAlive(pid), { timeoutMs, intervalMs: 50 }).then(() => true, () => false);
  if (!gone) {
    killGroup(pid, 'SIGKILL');
    await waitFor(() => !groupAlive(pid), { timeoutMs: 2_000, intervalMs: 50 }).catch(() => {});
  }
}

/**
 * Poll `fn` (sync or async) until it returns a truthy value, which is returned. Exceptions from `fn` count
 * as "not yet" (the last one is reported), except ones with `fatal: true`, which end the wait at once.
 * Rejects after `timeoutMs`, naming `what`.
 */
export async function waitFor(fn, { timeoutMs = 20_000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      if (err?.fatal) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? `: ${lastError.message ?? lastError}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** HTTP GET status code of `url`, or 0 when the connection fails. Has its own short deadline. */
export function httpStatus(url, timeoutMs = 2_000) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}
