// Options and result types of the cluster harness.

export type ClusterMode = 'ipcluster' | 'separate';

export interface ClusterOptions {
  /** Engines to start and wait for. Default 2. */
  engines?: number;
  /**
   * 'ipcluster' (default): `ipcluster start -n N`, as users run it. Killing its controller makes ipcluster
   * stop the engines and exit, as in real life; restartController() then starts a fresh ipcluster.
   * 'separate': ipcontroller and each ipengine are our own children; the usual choice for fault tests.
   */
  mode?: ClusterMode;
  /** Profile name. Default 'default'. */
  profile?: string;
  /** Cluster id. Default '' (the id `ipcluster start` uses), so the file is ipcontroller-client.json. */
  clusterId?: string;
  /** Extra ipcontroller arguments, e.g. ['--DictDB.record_limit=100000'] or ['--nodb']. */
  controllerArgs?: string[];
  /** Extra ipengine arguments (engines the harness starts itself). */
  engineArgs?: string[];
  /** Extra environment for every process (IPYTHONDIR is always set to the temp dir). */
  env?: Record<string, string>;
  /** Deadline for the connection file plus engine registration. Default 90 s. */
  startTimeoutMs?: number;
  /**
   * Which ipyparallel: '9' puts the vendored 9.x first on PYTHONPATH for every process of the cluster,
   * '7' checks for 7.x. Default: env IPP_VERSION_UNDER_TEST; unset runs the interpreter's own, unchecked.
   */
  ippVersion?: '7' | '9';
  /** Interpreter with ipyparallel. Default findIpyparallelPython(). */
  python?: string;
  /** Keep the temp IPYTHONDIR (and its logs) after stop(). Default: env IPP_HARNESS_KEEP=1. */
  keepDir?: boolean;
  /** Grace period for SIGTERM in stop() before SIGKILL. Default 5 s. */
  stopGraceMs?: number;
}

/** One engine process: the kernel that runs code, and its nanny (PROTOCOL.md §8). */
export interface EngineProcess {
  /** Position in start order; stable for the cluster's lifetime (not the Hub's engine id). */
  index: number;
  /** The kernel (IPEngine) process: the one that runs code and that killEngine() kills. */
  pid: number;
  /** The nanny: a child of the kernel in its own session, relays signal_request, reports the kernel's death. */
  nannyPid?: number;
  /** 'ipcluster' when ipcluster launched it, 'harness' when startEngines() did. */
  source: 'ipcluster' | 'harness';
  alive: boolean;
  /** The output of this engine (where "Completed registration with id N" appears). */
  logFile?: string;
}
