// Starts ipyparallel's Python processes for the harness: detached (each leads its own process group),
// output to a log file, and (on Linux) with a parent-death signal so that a harness killed by SIGKILL
// does not leave a cluster behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { ProcRef } from './procs';

/**
 * Runs before the real module: asks the kernel to send SIGTERM when our parent (this Node process) dies,
 * refuses to start if it already has, then execs `python <args>` in place, so the pid stays the same.
 * ipcluster, ipcontroller and ipengine all shut down cleanly on SIGTERM.
 */
const BOOTSTRAP = [
  'import ctypes, os, signal, sys',
  'try:',
  '    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)',
  'except Exception:',
  '    pass',
  'parent = os.environ.pop("IPP_HARNESS_PARENT_PID", "")',
  'if parent and os.getppid() != int(parent):',
  '    sys.exit(70)',
  'os.execv(sys.executable, [sys.executable] + sys.argv[1:])',
].join('\n');

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stdout and stderr both go here (appended). */
  logFile: string;
  role: string;
  /** Use the parent-death bootstrap. Default true. */
  parentDeathSignal?: boolean;
}

/** A Python process the harness started. */
export interface Spawned {
  ref: ProcRef;
  child: ChildProcess;
  logFile: string;
  /** The command as a user would type it (without the bootstrap), for error messages. */
  commandLine: string;
  /** Set once the process has exited and Node has reaped it. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** Set if spawning itself failed (e.g. ENOENT). */
  error?: Error;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(python: string, args: readonly string[]): string {
  return [python, ...args].map(quote).join(' ');
}

/** Spawns `python <args>` detached, logging to `opts.logFile`. Never throws for a failed exec: see `.error`. */
export function spawnPython(python: string, args: readonly string[], opts: SpawnOptions): Spawned {
  const fd = openSync(opts.logFile, 'a', 0o600);
  const useBootstrap = (opts.parentDeathSignal ?? true) && process.platform === 'linux';
  const argv = useBootstrap ? ['-c', BOOTSTRAP, ...args] : [...args];
  const env: NodeJS.ProcessEnv = { ...opts.env, PYTHONUNBUFFERED: '1' };
  if (useBootstrap) env.IPP_HARNESS_PARENT_PID = String(process.pid);
  let child: ChildProcess;
  try {
    child = spawn(python, argv, { cwd: opts.cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  // Unref: a test that forgets stop() must not keep Node alive; the exit handler then kills the cluster.
  child.unref();
  const ref = (child.pid !== undefined && ProcRef.of(child.pid, opts.role)) || new ProcRef(child.pid ?? -1, -1, opts.role);
  const spawned: Spawned = { ref, child, logFile: opts.logFile, commandLine: commandLine(python, args) };
  child.on('exit', (code, signal) => {
    spawned.exit = { code, signal };
  });
  child.on('error', (err) => {
    spawned.error = err;
  });
  return spawned;
}

/** A short description of how a spawned process ended, or undefined while it runs. */
export function exitDescription(s: Spawned): string | undefined {
  if (s.error) return `could not be started (${(s.error as NodeJS.ErrnoException).code ?? s.error.message})`;
  if (s.exit) return s.exit.signal ? `was killed by ${s.exit.signal}` : `exited with code ${s.exit.code}`;
  if (!s.ref.alive()) return 'is no longer running';
  return undefined;
}
