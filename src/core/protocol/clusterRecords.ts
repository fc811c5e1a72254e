// Every cluster of every profile, read from ipyparallel's own records: `profile_*/security/cluster-<id>.json`,
// which the Cluster API (ipcluster, ipyparallel >= 7) writes while any part of a cluster runs and removes
// on a clean stop, and the connection files next to it. The state comes from the recorded pids.
//
// The record, as 7.1 and 9.x write it (Cluster.to_dict; same shape in both):
//   { "cluster":    { "cluster_id", "profile_dir", "n", "controller_args", "class", ... },
//     "controller": { "class": "local", "state": { "pid", "state", "output_file", ... } },   // while it runs
//     "engines":    { "class": "mpi" | "slurm" | "local" | "<module>.<Class>",
//                     "sets": { "<set id>": { "n", "state", "pid"?, "job_id"?, "engines"?: { "<i>": { "pid" } } } } } }
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { defaultIpythonDir, listProfiles, profileDir as profileDirOf } from './discovery';
import { message } from '../messages';

/**
 * running: the recorded controller process is alive.
 * stale: files are there (a record with pids, or connection files) but the recorded processes are gone.
 * stopped: no record, or a record without any pid (nothing was started, or nothing says what runs).
 */
export type ClusterState = 'running' | 'stopped' | 'stale';

/** Where the engines run, from the record's engine launcher class. */
export type LauncherKind = 'local' | 'mpi' | 'slurm' | 'ssh' | 'pbs' | 'sge' | 'lsf' | 'htcondor' | 'windows' | 'other';

export interface ClusterRecord {
  /** The profile's name (`profile_<name>`), or the folder's name for a profile dir outside an IPython dir. */
  profile: string;
  profileDir: string;
  /** '' for the cluster `ipcluster start` makes without --cluster-id. */
  clusterId: string;
  state: ClusterState;
  /** `security/cluster-<id>.json`, when there is one. */
  recordFile?: string;
  /** `security/ipcontroller[-<id>]-client.json`, when there is one. */
  connectionFile?: string;
  /** The engine launcher class as recorded: an entry point name ('mpi') or a full class name. */
  engineLauncherClass?: string;
  launcher: LauncherKind;
  /** Engines recorded (the sum of the engine sets' `n`); 0 when unknown. */
  engineCount: number;
  controllerPid?: number;
  /** Every process id the record names (controller, engine launchers such as mpiexec, local engines). */
  pids: number[];
  /** Those of `pids` alive now (engines can outlive a killed controller). */
  livePids: number[];
  /**
   * Engines whose recorded process is gone while the controller runs (engines that died: killed, crashed,
   * out of memory). Counted from the per-engine pids (local engines) and an engine set's own pid (mpiexec:
   * its whole set); engines without a pid of their own (batch jobs) are never counted. 0 unless running.
   */
  lostEngines: number;
  /** Batch job ids of the engine sets (Slurm, PBS, ...). */
  jobIds: string[];
  /** When the cluster started (ms since the epoch), when it can be told. */
  startTime?: number;
  /**
   * The running controller's command line (`python -m ipyparallel.controller ...`), from /proc on Linux:
   * neither 7.x nor 9.x records it. Undefined when the controller is not running or /proc is not there.
   */
  command?: string[];
  /** The Python that runs the controller (the command's first word): the one to run `ipcluster stop` with. */
  python?: string;
  /** The controller's and engines' output files the record names (their logs), controller first. */
  outputFiles: string[];
}

/**
 * Tells whether a process runs: process.kill(pid, 0), where EPERM (someone else's process) counts as alive.
 * On Linux a zombie (exited, not yet reaped: orphans wait for PID 1) counts as gone.
 */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name in parentheses, which may itself hold ') '.
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false; // no /proc (not Linux), or it just went away: kill() said it exists
  }
}

