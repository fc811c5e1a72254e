/**
 * What the Clusters view runs, as argument lists (pure, unit tested in plain Node), and one way to run
 * them. Checked against ipyparallel 7.1's cluster/app.py and cluster/launcher.py:
 * - `ipcluster start --engines=<entry point>` sets Cluster.engine_launcher_class ('local', 'mpi', 'slurm');
 * - the Slurm engine launcher's traits `queue` (the partition: `#SBATCH --partition={queue}`) and `timelimit`
 *   (`#SBATCH --time={timelimit}`), which ipyparallel inserts into its default job script, and
 *   `submit_command` (`sbatch` and the options of the extra #SBATCH lines);
 * - `ipcluster stop --profile-dir=… --cluster-id=…` stops the cluster of that record, whoever started it;
 * - `ipcluster engines` would rewrite the record without its controller (7.1), so engines are added with
 *   the Cluster API instead: `Cluster.from_file(...).start_engines_sync(n)`, which keeps the record whole.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { l10n } from './l10n';

export type EngineLauncher = 'local' | 'mpi' | 'slurm';
export const ENGINE_LAUNCHERS: readonly EngineLauncher[] = ['local', 'mpi', 'slurm'];

export interface SlurmOptions {
  /** The partition ('' = the cluster's default). */
  partition?: string;
  /** A Slurm time limit ('' = the partition's default): minutes, h:m:s, d-h, d-h:m, d-h:m:s. */
  timeLimit?: string;
  /** Extra lines for the job script, each `#SBATCH …`. */
  extraLines?: string[];
}

export interface EngineLaunch {
  launcher: EngineLauncher;
  slurm?: SlurmOptions;
}

const TIME_LIMIT = /^(?:\d+(?::\d{1,2}){0,2}|\d+-\d+(?::\d{1,2}){0,2}|UNLIMITED|infinite)$/;
const PARTITION = /^[\w.-]+(?:,[\w.-]+)*$/;

/** Why a time limit is not one Slurm accepts, or undefined. */
export function checkTimeLimit(v: string): string | undefined {
  return !v || TIME_LIMIT.test(v) ? undefined : l10n.t('A Slurm time limit: minutes, hours:minutes:seconds, days-hours or days-hours:minutes[:seconds]');
}

export function checkPartition(v: string): string | undefined {
  return !v || PARTITION.test(v) ? undefined : l10n.t('A partition name (letters, digits, _ . -; several separated by commas)');
}

