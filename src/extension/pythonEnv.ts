/**
 * The user's own Python: the interpreter the Python extension (ms-python.python) selected for the
 * workspace, through its public API, which is declared here field by field (the subset of
 * `@vscode/python-extension`'s PythonExtension['environments'] we call) rather than added as a dependency.
 * Node only: the API comes in as a parameter, so unit tests pass a fake one.
 *
 * Order: `ipyparallel.pythonPath` when set (an explicit choice for this extension); else the Python
 * extension's interpreter, which must have ipyparallel (if not, the caller offers to install it there or
 * to pick another); else, without the Python extension, the search of python.ts.
 */
import { checkIpyparallel, resolvePython, type ResolvedPython } from './python';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

export interface EnvironmentPath {
  id: string;
  /** The interpreter's path (or, for an environment without one, its folder). */
  path: string;
}

export interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: unknown): EnvironmentPath;
  resolveEnvironment?(env: EnvironmentPath | string): Promise<{ executable: { uri?: { fsPath: string } } } | undefined>;
  onDidChangeActiveEnvironmentPath?(listener: (e: EnvironmentPath) => unknown): { dispose(): unknown };
}

export interface PythonExtensionApi {
  environments?: PythonEnvironmentsApi;
}

/** The interpreter the Python extension selected for `resource` (its executable when it can tell), or undefined. */
export async function selectedInterpreter(api: PythonExtensionApi | undefined, resource?: unknown): Promise<string | undefined> {
  const envs = api?.environments;
  if (!envs || typeof envs.getActiveEnvironmentPath !== 'function') return undefined;
  const active = envs.getActiveEnvironmentPath(resource);
  if (!active?.path) return undefined;
  try {
    const resolved = await envs.resolveEnvironment?.(active);
    return resolved?.executable.uri?.fsPath || active.path;
  } catch {
    return active.path;
  }
}

export type PythonDecision =
  | { kind: 'found'; python: ResolvedPython }
  /** The Python extension's interpreter, without ipyparallel: offer to install it there or to pick another. */
  | { kind: 'lacksIpyparallel'; command: string; reason: string };

export interface DecideOptions {
  /** `ipyparallel.pythonPath` ('' = not set). */
  setting: string;
  /** The Python extension's exports, when it is installed. */
  api?: PythonExtensionApi;
  /** The workspace folder or file the interpreter is for. */
  resource?: unknown;
  env?: NodeJS.ProcessEnv;
  check?: typeof checkIpyparallel;
  search?: typeof resolvePython;
}

export async function decidePython(o: DecideOptions): Promise<PythonDecision> {
  const env = o.env ?? process.env;
  const check = o.check ?? checkIpyparallel;
  if (!o.setting) {
    const selected = await selectedInterpreter(o.api, o.resource);
    if (selected) {
      const r = await check(selected, 20000, env);
      if (r.ok) return { kind: 'found', python: { command: selected, source: 'python extension', ipyparallelVersion: r.version } };
      return { kind: 'lacksIpyparallel', command: selected, reason: r.reason };
    }
  }
  return { kind: 'found', python: await (o.search ?? resolvePython)(o.setting, env) };
}

/** The terminal command that installs ipyparallel into `python` (quoted for POSIX shells and PowerShell). */
export function pipInstallCommand(python: string): string {
  const quoted = /^[\w/.:\\-]+$/.test(python) ? python : `"${python.replace(/"/g, '\\"')}"`;
  return `${/\s/.test(python) && process.platform === 'win32' ? '& ' : ''}${quoted} -m pip install ipyparallel`;
}