const LAUNCHER_KINDS: readonly [RegExp, LauncherKind][] = [
  [/mpi/i, 'mpi'],
  [/slurm/i, 'slurm'],
  [/ssh/i, 'ssh'],
  [/pbs|torque/i, 'pbs'],
  [/sge/i, 'sge'],
  [/lsf/i, 'lsf'],
  [/htcondor|condor/i, 'htcondor'],
  [/windows|winhpc/i, 'windows'],
  [/^local$|^Local\w*Launcher$/i, 'local'],
];

/** 'mpi' for 'mpi' or 'ipyparallel.cluster.launcher.MPIEngineSetLauncher', 'other' when unknown. */
export function launcherKind(launcherClass: string | undefined): LauncherKind {
  if (!launcherClass) return 'other';
  // Only the class part of a dotted path names the launcher (a module path may mention anything).
  const name = launcherClass.split('.').pop() ?? launcherClass;
  for (const [re, kind] of LAUNCHER_KINDS) if (re.test(name)) return kind;
  return 'other';
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function pidOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** A process's argv from /proc (Linux), or undefined. */
function procCommand(pid: number): string[] | undefined {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
    return argv.length > 0 ? argv : undefined;
  } catch {
    return undefined;
  }
}

/** What one parsed record says, independent of the files around it. */
export interface RecordContents {
  clusterId?: string;
  engineLauncherClass?: string;
  engineCount: number;
  controllerPid?: number;
  pids: number[];
  jobIds: string[];
  /** The processes engines run in, each with the number of engines it holds (1 for a local engine, n for mpiexec). */
  engineProcesses: { pid: number; engines: number }[];
  /** The earliest engine set id that is a time stamp (set ids are `<seconds>` or `<seconds>-<i>`), in ms. */
  firstEngineSetTime?: number;
  /** `output_file` of the controller, the engine sets and their engines, in that order, without duplicates. */
  outputFiles: string[];
}

/** Reads the fields we use from a parsed cluster-<id>.json (7.x and 9.x). Unknown shapes give empty fields. */
export function readRecord(json: unknown): RecordContents {
  const root = obj(json) ?? {};
  const cluster = obj(root.cluster) ?? {};
  const controllerState = obj(obj(root.controller)?.state) ?? {};
  const engines = obj(root.engines) ?? {};
  const controllerPid = pidOf(controllerState.pid);
  const outputFiles: string[] = [];
  const addOutput = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length < 4096 && outputFiles.push(v);
  addOutput(controllerState.output_file);
  const pids = controllerPid ? [controllerPid] : [];
  const jobIds: string[] = [];
  const engineProcesses: { pid: number; engines: number }[] = [];
  let engineCount = 0;
  const setTimes = Object.keys(obj(engines.sets) ?? {}).flatMap((id) => (/^\d{9,11}(?:-\d+)?$/.test(id) ? [Number(id.split('-')[0]) * 1000] : []));
  for (const set of Object.values(obj(engines.sets) ?? {})) {
    const s = obj(set) ?? {};
    const perEngine = Object.values(obj(s.engines) ?? {}).map((e) => obj(e) ?? {});
    const setCount = typeof s.n === 'number' && s.n > 0 ? s.n : perEngine.length;
    engineCount += setCount;
    const setPid = pidOf(s.pid);
    if (setPid) pids.push(setPid);
    addOutput(s.output_file);
    const before = engineProcesses.length;
    for (const e of perEngine) {
      const p = pidOf(e.pid);
      if (p) {
        pids.push(p);
        engineProcesses.push({ pid: p, engines: 1 });
      }
      addOutput(e.output_file);
    }
    if (engineProcesses.length === before && setPid) engineProcesses.push({ pid: setPid, engines: setCount });
    if (typeof s.job_id === 'string' && s.job_id) jobIds.push(s.job_id);
  }
  return {
    clusterId: typeof cluster.cluster_id === 'string' ? cluster.cluster_id : undefined,
    engineLauncherClass: typeof engines.class === 'string' ? engines.class : undefined,
    engineCount,
    controllerPid,
    pids: [...new Set(pids)],
    jobIds,
    engineProcesses,
    firstEngineSetTime: setTimes.length > 0 ? Math.min(...setTimes) : undefined,
    outputFiles: [...new Set(outputFiles)],
  };
}

