// Finds the Python interpreter that has ipyparallel. The python3 first on PATH often does not (a pyenv or
// venv python); Debian's python3-ipyparallel lives under /usr/bin/python3, and `ipcluster`'s shebang names it.
import { spawnSync } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { DEFAULT_PYTHON, installHint, shebangInterpreter, which } from '../../../src/core/python';

export const INSTALL_HINT = installHint('IPP_PYTHON');

/** Where a candidate came from and why it was rejected, for the error message. */
interface Tried {
  source: string;
  python?: string;
  problem?: string;
}

function importsIpyparallel(python: string): string | undefined {
  const r = spawnSync(python, ['-c', 'import ipyparallel'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return (r.error as NodeJS.ErrnoException).code ?? r.error.message;
  if (r.status !== 0) {
    const lastLine = (r.stderr ?? '').trim().split('\n').pop() ?? '';
    return lastLine || `exit status ${r.status}`;
  }
  return undefined;
}

let cached: string | undefined;

/**
 * The Python interpreter that can `import ipyparallel`: $IPP_PYTHON, then the shebang interpreter of
 * `ipcluster` on PATH, then /usr/bin/python3. Throws an error naming what was tried and what to install.
 */
export function findIpyparallelPython(
  env: NodeJS.ProcessEnv = process.env,
  fallbacks: readonly string[] = [DEFAULT_PYTHON],
): string {
  const cacheable = env === process.env && !env.IPP_PYTHON;
  if (cached && cacheable) return cached;
  const tried: Tried[] = [];
  const candidates: Tried[] = [];
  if (env.IPP_PYTHON) candidates.push({ source: 'IPP_PYTHON', python: env.IPP_PYTHON });
  else tried.push({ source: 'IPP_PYTHON', problem: 'not set' });
  const ipcluster = which('ipcluster', env.PATH ?? '');
  if (ipcluster) {
    // `#!/usr/bin/env python3` names a command: resolve it as env would.
    const named = shebangInterpreter(ipcluster);
    const interp = named && (isAbsolute(named) ? named : which(named, env.PATH ?? ''));
    if (interp) candidates.push({ source: `shebang of ${ipcluster}`, python: interp });
    else tried.push({ source: `shebang of ${ipcluster}`, problem: 'no #! interpreter line' });
  } else {
    tried.push({ source: 'ipcluster on PATH', problem: 'not found' });
  }
  for (const python of fallbacks) candidates.push({ source: 'default', python });

  for (const c of candidates) {
    const python = c.python as string;
    const problem = importsIpyparallel(python);
    if (!problem) {
      if (cacheable) cached = python;
      return python;
    }
    tried.push({ ...c, problem });
  }
  const lines = tried.map((t) => `  - ${t.source}${t.python ? ` (${t.python})` : ''}: ${t.problem}`);
  throw new Error(`No Python interpreter with ipyparallel was found. Tried:\n${lines.join('\n')}\n${INSTALL_HINT}`);
}

/** `ipyparallel.__version__` for an interpreter, e.g. "7.1.0". */
export function ipyparallelVersion(python: string): string {
  const r = spawnSync(python, ['-c', 'import ipyparallel; print(ipyparallel.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${python} cannot import ipyparallel: ${(r.stderr ?? '').trim().split('\n').pop()}`);
  return r.stdout.trim();
}
