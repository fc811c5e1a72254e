// Which ipyparallel the harness runs: the interpreter's own (Debian's 7.1 in CI), or 9.x from the vendored
// folder put first on PYTHONPATH for the whole process tree (../shared/vendor/ipyparallel-9/site, see its
// README). Chosen with IPP_VERSION_UNDER_TEST=7|9 (unset: whatever the interpreter imports, unchecked);
// IPP9_SITE overrides the vendored folder. The version is checked before a cluster starts, so a run that
// claims to test 9.x cannot silently test 7.1.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

export type IppVersion = '7' | '9';

/** The repository's root: the first folder above this file with a package.json (works from out/ too). */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** IPP_VERSION_UNDER_TEST: '7', '9', or undefined (the interpreter's own ipyparallel, not checked). */
export function versionUnderTest(env: NodeJS.ProcessEnv = process.env): IppVersion | undefined {
  const v = env.IPP_VERSION_UNDER_TEST?.trim();
  if (!v) return undefined;
  if (v !== '7' && v !== '9') throw new Error(`IPP_VERSION_UNDER_TEST=${v}: use 7 (Debian's ipyparallel 7.1) or 9 (the vendored 9.x)`);
  return v;
}

/** The main checkout of a git worktree (its .git is a file: "gitdir: <main>/.git/worktrees/<name>"). */
function mainCheckout(root: string): string | undefined {
  try {
    const m = /^gitdir: (.+)$/m.exec(readFileSync(join(root, '.git'), 'utf8'));
    const gitdir = m?.[1].trim();
    return gitdir && /[\\/]\.git[\\/]worktrees[\\/]/.test(gitdir) ? dirname(dirname(dirname(resolve(root, gitdir)))) : undefined;
  } catch {
    return undefined; // a normal checkout: .git is a folder
  }
}

/**
 * The vendored 9.x site folder: $IPP9_SITE, else ../shared/vendor/ipyparallel-9/site next to the repo
 * (or next to the main checkout, when the repo is a git worktree elsewhere).
 */
export function ipp9Site(env: NodeJS.ProcessEnv = process.env): string {
  if (env.IPP9_SITE) return resolve(env.IPP9_SITE);
  const root = repoRoot();
  const candidates = [root, mainCheckout(root)].filter((d): d is string => d !== undefined);
  const sites = candidates.map((d) => resolve(d, '..', 'shared', 'vendor', 'ipyparallel-9', 'site'));
  return sites.find((s) => existsSync(join(s, 'ipyparallel', '__init__.py'))) ?? sites[0];
}

/** Why 9.x cannot run here (the vendored folder is missing), or undefined. */
export function ipp9Missing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const site = ipp9Site(env);
  return existsSync(join(site, 'ipyparallel', '__init__.py'))
    ? undefined
    : `the vendored ipyparallel 9.x is not at ${site} (set IPP9_SITE, or check out ../shared next to the repo)`;
}

/**
 * The environment entries that select `version` for Python processes: for 9, PYTHONPATH with the vendored
 * site first (children inherit it, so controller, engines and nannies are all 9.x); nothing for 7 or unset.
 */
export function ippEnv(version: IppVersion | undefined, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (version !== '9') return {};
  const missing = ipp9Missing(env);
  if (missing) throw new Error(`IPP_VERSION_UNDER_TEST=9, but ${missing}`);
  const site = ipp9Site(env);
  const rest = (env.PYTHONPATH ?? '').split(delimiter).filter((p) => p && resolve(p) !== site);
  return { PYTHONPATH: [site, ...rest].join(delimiter) };
}

/** What an interpreter imports under an environment: the distribution's version and the package's file. */
export interface ImportedIpp {
  version: string;
  file: string;
}

const imported = new Map<string, ImportedIpp>();

/** ipyparallel's version (from its .dist-info, e.g. "9.2.0.dev0"; else __version__) and file, for python + env. */
export function importedIpyparallel(python: string, env: NodeJS.ProcessEnv): ImportedIpp {
  const cacheKey = `${python}\0${env.PYTHONPATH ?? ''}`;
  const hit = imported.get(cacheKey);
  if (hit) return hit;
  const code = [
    'import ipyparallel, json',
    'try:',
    '    from importlib.metadata import version; v = version("ipyparallel")',
    'except Exception:',
    '    v = ipyparallel.__version__',
    'print(json.dumps({"version": v, "file": ipyparallel.__file__}))',
  ].join('\n');
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 60_000, env });
  if (r.status !== 0) {
    const last = (r.stderr ?? '').trim().split('\n').pop() || r.error?.message || `exit status ${r.status}`;
    throw new Error(`${python} cannot import ipyparallel (PYTHONPATH=${env.PYTHONPATH ?? ''}): ${last}`);
  }
  const found = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ImportedIpp;
  imported.set(cacheKey, found);
  return found;
}

/**
 * Throws unless `python` under `env` imports the ipyparallel that `version` asks for: major version 7,
 * or major version 9 from the vendored site. Returns what it imports.
 */
export function checkIpyparallel(python: string, env: NodeJS.ProcessEnv, version: IppVersion | undefined): ImportedIpp {
  const found = importedIpyparallel(python, env);
  if (!version) return found;
  const major = found.version.split('.')[0];
  const fromSite = found.file.startsWith(ipp9Site(env));
  if (major !== version || (version === '9' && !fromSite)) {
    throw new Error(
      `IPP_VERSION_UNDER_TEST=${version}, but ${python} imports ipyparallel ${found.version} from ${found.file}` +
        (version === '9' ? ` (expected 9.x from ${ipp9Site(env)}: is PYTHONPATH overridden?)` : ' (expected 7.x: unset PYTHONPATH or IPP_PYTHON)'),
    );
  }
  return found;
}
