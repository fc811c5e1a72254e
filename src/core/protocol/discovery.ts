import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidNameError } from './errors';
import { message } from '../messages';

/** One cluster found on disk. */
export interface FoundCluster {
  profile: string;
  /** '' for the default cluster that `ipcluster start` makes. */
  clusterId: string;
  profileDir: string;
  connectionFile: string;
  /** When the connection file was last written (ms since epoch). */
  modified: number;
  /** The controller's pid from `cluster-<id>.json`, when the Cluster API recorded one. */
  controllerPid?: number;
  /** Engine count recorded in `cluster-<id>.json`, when known. */
  engineCount?: number;
}

/** `$IPYTHONDIR`, or `~/.ipython`, as IPython resolves it. */
export function defaultIpythonDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.IPYTHONDIR;
  if (dir) return dir.startsWith('~') ? join(homedir(), dir.slice(1)) : dir;
  return join(homedir(), '.ipython');
}

const NAME = /^[A-Za-z0-9_.-]*$/;

/**
 * Throws InvalidNameError unless `value` is a plain name: letters, digits, `_`, `.` and `-`, never `..`
 * (and not empty unless `allowEmpty`). Profiles and cluster ids become parts of a path, so a name like
 * `x/../../tmp/evil` from an untrusted workspace must not reach `path.join`.
 */
export function checkName(field: 'profile' | 'clusterId', value: string, allowEmpty = false): string {
  if (value === '' && !allowEmpty) throw new InvalidNameError(field, message('nameEmpty', field));
  if (!NAME.test(value)) throw new InvalidNameError(field, message('nameNotPlain', field, JSON.stringify(value.slice(0, 80))));
  if (value.includes('..')) throw new InvalidNameError(field, message('nameDotDot', field, JSON.stringify(value.slice(0, 80))));
  return value;
}

export function profileDir(ipythonDir: string, profile = 'default'): string {
  return join(ipythonDir, `profile_${checkName('profile', profile)}`);
}

/** The client connection file's path, as ipyparallel names it. Profile and cluster id must be plain names. */
export function connectionFilePath(ipythonDir: string, profile = 'default', clusterId = ''): string {
  checkName('clusterId', clusterId, true);
  const name = clusterId ? `ipcontroller-${clusterId}-client.json` : 'ipcontroller-client.json';
  return join(profileDir(ipythonDir, profile), 'security', name);
}

/** Every profile directory under the IPython dir, by name. */
export function listProfiles(ipythonDir: string = defaultIpythonDir()): string[] {
  if (!existsSync(ipythonDir)) return [];
  return readdirSync(ipythonDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name.startsWith('profile_'))
    .map((d) => d.name.slice('profile_'.length))
    .sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)));
}

const CLIENT_FILE = /^ipcontroller(?:-(.+))?-client\.json$/;

/** Every client connection file in every profile, newest first within a profile. */
export function listClusters(ipythonDir: string = defaultIpythonDir()): FoundCluster[] {
  const found: FoundCluster[] = [];
  for (const profile of listProfiles(ipythonDir)) {
    // a directory on disk, not a setting: listed whatever its name (profileDir would refuse odd names)
    const pdir = join(ipythonDir, `profile_${profile}`);
    const sec = join(pdir, 'security');
    let names: string[];
    try {
      names = readdirSync(sec);
    } catch {
      continue;
    }
    const clusters: FoundCluster[] = [];
    for (const name of names) {
      const m = CLIENT_FILE.exec(name);
      if (!m) continue;
      const clusterId = m[1] ?? '';
      const connectionFile = join(sec, name);
      let modified = 0;
      try {
        modified = statSync(connectionFile).mtimeMs;
      } catch {
        continue;
      }
      clusters.push({ profile, clusterId, profileDir: pdir, connectionFile, modified, ...readClusterState(sec, clusterId) });
    }
    clusters.sort((a, b) => b.modified - a.modified);
    found.push(...clusters);
  }
  return found;
}

function readClusterState(securityDir: string, clusterId: string): { controllerPid?: number; engineCount?: number } {
  try {
    const state = JSON.parse(readFileSync(join(securityDir, `cluster-${clusterId}.json`), 'utf8'));
    const pid = state?.controller?.state?.pid;
    let engines = 0;
    for (const set of Object.values<Record<string, unknown>>(state?.engines?.sets ?? {})) {
      const n = (set as { n?: unknown }).n;
      if (typeof n === 'number') engines += n;
    }
    return { controllerPid: typeof pid === 'number' ? pid : undefined, engineCount: engines || undefined };
  } catch {
    return {};
  }
}
