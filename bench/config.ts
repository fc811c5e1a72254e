/**
 * Benchmark settings, from environment variables so a quick run (or a longer, steadier one) needs no code
 * change. The defaults meet issue 7: five repetitions of each measurement and the task counts it names.
 */
export interface BenchConfig {
  /** Repetitions of every measurement per client (BENCH_REPS, default 5, at least 1). */
  reps: number;
  /** Sequential executes per latency repetition; the metric is their median (BENCH_LATENCY_SAMPLES, 200). */
  latencySamples: number;
  /** Samples per repetition of the execute-to-first-output measurement (BENCH_OUTPUT_SAMPLES, 50). */
  outputSamples: number;
  /** Load-balanced tasks per throughput repetition (BENCH_LB_TASKS, 2000). */
  lbTasks: number;
  /** Executes on all engines per throughput repetition (BENCH_ALL_EXECUTES, 2000; tasks = this x engines). */
  allExecutes: number;
  /** Tasks tracked by the server in the scale measurement (BENCH_SCALE_TASKS, 10000; 0 skips it). */
  scaleTasks: number;
  /** Scale runs are submitted in waves of this many, each awaited (BENCH_SCALE_WAVE, 500). */
  scaleWave: number;
  /** Idle wait before the settled server RSS is read in the scale measurement (BENCH_SCALE_SETTLE_MS, 10000). */
  scaleSettleMs: number;
  /** Load-balanced tasks in the soak, one engine killed halfway (BENCH_SOAK_TASKS, 10000; 0 skips it). */
  soakTasks: number;
  /** Clients that run the soak (BENCH_SOAK_CLIENTS, default core,lsp; python is also accepted). */
  soakClients: ('core' | 'lsp' | 'python')[];
  /** Fresh extension hosts for the activation time (BENCH_ACTIVATION_REPS, default BENCH_REPS; 0 skips). */
  activationReps: number;
  /** Synthetic tasks the timeline webview is loaded with (BENCH_TIMELINE_TASKS, 10000; 0 skips), over 64 engines. */
  timelineTasks: number;
  /** Engines of the many-engine measure's own cluster (BENCH_WIDE_ENGINES, 64; 0 skips it). */
  wideEngines: number;
  /** Repetitions of the many-engine measure per client (BENCH_WIDE_REPS, 3). */
  wideReps: number;
  /** Executes on all engines per repetition there; the value is their median (BENCH_WIDE_EXEC_SAMPLES, 10). */
  wideExecSamples: number;
  /** Lines each engine prints in the many-engine print run (BENCH_WIDE_LINES, 2000). */
  wideLines: number;
  /** Print runs per repetition; the value is their median (BENCH_WIDE_PRINT_SAMPLES, 3). */
  widePrintSamples: number;
  /** MB printed by one task in the big-output measure (BENCH_BIG_MB, 50; 0 skips it). */
  bigMb: number;
  /** Package every target and report the .vsix sizes (BENCH_PACKAGES, default 1; 0 skips: one vsce run per target). */
  packages: boolean;
  /** Ctrl+Alt+Enter presses per output surface in the GUI latency measure (BENCH_GUI_PRESSES, 24; 0 skips it). */
  guiPresses: number;
  /** Output surfaces the GUI latency measure times (BENCH_GUI_SURFACES, default resultsView,outputChannel). */
  guiSurfaces: ('resultsView' | 'outputChannel')[];
  /** Engines in the bench cluster (BENCH_ENGINES, 2). */
  engines: number;
  /** The hub's DictDB record limit for the bench cluster (BENCH_RECORD_LIMIT, 100000). */
  recordLimit: number;
  /** Profile the clients when a target is missed: auto (default), always, never (BENCH_PROFILE). */
  profile: 'auto' | 'always' | 'never';
  /** Only these metric groups, comma-separated (BENCH_ONLY, e.g. "latency,lb"); empty = all. */
  only: Set<string>;
  /** Write bench/results/latest.md (BENCH_WRITE, default 1; 0 prints the table only). */
  write: boolean;
  /** Deadline for one throughput repetition, ms (BENCH_TIMEOUT_MS, 300000). */
  timeoutMs: number;
}

