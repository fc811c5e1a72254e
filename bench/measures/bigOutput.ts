/**
 * Issue 16's "one big output": one task prints BENCH_BIG_MB MB (in flushed 1 MB writes, as a program that
 * logs a lot does), timed to the last byte, through the language server, core and Python's Client. The
 * language server runs as a fresh process per repetition so that its peak resident memory (VmHWM) is this
 * run's: the target is at most 3x the output it keeps (the per-task bound keeps the beginning and the end).
 */
import type { BenchClient } from '../clients/benchClient';
import { LspClient, type ServerProcessOptions } from '../clients/lspClient';
import { statusKb } from '../procfs';
import { fmt, type ClientName, type Row } from '../results';
import { median } from '../stats';
import { repeat, type Connectable, type Failure } from './repeat';

const MB = 1024 * 1024;

/** Code that prints `mb` MB of 1 KB lines, flushed every MB, then a last line. */
export function bigOutputCode(mb: number): string {
  return ['import sys', "chunk = ('x' * 1023 + '\\n') * 1024", `for i in range(${mb}):`, '    sys.stdout.write(chunk)', '    sys.stdout.flush()', "print('THE END')"].join('\n');
}

interface BigResult {
  wallMs: number;
  chars: number;
  /** Server peak RSS, MB (language server only). */
  peakMb?: number;
}

/** A language server started for each repetition (connect) and stopped after it (disconnect). */
class FreshServer implements Connectable {
  readonly name = 'lsp' as const;
  lsp: LspClient | undefined;

  constructor(
    private readonly connectionFile: string,
    private readonly engines: number,
    private readonly options: ServerProcessOptions,
  ) {}

  async connect(): Promise<void> {
    this.lsp = new LspClient(this.connectionFile, this.engines, this.options);
    await this.lsp.connect();
  }

  async disconnect(): Promise<void> {
    await this.lsp?.close();
    this.lsp = undefined;
  }
}

export async function measureBigOutput(o: {
  connectionFile: string;
  engines: number;
  engineId: number;
  mb: number;
  reps: number;
  core: BenchClient;
  python: BenchClient;
  timeoutMs: number;
  failures: Failure[];
  log: (line: string) => void;
  logFile?: string;
}): Promise<Row[]> {
  const fresh = new FreshServer(o.connectionFile, o.engines, { logFile: o.logFile });
  const code = bigOutputCode(o.mb);
  const printed = o.mb * MB + 'THE END\n'.length;
  const res = await repeat<BigResult, Connectable>({
    metric: 'big output',
    clients: [fresh, o.core, o.python],
    reps: o.reps,
    failures: o.failures,
    log: o.log,
    measure: async (c) => {
      const client = c === fresh ? fresh.lsp : (c as BenchClient);
      if (!client) throw new Error('the server is not running');
      const [s] = await client.runs(code, o.engineId, 1, o.timeoutMs);
      // Python's Client keeps everything; ours keep the beginning and the end within the per-task bound.
      if (c === o.python && s.chars !== printed) throw new Error(`Python's Client received ${s.chars} characters, not ${printed}`);
      if (s.chars < Math.min(printed, MB)) throw new Error(`${c.name} kept only ${s.chars} characters of ${printed}`);
      return { wallMs: s.wallMs, chars: s.chars, peakMb: c === fresh && fresh.lsp ? statusKb(fresh.lsp.server.pid, 'VmHWM') / 1024 : undefined };
    },
    describe: (r) => `${fmt(r.wallMs)} ms, kept ${fmt(r.chars / MB)} MB${r.peakMb !== undefined ? `, server peak ${fmt(r.peakMb)} MB` : ''}`,
  });
  const metric = `one big output: ${o.mb} MB printed by one task, to the last byte`;
  const rows: Row[] = (['core', 'lsp', 'python'] as ClientName[]).map((client) => ({
    metric,
    client,
    unit: 'ms',
    values: (res.get(client) ?? []).map((r) => r.wallMs),
    ratioVs: 'python',
    target: client === 'lsp' ? { kind: 'ratio', op: '<=', value: 0.8, vs: 'python' } : undefined,
    profile: client === 'lsp' ? 'big' : undefined,
  }));
  const lsp = res.get('lsp') ?? [];
  const keptMb = lsp.length ? median(lsp.map((r) => r.chars / MB)) : NaN;
  rows.push({
    metric: 'one big output: server peak RSS',
    client: 'server',
    unit: 'MB',
    values: lsp.flatMap((r) => (r.peakMb === undefined ? [] : [r.peakMb])),
    target: Number.isFinite(keptMb) ? { kind: 'absolute', op: '<=', value: Math.round(3 * keptMb) } : undefined,
    note: `one big output: \`sys.stdout.write\` of ${o.mb} chunks of 1 MB, each flushed, then \`print('THE END')\`, on engine ${o.engineId}; awaited to reply + idle (lsp: ipp/execute, then ipp/output notifications until ipp/tasksChanged reports the run ended, as the editor follows it); a fresh server per repetition, its VmHWM after the run; the server keeps ${fmt(keptMb)} MB of it (ipyparallel.maxOutputBytesPerTask), target 3x that`,
  });
  return rows;
}
