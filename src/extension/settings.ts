/**
 * The extension's settings as plain data: parsing from a getter (no `vscode` here, so it is unit
 * tested in plain Node), defaults, and the mapping to the language server's ServerSettings.
 * config.ts is the thin `vscode.workspace.getConfiguration` wrapper around this.
 */
import type { ConnectSshOptions, ServerSettings } from '../shared/protocol';
import { DEFAULT_SERVER_SETTINGS } from '../shared/protocol';

export type DefaultTargets = 'all' | 'balanced' | 'pick';
/** Where a run's output is shown as it arrives (the output channel keeps its %px log either way). */
export type OutputSurface = 'outputChannel' | 'resultsView' | 'interactiveWindow';

export interface Settings {
  /** IPython directory ('' = $IPYTHONDIR or ~/.ipython). */
  ipythonDir: string;
  profile: string;
  clusterId: string;
  /** An explicit client connection file: wins over profile and cluster id. */
  connectionFile: string;
  defaultTargets: DefaultTargets;
  /** Python interpreter with ipyparallel, for Start Local Cluster ('' = find one). */
  pythonPath: string;
  /** Seconds. */
  connectTimeout: number;
  /** Seconds. */
  requestTimeout: number;
  codeLensEnabled: boolean;
  diagnosticsEnabled: boolean;
  hoverEnabled: boolean;
  completionEnabled: boolean;
  autoConnect: boolean;
  /** `[user@]host[:port]` to tunnel through ('' = the connection file's `ssh` field, if any). */
  sshServer: string;
  /** The ssh executable ('' = `ssh` on PATH). */
  sshPath: string;
  /** Extra ssh arguments, e.g. ["-i", "~/.ssh/cluster_key"]. */
  sshArgs: string[];
  /** Megabytes of output the server keeps per task. */
  maxOutputPerTaskMB: number;
  /** Leave a cluster started from the window running when the window closes. */
  keepLocalClusterRunning: boolean;
  /** More IPython dirs (or profile dirs) whose clusters the Clusters view lists. */
  extraIpythonDirs: string[];
  outputSurface: OutputSurface;
}

export const DEFAULT_SETTINGS: Settings = {
  ipythonDir: '',
  profile: 'default',
  clusterId: '',
  connectionFile: '',
  defaultTargets: 'all',
  pythonPath: '',
  connectTimeout: DEFAULT_SERVER_SETTINGS.connectTimeoutMs / 1000,
  requestTimeout: DEFAULT_SERVER_SETTINGS.requestTimeoutMs / 1000,
  codeLensEnabled: true,
  diagnosticsEnabled: true,
  hoverEnabled: true,
  completionEnabled: true,
  autoConnect: false,
  sshServer: '',
  sshPath: '',
  sshArgs: [],
  maxOutputPerTaskMB: 32,
  keepLocalClusterRunning: false,
  extraIpythonDirs: [],
  outputSurface: 'resultsView',
};

/** Setting keys (under the `ipyparallel.` section) for each field. */
export const SETTING_KEYS: Record<keyof Settings, string> = {
  ipythonDir: 'ipythonDir',
  profile: 'profile',
  clusterId: 'clusterId',
  connectionFile: 'connectionFile',
  defaultTargets: 'defaultTargets',
  pythonPath: 'pythonPath',
  connectTimeout: 'connectTimeout',
  requestTimeout: 'requestTimeout',
  codeLensEnabled: 'codeLens.enabled',
  diagnosticsEnabled: 'diagnostics.enabled',
  hoverEnabled: 'hover.enabled',
  completionEnabled: 'completion.enabled',
  autoConnect: 'autoConnect',
  sshServer: 'ssh.server',
  sshPath: 'ssh.path',
  sshArgs: 'ssh.args',
  maxOutputPerTaskMB: 'maxOutputPerTaskMB',
  keepLocalClusterRunning: 'keepLocalClusterRunning',
  extraIpythonDirs: 'extraIpythonDirs',
  outputSurface: 'outputSurface',
};

/** Settings the language server needs (a change is forwarded with workspace/didChangeConfiguration). */
export const SERVER_KEYS: readonly (keyof Settings)[] = [
  'connectTimeout',
  'requestTimeout',
  'diagnosticsEnabled',
  'hoverEnabled',
  'completionEnabled',
  'maxOutputPerTaskMB',
];

/** The shortest timeout a setting can ask for: 0 must not mean "wait forever" or "fail at once". */
export const MIN_TIMEOUT_SECONDS = 1;

