/**
 * Locating the Python that runs a cluster's `ipcluster`: PATH lookup and the interpreter named by a
 * script's `#!` line. Plain Node; used by the extension's Start Local Cluster and the test harness.
 * The search order (the caller's own setting, then $IPP_PYTHON, then the #! interpreter of `ipcluster` on
 * PATH, then DEFAULT_PYTHON) and the install hint are written here once; scripts/lib/python.mjs runs
 * before anything is compiled and keeps a copy that test/unit/pythonHints.test.ts compares with this one.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { whichOn } from './platform';
import { message } from './messages';

/** The Debian package that installs ipyparallel for the system Python. */
export const DEBIAN_PACKAGE = 'python3-ipyparallel';
/** The last candidate of the search: where Debian's python3-ipyparallel installs. */
export const DEFAULT_PYTHON = '/usr/bin/python3';

/** What to do when no candidate has ipyparallel; `setting` names what picks the interpreter. */
export function installHint(setting: string): string {
  return message('installHint', DEBIAN_PACKAGE, setting);
}

/** Resolves a command through PATH, like `which` (PATHEXT on Windows); an absolute path is returned if it is executable. */
export function which(command: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  return whichOn(command, pathEnv);
}

/**
 * The interpreter of a `#!` line: `#!/usr/bin/python3 -E` -> `/usr/bin/python3`,
 * `#!/usr/bin/env python3` -> `python3`. undefined when the line is not a shebang.
 */
export function parseShebang(firstLine: string): string | undefined {
  const m = /^#!\s*(\S+)(?:\s+(.*))?$/.exec(firstLine.trim());
  if (!m) return undefined;
  const [, prog, rest] = m;
  if (/(^|\/)env$/.test(prog)) {
    // `#!/usr/bin/env [-S] [VAR=x] python3 ...`: the first word that is neither an option nor an assignment.
    const args = (rest ?? '').split(/\s+/).filter((a) => a && !a.startsWith('-') && !a.includes('='));
    return args[0];
  }
  return prog;
}

/** The interpreter named by a script's `#!` line, as written; undefined when unreadable or none. */
export function shebangInterpreter(script: string): string | undefined {
  try {
    const fd = openSync(script, 'r');
    try {
      const buf = Buffer.alloc(512);
      const n = readSync(fd, buf, 0, buf.length, 0);
      return parseShebang(buf.subarray(0, n).toString('utf8').split('\n')[0]);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
