// Finds the Python interpreter that has ipyparallel, for the scripts (bootstrap, start).
//
// The python3 first on PATH often has no ipyparallel (a pyenv or venv Python), so it is never assumed.
// Candidates, in order, each verified with `<python> -c "import ipyparallel"`:
//   1. $IPP_PYTHON;
//   2. the interpreter in the `#!` line of `ipcluster` on PATH (`#!/usr/bin/python3`, `#!/usr/bin/env python3`);
//   3. /usr/bin/python3 (where Debian's python3-ipyparallel installs).
// The TypeScript original is src/core/python.ts (PATH and shebang lookup, DEFAULT_PYTHON, installHint);
// test/unit/pythonHints.test.ts fails when this copy's hint or default interpreter differ from it.
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export const DEBIAN_PACKAGE = 'python3-ipyparallel';
export const DEFAULT_PYTHON = '/usr/bin/python3';

export const INSTALL_HINT =
  `Install ipyparallel for a Python 3 (Debian/Ubuntu, as root: apt-get install ${DEBIAN_PACKAGE}; ` +
  'elsewhere: python3 -m pip install ipyparallel), or set IPP_PYTHON to an interpreter that has it.';

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves a command through PATH, like `which`; undefined when absent. */
export function which(command, pathEnv = process.env.PATH ?? '') {
  if (isAbsolute(command)) return isExecutable(command) ? command : undefined;
  for (const dir of pathEnv.split(delimiter)) {
    if (dir && isExecutable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/** The interpreter named by a script's `#!` line, resolved through PATH for `/usr/bin/env NAME`. */
export function shebangInterpreter(script, pathEnv = process.env.PATH ?? '') {
  let first;
  try {
    const fd = openSync(script, 'r');
    try {
      const buf = Buffer.alloc(512);
      first = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8').split('\n')[0];
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (!first.startsWith('#!')) return undefined;
  const words = first.slice(2).trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  if (!/(^|\/)env$/.test(words[0])) return words[0];
  const name = words.slice(1).find((w) => !w.startsWith('-') && !w.includes('='));
  return name ? which(name, pathEnv) : undefined;
}

/** undefined when `python` imports ipyparallel, otherwise why not (one line). */
function importProblem(python) {
  const r = spawnSync(python, ['-c', 'import ipyparallel'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return r.error.code ?? r.error.message;
  if (r.status !== 0) return (r.stderr ?? '').trim().split('\n').pop() || `exit status ${r.status}`;
  return undefined;
}

/**
 * Returns { python, tried } where python is the first candidate that imports ipyparallel (or undefined),
 * and tried lists every candidate with its source and, for rejected ones, the problem.
 */
export function findIpyparallelPython(env = process.env) {
  const candidates = [];
  const tried = [];
  if (env.IPP_PYTHON) candidates.push({ source: 'IPP_PYTHON', python: env.IPP_PYTHON });
  const ipcluster = which('ipcluster', env.PATH ?? '');
  if (ipcluster) {
    const python = shebangInterpreter(ipcluster, env.PATH ?? '');
    if (python) candidates.push({ source: `the #! line of ${ipcluster}`, python });
    else tried.push({ source: ipcluster, problem: 'has no #! interpreter line' });
  }
  candidates.push({ source: 'default', python: DEFAULT_PYTHON });
  for (const c of candidates) {
    const problem = importProblem(c.python);
    tried.push({ ...c, problem });
    if (!problem) return { python: c.python, tried };
  }
  return { python: undefined, tried };
}

/** A readable list of what findIpyparallelPython tried. */
export function describeTried(tried) {
  return tried.map((t) => `  - ${t.source}${t.python ? ` (${t.python})` : ''}: ${t.problem ?? 'ok'}`).join('\n');
}

/** `ipyparallel.__version__` of an interpreter that has it. */
export function ipyparallelVersion(python) {
  const r = spawnSync(python, ['-c', 'import ipyparallel; print(ipyparallel.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
