/**
 * Finding a Python interpreter that has ipyparallel, for Start Local Cluster. Node only (no `vscode`):
 * the setting `ipyparallel.pythonPath` if set, else $IPP_PYTHON, else the interpreter named by the
 * shebang of `ipcluster` on PATH, else /usr/bin/python3; each is checked with `import ipyparallel`.
 * The python3 first on PATH is deliberately not a candidate: it is often a different environment.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, openSync, readSync, closeSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export interface PythonCandidate {
  /** An absolute path, or a command name resolved on PATH. */
  command: string;
  source: 'setting' | 'IPP_PYTHON' | 'ipcluster' | 'default';
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

/** The first executable named `name` on PATH. */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
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
    const args = (rest ?? '').split(/\s+/).filter((a) => a && !a.startsWith('-') && !a.includes('='));
    return args[0];
  }
  return prog;
}

function readFirstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split('\n')[0];
  } finally {
    closeSync(fd);
  }
}

/** The candidates, in order, without duplicates. */
export function pythonCandidates(setting: string, env: NodeJS.ProcessEnv = process.env): PythonCandidate[] {
  if (setting) return [{ command: setting, source: 'setting' }];
  const out: PythonCandidate[] = [];
  if (env.IPP_PYTHON) out.push({ command: env.IPP_PYTHON, source: 'IPP_PYTHON' });
  const ipcluster = which('ipcluster', env);
  if (ipcluster) {
    try {
      const interp = parseShebang(readFirstLine(ipcluster));
      if (interp) out.push({ command: interp, source: 'ipcluster' });
    } catch {
      // unreadable: skip
    }
  }
  out.push({ command: '/usr/bin/python3', source: 'default' });
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
      return Promise.resolve({ ok: false, reason: `${command} does not exist or is not executable` });
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
    ? 'Fix the setting ipyparallel.pythonPath, or clear it to search.'
    : 'Install ipyparallel (pip install ipyparallel) or set ipyparallel.pythonPath to a Python that has it.';
  throw new PythonNotFoundError(`No Python with ipyparallel found. Tried ${list}. ${hint}`, tried);
}