const str = (v: unknown, d: string): string => (typeof v === 'string' ? v.trim() : d);
const bool = (v: unknown, d: boolean): boolean => (typeof v === 'boolean' ? v : d);
const strings = (v: unknown, d: string[]): string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.map((x: string) => x.trim()).filter(Boolean) : d;
const positive = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : d);
const oneOf = <T extends string>(v: unknown, values: readonly T[], d: T): T => (values.includes(v as T) ? (v as T) : d);
/** A number of seconds, at least MIN_TIMEOUT_SECONDS (a smaller number is raised to it). */
const timeout = (v: unknown, d: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? Math.max(MIN_TIMEOUT_SECONDS, v) : Math.max(MIN_TIMEOUT_SECONDS, d);

/** Reads every setting through `get(key)`, falling back to the default for a missing or mistyped value. */
export function readSettings(get: (key: string) => unknown): Settings {
  const d = DEFAULT_SETTINGS;
  const k = SETTING_KEYS;
  const targets = get(k.defaultTargets);
  return {
    ipythonDir: str(get(k.ipythonDir), d.ipythonDir),
    profile: str(get(k.profile), d.profile) || d.profile,
    clusterId: str(get(k.clusterId), d.clusterId),
    connectionFile: str(get(k.connectionFile), d.connectionFile),
    defaultTargets: targets === 'all' || targets === 'balanced' || targets === 'pick' ? targets : d.defaultTargets,
    pythonPath: str(get(k.pythonPath), d.pythonPath),
    connectTimeout: timeout(get(k.connectTimeout), d.connectTimeout),
    requestTimeout: timeout(get(k.requestTimeout), d.requestTimeout),
    codeLensEnabled: bool(get(k.codeLensEnabled), d.codeLensEnabled),
    diagnosticsEnabled: bool(get(k.diagnosticsEnabled), d.diagnosticsEnabled),
    hoverEnabled: bool(get(k.hoverEnabled), d.hoverEnabled),
    completionEnabled: bool(get(k.completionEnabled), d.completionEnabled),
    autoConnect: bool(get(k.autoConnect), d.autoConnect),
    sshServer: str(get(k.sshServer), d.sshServer),
    sshPath: str(get(k.sshPath), d.sshPath),
    sshArgs: strings(get(k.sshArgs), d.sshArgs),
    maxOutputPerTaskMB: positive(get(k.maxOutputPerTaskMB), d.maxOutputPerTaskMB),
    keepLocalClusterRunning: bool(get(k.keepLocalClusterRunning), d.keepLocalClusterRunning),
    extraIpythonDirs: strings(get(k.extraIpythonDirs), d.extraIpythonDirs),
    outputSurface: oneOf(get(k.outputSurface), ['outputChannel', 'resultsView', 'interactiveWindow'] as const, d.outputSurface),
  };
}

export function toServerSettings(s: Settings, trusted = true): ServerSettings {
  return {
    ...DEFAULT_SERVER_SETTINGS,
    evaluate: trusted,
    maxOutputBytesPerTask: Math.round(s.maxOutputPerTaskMB * 1024 * 1024),
    diagnostics: s.diagnosticsEnabled,
    hover: s.hoverEnabled,
    completion: s.completionEnabled,
    connectTimeoutMs: Math.round(s.connectTimeout * 1000),
    requestTimeoutMs: Math.round(s.requestTimeout * 1000),
  };
}

/** The ipp/connect params the settings describe: the connection file if set, else profile + cluster id. */
export function connectParamsFromSettings(
  s: Settings,
): { connectionFile: string } | { profile: string; clusterId: string; ipythonDir?: string } {
  if (s.connectionFile) return { connectionFile: s.connectionFile };
  return { profile: s.profile, clusterId: s.clusterId, ...(s.ipythonDir ? { ipythonDir: s.ipythonDir } : {}) };
}

/** The SSH tunnel options of ipp/connect that the settings set (none when all are empty). */
export function sshOptionsFromSettings(s: Settings): ConnectSshOptions {
  return {
    ...(s.sshServer ? { sshServer: s.sshServer } : {}),
    ...(s.sshPath ? { sshPath: s.sshPath } : {}),
    ...(s.sshArgs.length ? { sshArgs: s.sshArgs } : {}),
  };
}

/** What ipp/connect may take besides the connect timeout: an SSH tunnel waits up to 20 s for its ports. */
const CONNECT_EXTRA_MS = 20_000;
/** Slack on top of the server's own timeouts, so that the server's error (which names the cause) wins. */
export const DEADLINE_MARGIN_MS = 10_000;

/**
 * How long the extension waits for the language server to answer `method` before it cancels the request
 * and reports the server as unresponsive: the server's own timeout for that work plus a margin.
 */
export function requestDeadlineMs(method: string, s: Pick<Settings, 'connectTimeout' | 'requestTimeout'>): number {
  const own = method === 'ipp/connect' ? s.connectTimeout * 1000 + CONNECT_EXTRA_MS : s.requestTimeout * 1000;
  return Math.round(own + DEADLINE_MARGIN_MS);
}
