// Waiting for files without fixed sleeps, and log tails that are safe to put in an error message.
import { existsSync, readFileSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { redact } from '../../../src/core/redact';

export { redact };

export interface WaitForFileOptions {
  timeoutMs: number;
  /** Accept the file only when its text passes (e.g. it parses and differs from the old one). */
  accept?: (text: string) => boolean;
  /** Checked on every wake-up: return a reason to stop waiting early (e.g. the process exited). */
  failIf?: () => string | undefined;
  /** Poll interval used alongside fs.watch, which can miss events (and needs the directory to exist). Default 100 ms. */
  pollMs?: number;
}

/** Watches the nearest existing ancestor so that creating missing directories also wakes the waiter. */
function nearestExisting(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/**
 * Resolves with the file's text once it exists and is accepted. Wakes on fs.watch events of its directory
 * and on a short poll (fs.watch is best effort). Rejects at the deadline or when `failIf` gives a reason.
 */
export function waitForFile(file: string, opts: WaitForFileOptions): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    let watchedDir = '';
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const deadline = Date.now() + opts.timeoutMs;

    const finish = (err: Error | undefined, text?: string): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
      if (err) reject(err);
      else resolve(text as string);
    };
    const rewatch = (): void => {
      const dir = nearestExisting(dirname(file));
      if (dir === watchedDir) return;
      watcher?.close();
      watchedDir = dir;
      try {
        watcher = watch(dir, { persistent: false }, () => check());
        watcher.on('error', () => undefined);
      } catch {
        watcher = undefined;
      }
    };
    const check = (): void => {
      if (done) return;
      let text: string | undefined;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        text = undefined;
      }
      if (text !== undefined && (!opts.accept || opts.accept(text))) return finish(undefined, text);
      const reason = opts.failIf?.();
      if (reason) return finish(new Error(reason));
      if (Date.now() >= deadline) {
        return finish(new Error(`${basename(file)} did not appear ${text === undefined ? '' : '(in an acceptable form) '}within ${opts.timeoutMs / 1000} s at ${file}`));
      }
      rewatch();
      if (timer) clearTimeout(timer);
      timer = setTimeout(check, opts.pollMs ?? 100);
    };
    check();
  });
}

/** The last `lines` lines of a text file ('' when it does not exist). */
export function tailFile(file: string, lines = 25, maxBytes = 64 * 1024): string {
  try {
    const size = statSync(file).size;
    const text = readFileSync(file).subarray(Math.max(0, size - maxBytes)).toString('utf8');
    return text.split('\n').slice(-lines - 1).join('\n').trimEnd();
  } catch {
    return '';
  }
}

/** Log tails of every *.log file under the given directories, newest last, redacted, for error messages. */
export function logTails(dirs: readonly string[], keys: Iterable<string>, lines = 20): string {
  const files: { file: string; mtime: number }[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.endsWith('.log')) continue;
      const file = join(dir, n);
      try {
        files.push({ file, mtime: statSync(file).mtimeMs });
      } catch {
        // removed meanwhile
      }
    }
  }
  files.sort((a, b) => a.mtime - b.mtime);
  const keyList = [...keys];
  return files
    .map(({ file }) => {
      const tail = tailFile(file, lines);
      return `--- ${file} (last ${lines} lines) ---\n${tail ? redact(tail, keyList) : '(empty)'}`;
    })
    .join('\n');
}