export const METRIC_GROUPS = ['latency', 'output', 'lb', 'all', 'connect', 'big', 'scale', 'soak', 'wide', 'extension', 'timeline', 'gui'] as const;
export type MetricGroup = (typeof METRIC_GROUPS)[number];

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, not ${JSON.stringify(raw)}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const profile = env.BENCH_PROFILE ?? 'auto';
  if (profile !== 'auto' && profile !== 'always' && profile !== 'never') {
    throw new Error(`BENCH_PROFILE must be auto, always or never, not ${JSON.stringify(profile)}`);
  }
  const only = new Set((env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  for (const g of only) {
    if (!(METRIC_GROUPS as readonly string[]).includes(g)) throw new Error(`BENCH_ONLY: unknown group ${g} (known: ${METRIC_GROUPS.join(', ')})`);
  }
  const soakClients = (env.BENCH_SOAK_CLIENTS ?? 'core,lsp').split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of soakClients) {
    if (c !== 'core' && c !== 'lsp' && c !== 'python') throw new Error(`BENCH_SOAK_CLIENTS: unknown client ${c} (core, lsp, python)`);
  }
  const guiSurfaces = (env.BENCH_GUI_SURFACES ?? 'resultsView,outputChannel').split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of guiSurfaces) {
    if (s !== 'resultsView' && s !== 'outputChannel') throw new Error(`BENCH_GUI_SURFACES: unknown surface ${s} (resultsView, outputChannel)`);
  }
  const reps = int(env, 'BENCH_REPS', 5, 1);
  return {
    reps,
    latencySamples: int(env, 'BENCH_LATENCY_SAMPLES', 200, 1),
    outputSamples: int(env, 'BENCH_OUTPUT_SAMPLES', 50, 1),
    lbTasks: int(env, 'BENCH_LB_TASKS', 2000, 1),
    allExecutes: int(env, 'BENCH_ALL_EXECUTES', 2000, 1),
    scaleTasks: int(env, 'BENCH_SCALE_TASKS', 10_000, 0),
    scaleWave: int(env, 'BENCH_SCALE_WAVE', 500, 1),
    scaleSettleMs: int(env, 'BENCH_SCALE_SETTLE_MS', 10_000, 0),
    soakTasks: int(env, 'BENCH_SOAK_TASKS', 10_000, 0),
    soakClients: soakClients as BenchConfig['soakClients'],
    activationReps: int(env, 'BENCH_ACTIVATION_REPS', reps, 0),
    timelineTasks: int(env, 'BENCH_TIMELINE_TASKS', 10_000, 0),
    wideEngines: int(env, 'BENCH_WIDE_ENGINES', 64, 0),
    wideReps: int(env, 'BENCH_WIDE_REPS', 3, 1),
    wideExecSamples: int(env, 'BENCH_WIDE_EXEC_SAMPLES', 10, 1),
    wideLines: int(env, 'BENCH_WIDE_LINES', 2000, 1),
    widePrintSamples: int(env, 'BENCH_WIDE_PRINT_SAMPLES', 3, 1),
    bigMb: int(env, 'BENCH_BIG_MB', 50, 0),
    packages: (env.BENCH_PACKAGES ?? '1') !== '0',
    guiPresses: int(env, 'BENCH_GUI_PRESSES', 24, 0),
    guiSurfaces: guiSurfaces as BenchConfig['guiSurfaces'],
    engines: int(env, 'BENCH_ENGINES', 2, 2),
    recordLimit: int(env, 'BENCH_RECORD_LIMIT', 100_000, 1024),
    profile,
    only,
    write: (env.BENCH_WRITE ?? '1') !== '0',
    timeoutMs: int(env, 'BENCH_TIMEOUT_MS', 300_000, 1000),
  };
}

export function wants(config: BenchConfig, group: MetricGroup): boolean {
  return config.only.size === 0 || config.only.has(group);
}