/** The state a record's pids give: running while the controller lives, stale once it is gone. */
export function stateOf(contents: RecordContents | undefined, alive: (pid: number) => boolean = isPidAlive): ClusterState {
  if (contents?.controllerPid !== undefined && alive(contents.controllerPid)) return 'running';
  return contents && contents.pids.length > 0 ? 'stale' : 'stopped';
}

/** The engines of the record whose process is gone. */
export function lostEngines(contents: Pick<RecordContents, 'engineProcesses'> | undefined, alive: (pid: number) => boolean = isPidAlive): number {
  let n = 0;
  for (const p of contents?.engineProcesses ?? []) if (!alive(p.pid)) n += p.engines;
  return n;
}

const MAX_RECORD_BYTES = 1024 * 1024;
const RECORD_FILE = /^cluster-(.*)\.json$/;
const CLIENT_FILE = /^ipcontroller(?:-(.+))?-client\.json$/;

function recordPath(profileDir: string, clusterId: string): string {
  return join(profileDir, 'security', `cluster-${clusterId}.json`);
}

function connectionPath(profileDir: string, clusterId: string, kind: 'client' | 'engine'): string {
  return join(profileDir, 'security', clusterId ? `ipcontroller-${clusterId}-${kind}.json` : `ipcontroller-${kind}.json`);
}

function fileTime(path: string): number | undefined {
  try {
    const st = statSync(path);
    // ipyparallel rewrites the record in place (same inode): its birth time is the cluster's start.
    return st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs;
  } catch {
    return undefined;
  }
}

/** `<seconds>-<suffix>`: the Cluster API's default id holds its start time. */
function idTime(clusterId: string): number | undefined {
  const m = /^(\d{9,11})-[a-z0-9]+$/i.exec(clusterId);
  return m ? Number(m[1]) * 1000 : undefined;
}

/** The cluster ids of a profile: from records and from client connection files. */
function clusterIdsIn(profileDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(join(profileDir, 'security'));
  } catch {
    return [];
  }
  const ids = new Set<string>();
  for (const name of names) {
    const m = RECORD_FILE.exec(name) ?? CLIENT_FILE.exec(name);
    if (m) ids.add(m[1] ?? '');
  }
  return [...ids].sort();
}

/** One cluster's record, read now. `alive` decides pid liveness (default: process.kill(pid, 0)). */
export function readClusterRecord(profileDir: string, clusterId: string, profile = profileName(profileDir), alive = isPidAlive): ClusterRecord {
  const recordFile = recordPath(profileDir, clusterId);
  const client = connectionPath(profileDir, clusterId, 'client');
  let contents: RecordContents | undefined;
  let hasRecord = false;
  try {
    // A record is 1-2 KB; a huge file there is not one of ipyparallel's, and is not read whole.
    if (statSync(recordFile).size > MAX_RECORD_BYTES) throw new Error('too large'); // internal: caught below, as no record
    hasRecord = true;
    contents = readRecord(JSON.parse(readFileSync(recordFile, 'utf8')));
  } catch {
    // none, or half written / broken: treated as no record
  }
  const connectionFile = existsSync(client) ? client : undefined;
  const state = stateOf(contents, alive);
  const command = state === 'running' && contents?.controllerPid ? procCommand(contents.controllerPid) : undefined;
  const times = [fileTime(recordFile), contents?.firstEngineSetTime].filter((t): t is number => t !== undefined);
  return {
    profile,
    profileDir,
    clusterId,
    state,
    recordFile: hasRecord ? recordFile : undefined,
    connectionFile,
    engineLauncherClass: contents?.engineLauncherClass,
    launcher: launcherKind(contents?.engineLauncherClass),
    engineCount: contents?.engineCount ?? 0,
    controllerPid: contents?.controllerPid,
    pids: contents?.pids ?? [],
    livePids: (contents?.pids ?? []).filter((p) => alive(p)),
    lostEngines: state === 'running' ? lostEngines(contents, alive) : 0,
    jobIds: contents?.jobIds ?? [],
    // The record is written when the controller starts and rewritten in place; engine sets start ~1 s later.
    startTime: idTime(clusterId) ?? (times.length > 0 ? Math.min(...times) : undefined) ?? (connectionFile ? fileTime(connectionFile) : undefined),
    command,
    python: command?.[0],
    outputFiles: contents?.outputFiles ?? [],
  };
}