/** Why the extra job script lines are not all `#SBATCH` directives (without quotes), or undefined. */
export function checkSbatchLines(lines: readonly string[]): string | undefined {
  const bad = lines.find((l) => !/^#SBATCH\s+-\S/.test(l));
  if (bad !== undefined) return l10n.t("Each line must be an #SBATCH directive with an option: '{0}' is not", bad.slice(0, 60));
  const quoted = lines.find((l) => /['"\\]/.test(l));
  return quoted === undefined ? undefined : l10n.t("Write #SBATCH options without quotes or backslashes: '{0}'", quoted.slice(0, 60));
}

/** Splits what the user typed (lines, or `;`-separated) into trimmed non-empty lines. */
export function splitSbatchLines(text: string): string[] {
  return text
    .split(/[\n;]/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * The sbatch arguments of the extra `#SBATCH` lines: `#SBATCH --mem=4G` -> `--mem=4G`. They go on sbatch's
 * command line (SlurmEngineSetLauncher.submit_command), where they override the job script's directives,
 * and ipyparallel's own job script stays as each version writes it (a given `batch_template` would replace
 * it: 9.x's adds `--output` for the engines' log, and neither version inserts the partition, time or
 * `--ntasks` lines into a given one).
 */
export function sbatchArgs(extraLines: readonly string[]): string[] {
  return extraLines.flatMap((l) => l.replace(/^#SBATCH\s+/, '').split(/\s+/).filter(Boolean));
}

/** The `ipcluster start` arguments that choose and configure the engine launcher. Throws on invalid Slurm options. */
export function engineLauncherArgs(launch: EngineLaunch): string[] {
  if (launch.launcher === 'local') return [];
  const args = [`--engines=${launch.launcher}`];
  if (launch.launcher !== 'slurm' || !launch.slurm) return args;
  const { partition = '', timeLimit = '', extraLines = [] } = launch.slurm;
  const problem = checkPartition(partition) ?? checkTimeLimit(timeLimit) ?? checkSbatchLines(extraLines);
  if (problem) throw new Error(problem);
  if (partition) args.push(`--SlurmEngineSetLauncher.queue=${partition}`);
  if (timeLimit) args.push(`--SlurmEngineSetLauncher.timelimit=${timeLimit}`);
  // A list trait from the command line: one `--Class.trait=item` per item (traitlets 5).
  if (extraLines.length) for (const word of ['sbatch', ...sbatchArgs(extraLines)]) args.push(`--SlurmEngineSetLauncher.submit_command=${word}`);
  return args;
}

export interface ClusterRef {
  profile: string;
  profileDir: string;
  clusterId: string;
}

/** `ipcluster stop` for one cluster of one profile dir. */
export function stopArgs(c: ClusterRef): string[] {
  return ['-m', 'ipyparallel.cluster', 'stop', `--profile-dir=${c.profileDir}`, `--cluster-id=${c.clusterId}`];
}

const ADD_ENGINES = [
  'import sys, ipyparallel as ipp',
  'c = ipp.Cluster.from_file(profile_dir=sys.argv[1], cluster_id=sys.argv[2])',
  'print(c.start_engines_sync(int(sys.argv[3])))',
].join('\n');

/** Starts `n` more engines in a running cluster, with the launcher its record names. */
export function addEnginesArgs(c: ClusterRef, n: number): string[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(l10n.t('{0} is not a number of engines (a whole number from 1)', n));
  return ['-c', ADD_ENGINES, c.profileDir, c.clusterId, String(n)];
}

/**
 * Replaces engines that died: Cluster.from_file drops the engines whose process is gone from its state
 * (7.1 and 9.x raise NotRunning for them) and rewrites the record without them; then as many new engines
 * as the record is short of `want` start with the cluster's own engine launcher. Prints
 * `{"live": <engines left>, "started": <new engines>}`.
 */
const RESTART_ENGINES = [
  'import sys, json, ipyparallel as ipp',
  'c = ipp.Cluster.from_file(profile_dir=sys.argv[1], cluster_id=sys.argv[2])',
  'live = sum(getattr(s, "n", 0) or 0 for s in c.engines.values())',
  'c.update_cluster_file()',
  'n = int(sys.argv[3]) - live',
  'if n > 0: c.start_engines_sync(n)',
  'print(json.dumps({"live": live, "started": max(n, 0)}))',
].join('\n');

/** Starts new engines for those of a running cluster that died, up to `want` engines in all. */
export function restartEnginesArgs(c: ClusterRef, want: number): string[] {
  if (!Number.isInteger(want) || want < 1) throw new Error(`${want} is not a number of engines (a whole number from 1)`);
  return ['-c', RESTART_ENGINES, c.profileDir, c.clusterId, String(want)];
}

/**
 * Restarts every engine of a running cluster: stops its engine sets the way `ipcluster stop` would (their
 * launchers signal local and MPI engines, scancel a Slurm job), then starts `want` new engines with the
 * cluster's own engine launcher. Prints `{"live": 0, "started": <new engines>}`.
 */
const RESTART_ALL_ENGINES = [
  'import sys, json, ipyparallel as ipp',
  'c = ipp.Cluster.from_file(profile_dir=sys.argv[1], cluster_id=sys.argv[2])',
  'c.stop_engines_sync()',
  'n = int(sys.argv[3])',
  'c.start_engines_sync(n)',
  'print(json.dumps({"live": 0, "started": n}))',
].join('\n');

/** Stops all engines of a running cluster and starts `want` new ones (a real restart of its engines). */
export function restartAllEnginesArgs(c: Pick<ClusterRef, 'profileDir' | 'clusterId'>, want: number): string[] {
  if (!Number.isInteger(want) || want < 1) throw new Error(`${want} is not a number of engines (a whole number from 1)`);
  return ['-c', RESTART_ALL_ENGINES, c.profileDir, c.clusterId, String(want)];
}

/** What the restart printed (its last line), or undefined when it printed no result. */
export function restartResult(stdout: string): { live: number; started: number } | undefined {
  try {
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '');
    return Number.isInteger(r?.live) && Number.isInteger(r?.started) ? { live: r.live, started: r.started } : undefined;
  } catch {
    return undefined;
  }
}

/** A Python string literal for `s`: single-quoted when plain, else a JSON string (also valid Python). */
export function pyString(s: string): string {
  return /^[^'\\\p{Cc}]*$/u.test(s) ? `'${s}'` : JSON.stringify(s);
}

/** The code that connects to the cluster from Python: by profile name, or by profile dir outside `ipythonDir`. */
export function connectionSnippet(c: ClusterRef, ipythonDir: string): string {
  const inIpythonDir = c.profileDir === join(ipythonDir, `profile_${c.profile}`);
  const args = [inIpythonDir ? `profile=${pyString(c.profile)}` : `profile_dir=${pyString(c.profileDir)}`];
  if (c.clusterId) args.push(`cluster_id=${pyString(c.clusterId)}`);
  return `import ipyparallel as ipp; rc = ipp.Client(${args.join(', ')})`;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `python args…` to completion (bounded output, a timeout), never throwing for a non-zero exit. */
export function runPython(python: string, args: string[], timeoutMs = 60000, env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(python, args, { timeout: timeoutMs, env, windowsHide: true, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && code === null ? err.message : '')) });
    });
  });
}

/** The last lines of a process's output, for an error message. */
export function tail(text: string, lines = 5): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
