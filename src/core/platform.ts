/**
 * The decisions that differ between Linux, macOS and Windows, each behind a small function that takes
 * the platform (and, where paths are built, its `path` flavour and a file-exists check) as parameters,
 * so that the unit tests run every branch on any machine. Plain Node (no `vscode`).
 *
 * - Killing a process and its children: POSIX signals the process group (`kill(-pid)`, the child was
 *   spawned `detached`, so it leads a group); Windows has no process groups or signals (Node's
 *   `process.kill` there is TerminateProcess of one pid), so the tree goes with `taskkill /T /F`.
 * - Stopping ipcluster cleanly: SIGINT on POSIX; Windows cannot deliver SIGINT to another process, so
 *   the caller runs `ipcluster stop` instead (gracefulStopSignal returns undefined).
 * - The ssh client: `ssh` on PATH, else, on Windows, the OpenSSH client Windows ships in System32.
 * - Finding a program on PATH: `;` and PATHEXT on Windows, `:` and the executable bit elsewhere.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';

type PathFlavour = Pick<typeof path.posix, 'join' | 'isAbsolute' | 'delimiter' | 'extname'>;

/** `path.win32` for Windows, `path.posix` elsewhere. */
export function pathFor(platform: NodeJS.Platform): PathFlavour {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** The `taskkill` invocation that ends `pid` and every process it started, on Windows. */
export function taskkillArgs(pid: number): string[] {
  return ['/pid', String(pid), '/T', '/F'];
}

export interface KillDeps {
  kill: (pid: number, signal: NodeJS.Signals) => void;
  /** Synchronous, so that it also works in a process 'exit' hook. */
  run: (file: string, args: string[]) => Pick<SpawnSyncReturns<Buffer>, 'status' | 'error'>;
}

const nodeKill: KillDeps = {
  kill: (pid, signal) => process.kill(pid, signal),
  run: (file, args) => spawnSync(file, args, { stdio: 'ignore', windowsHide: true, timeout: 10_000 }),
};

/**
 * Ends a process and its children: on POSIX `signal` to the process group `pid` leads; on Windows
 * `taskkill /pid <pid> /T /F` (the signal has no meaning there: the tree is terminated). Returns
 * whether the kill was delivered (false when the process is already gone).
 */
export function killProcessTree(pid: number, signal: NodeJS.Signals, platform: NodeJS.Platform = process.platform, deps: KillDeps = nodeKill): boolean {
  if (platform === 'win32') {
    const r = deps.run('taskkill', taskkillArgs(pid));
    return !r.error && r.status === 0;
  }
  try {
    deps.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The signal that asks ipcluster to stop cleanly, or undefined where none can be sent (Windows: run `ipcluster stop`). */
export function gracefulStopSignal(platform: NodeJS.Platform = process.platform): NodeJS.Signals | undefined {
  return platform === 'win32' ? undefined : 'SIGINT';
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface WhichOptions {
  platform?: NodeJS.Platform;
  /** Whether a file exists and may be run (default: fs X_OK, which on Windows only checks existence). */
  isExecutable?: (file: string) => boolean;
  /** Windows: the extensions tried for a bare name (default: PATHEXT, else .COM;.EXE;.BAT;.CMD). */
  pathExt?: string;
}

/** The names tried for `command` in one directory: on Windows each PATHEXT extension unless it has one. */
export function candidateNames(command: string, platform: NodeJS.Platform, pathExt = '.COM;.EXE;.BAT;.CMD'): string[] {
  if (platform !== 'win32' || pathFor(platform).extname(command)) return [command];
  return pathExt.split(';').filter(Boolean).map((ext) => command + ext.toLowerCase());
}

/** Resolves a command through PATH, like `which` (or `where` on Windows); an absolute path is returned if it runs. */
export function whichOn(command: string, pathEnv: string, o: WhichOptions = {}): string | undefined {
  const platform = o.platform ?? process.platform;
  const p = pathFor(platform);
  const runs = o.isExecutable ?? isExecutableFile;
  const names = (dir: string) => candidateNames(command, platform, o.pathExt ?? (platform === 'win32' ? process.env.PATHEXT : undefined)).map((n) => (dir ? p.join(dir, n) : n));
  if (p.isAbsolute(command)) return names('').find(runs);
  for (const dir of pathEnv.split(p.delimiter)) {
    if (!dir) continue;
    const found = names(dir).find(runs);
    if (found) return found;
  }
  return undefined;
}

/**
 * The ssh client to run when the user set none: `ssh` when it is on PATH; on Windows otherwise the
 * OpenSSH client Windows installs as an optional feature (%SystemRoot%\System32\OpenSSH\ssh.exe) when
 * it is there. `ssh` as the last resort, so the spawn error names the program the user must install.
 */
export function defaultSshPath(env: NodeJS.ProcessEnv, o: WhichOptions = {}): string {
  const platform = o.platform ?? process.platform;
  if (platform !== 'win32' || whichOn('ssh', env.PATH ?? env.Path ?? '', o)) return 'ssh';
  const systemRoot = env.SystemRoot ?? env.SYSTEMROOT ?? 'C:\\Windows';
  const bundled = path.win32.join(systemRoot, 'System32', 'OpenSSH', 'ssh.exe');
  return (o.isExecutable ?? isExecutableFile)(bundled) ? bundled : 'ssh';
}

/** The last Python candidate when nothing else names one: Debian's python3 on POSIX; `python` on PATH on Windows. */
export function fallbackPython(platform: NodeJS.Platform, posixDefault: string): string {
  return platform === 'win32' ? 'python' : posixDefault;
}