function profileName(profileDir: string): string {
  const name = basename(profileDir);
  return name.startsWith('profile_') ? name.slice('profile_'.length) : name;
}

/** A folder is a profile dir when it has a `security` folder or is named `profile_*`. */
function isProfileDir(dir: string): boolean {
  return basename(dir).startsWith('profile_') || existsSync(join(dir, 'security'));
}

export interface ListClusterRecordsOptions {
  /** Default: $IPYTHONDIR or ~/.ipython. */
  ipythonDir?: string;
  /** More IPython dirs or profile dirs (told apart by a `security` folder or a `profile_` name). */
  extraDirs?: readonly string[];
  alive?: (pid: number) => boolean;
}

/** Every cluster of every profile, in profile order then by cluster id. Never throws for unreadable folders. */
export function listClusterRecords(opts: ListClusterRecordsOptions = {}): ClusterRecord[] {
  const profileDirs: string[] = [];
  for (const dir of [opts.ipythonDir ?? defaultIpythonDir(), ...(opts.extraDirs ?? [])]) {
    if (isProfileDir(dir)) profileDirs.push(dir);
    else profileDirs.push(...listProfiles(dir).map((p) => profileDirOf(dir, p)));
  }
  const out: ClusterRecord[] = [];
  for (const pdir of [...new Set(profileDirs)]) {
    for (const id of clusterIdsIn(pdir)) out.push(readClusterRecord(pdir, id, profileName(pdir), opts.alive));
  }
  return out;
}

/** Thrown by removeStaleClusterFiles when the cluster is not stale now, or some of its processes still run. */
export class ClusterNotStaleError extends Error {
  constructor(readonly record: ClusterRecord) {
    const what = message('clusterOfProfile', record.clusterId || message('defaultClusterId'), record.profile);
    super(record.state === 'stale' ? message('clusterStillRuns', what, record.livePids.join(', ')) : message('clusterNotStale', what, record.state));
    this.name = 'ClusterNotStaleError';
  }
}

/**
 * Deletes the files of a stale cluster: its record and its client and engine connection files (logs stay).
 * Reads the record again first and refuses (ClusterNotStaleError) unless it is still stale and none of its
 * recorded processes runs, so a cluster that was restarted meanwhile keeps its files. Returns the files it removed.
 */
export function removeStaleClusterFiles(record: Pick<ClusterRecord, 'profileDir' | 'clusterId' | 'profile'>, alive = isPidAlive): string[] {
  // The id becomes part of file names: one from elsewhere must not reach outside the security folder.
  if (/[/\\\0]|^\.\.?$/.test(record.clusterId)) throw new Error(message('notAClusterId', record.clusterId));
  const now = readClusterRecord(record.profileDir, record.clusterId, record.profile, alive);
  if (now.state !== 'stale' || now.livePids.length > 0) throw new ClusterNotStaleError(now);
  const files = [recordPath(record.profileDir, record.clusterId), connectionPath(record.profileDir, record.clusterId, 'client'), connectionPath(record.profileDir, record.clusterId, 'engine')];
  const removed: string[] = [];
  for (const f of files) {
    try {
      unlinkSync(f);
      removed.push(f);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return removed;
}
