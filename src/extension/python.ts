/**
 * Finding a Python interpreter that has ipyparallel, for Start Local Cluster. Node only (no `vscode`):
 * the setting `ipyparallel.pythonPath` if set, else $IPP_PYTHON, else the interpreter named by the
 * shebang of `ipcluster` on PATH, else /usr/bin/python3; each is checked with `import ipyparallel`.
 * The python3 first on PATH is deliberately not a candidate: it is often a different environment.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fallbackPython } from '../core/platform';
import { DEFAULT_PYTHON, installHint, shebangInterpreter, which } from '../core/python';
import { l10n } from './l10n';

export { parseShebang } from '../core/python';

export interface PythonCandidate {
  /** An absolute path, or a command name resolved on PATH. */
  command: string;
  source: 'setting' | 'IPP_PYTHON' | 'ipcluster' | 'default' | 'python extension';
}

export interface ResolvedPython extends PythonCandidate {
  /** ipyparallel's version in that interpreter. */
  ipyparallelVersion: string;
}

export class PythonNotFoundError extends Error {
  readonly code = 'ERR_PYTHON_NOT_FOUND';
  constructor(
    message: string,
    readonly tried: { candidate: PythonCandidate; reason: string }[],
  ) {
    super(message);
    this.name = 'PythonNotFoundError';
  }
}

/** The candidates, in order, without duplicates. */
export function pythonCandidates(setting: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): PythonCandidate[] {
  if (setting) return [{ command: setting, source: 'setting' }];
  const out: PythonCandidate[] = [];
  if (env.IPP_PYTHON) out.push({ command: env.IPP_PYTHON, source: 'IPP_PYTHON' });
  const ipcluster = which('ipcluster', env.PATH ?? '');
  const interp = ipcluster && shebangInterpreter(ipcluster);
  if (interp) out.push({ command: interp, source: 'ipcluster' });
  out.push({ command: fallbackPython(platform, DEFAULT_PYTHON), source: 'default' });
  return out.filter((c, i) => out.findIndex((o) => o.command === c.command) === i);
}

/** Runs `<python> -c "import ipyparallel"` and returns ipyparallel's version, or why it failed. */
export function checkIpyparallel(
  command: string,
  timeoutMs = 20000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  if (isAbsolute(command)) {
    try {
      accessSync(command, constants.X_OK);
    } catch {
      return Promise.resolve({ ok: false, reason: l10n.t('{0} does not exist or is not executable', command) });
    }
  }
  return new Promise((resolve) => {
    execFile(
      command,
      ['-c', 'import ipyparallel; print(ipyparallel.__version__)'],
      { timeout: timeoutMs, env, windowsHide: true },
      (err, stdout, stderr) => {
        if (!err) return resolve({ ok: true, version: stdout.trim() });
        const last = stderr.trim().split('\n').pop() ?? '';
        resolve({ ok: false, reason: last || err.message });
      },
    );
  });
}

/** The first candidate that can import ipyparallel. */
export async function resolvePython(setting: string, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedPython> {
  const tried: { candidate: PythonCandidate; reason: string }[] = [];
  for (const candidate of pythonCandidates(setting, env)) {
    const r = await checkIpyparallel(candidate.command, 20000, env);
    if (r.ok) return { ...candidate, ipyparallelVersion: r.version };
    tried.push({ candidate, reason: r.reason });
  }
  const list = tried.map((t) => `${t.candidate.command} (${t.candidate.source}): ${t.reason}`).join('; ');
  const hint = setting
    ? l10n.t('Fix the setting ipyparallel.pythonPath, or clear it to search.')
    : installHint('ipyparallel.pythonPath');
  throw new PythonNotFoundError(l10n.t('No Python with ipyparallel found. Tried {0}. {1}', list, hint), tried);
}
