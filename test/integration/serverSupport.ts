// Helpers for the language-server integration tests: start the server as a real process over stdio, drive
// it with vscode-languageserver-protocol, and wait for its notifications with deadlines.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  createProtocolConnection,
  InitializeRequest,
  InitializedNotification,
  ExitNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  PublishDiagnosticsNotification,
  DidOpenTextDocumentNotification,
  type Diagnostic,
  type ProtocolConnection,
  type InitializeResult,
} from 'vscode-languageserver-protocol/node';
import {
  EnginesChangedNotification,
  OutputNotification,
  SERVER_ENV,
  SERVER_NODE_ARGS,
  StateChangedNotification,
  StatusChangedNotification,
  TasksChangedNotification,
  type EnginesChangedParams,
  type OutputParamsItem,
  type RunSummary,
  type ServerSettings,
  type StateChangedParams,
  type StatusResult,
} from '../../src/shared/protocol';
import { repoRoot } from '../unit/support/fixtures';

/** The compiled server (out/src/server/main.js), or IPP_SERVER_JS (e.g. the bundle dist/server.js). */
export function serverScript(): string {
  const override = process.env.IPP_SERVER_JS;
  if (override) return override;
  const compiled = join(repoRoot, 'out', 'src', 'server', 'main.js');
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run npx tsc -p tsconfig.test.json`);
  return compiled;
}

/** Everything the server sent, kept in arrival order, with a way to wait for what a test expects. */
export class ServerUnderTest {
  readonly states: StateChangedParams[] = [];
  readonly engines: EnginesChangedParams[] = [];
  readonly runs: { runs: RunSummary[]; removed: string[] }[] = [];
  readonly outputs: OutputParamsItem[][] = [];
  /** The sessionId of each ipp/output notification in `outputs` (undefined: the default session). */
  readonly outputSessions: (string | undefined)[] = [];
  readonly statuses: StatusResult[] = [];
  readonly diagnostics = new Map<string, Diagnostic[][]>();
  /** Count of each notification method, for batching assertions. */
  readonly counts = new Map<string, number>();
  stderr = '';
  /** The server's log lines (window/logMessage), the last 2000. */
  readonly logs: string[] = [];
  #waiters = new Set<() => void>();
  #exited: Promise<number | null>;
  #version = new Map<string, number>();

  private constructor(
    readonly connection: ProtocolConnection,
    readonly proc: ChildProcess,
  ) {
    this.#exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    const record = <T>(method: string, list: T[]) => (p: T) => {
      list.push(p);
      this.#bump(method);
    };
    connection.onNotification(StateChangedNotification, record(StateChangedNotification.method, this.states));
    connection.onNotification(EnginesChangedNotification, record(EnginesChangedNotification.method, this.engines));
    connection.onNotification(TasksChangedNotification, record(TasksChangedNotification.method, this.runs));
    connection.onNotification(StatusChangedNotification, record(StatusChangedNotification.method, this.statuses));
    connection.onNotification(OutputNotification, (p) => {
      this.outputs.push(p.items);
      this.outputSessions.push(p.sessionId);
      this.#bump(OutputNotification.method);
    });
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      const list = this.diagnostics.get(p.uri) ?? [];
      list.push(p.diagnostics);
      this.diagnostics.set(p.uri, list);
      this.#bump(PublishDiagnosticsNotification.method);
    });
    connection.onNotification('window/logMessage', (p: { message: string }) => {
      this.logs.push(p.message);
      if (this.logs.length > 2000) this.logs.shift();
    });
  }

  /** Spawns `node <server> --stdio` and completes the LSP initialize handshake. */
  static async start(settings: Partial<ServerSettings> = {}): Promise<{ server: ServerUnderTest; init: InitializeResult }> {
    // Started as the extension starts it: its Node flags and environment.
    const proc = spawn(process.execPath, [...SERVER_NODE_ARGS, serverScript(), '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...SERVER_ENV } });
    const connection = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const server = new ServerUnderTest(connection, proc);
    proc.stderr!.on('data', (d: Buffer) => (server.stderr += d.toString()));
    connection.listen();
    try {
      const init = await connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: null,
        capabilities: { textDocument: { hover: { contentFormat: ['markdown'] } } },
        initializationOptions: settings,
      });
      await connection.sendNotification(InitializedNotification.type, {});
      return { server, init };
    } catch (e) {
      await server.close();
      throw e;
    }
  }

  #bump(method: string): void {
    this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
    for (const w of [...this.#waiters]) w();
  }

  /** Resolves with check()'s value once it is truthy, re-checking on every notification; rejects after timeoutMs. */
  until<T>(check: () => T | undefined | false | null, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const test = () => {
        const v = check();
        if (v) {
          this.#waiters.delete(test);
          clearTimeout(timer);
          resolve(v as T);
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(test);
        reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}\nserver stderr:\n${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.#waiters.add(test);
      test();
    });
  }

  /** The latest summary of a run from ipp/tasksChanged. */
  lastRun(runId: string): RunSummary | undefined {
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const r = this.runs[i].runs.find((x) => x.runId === runId);
      if (r) return r;
    }
    return undefined;
  }

  /** The diagnostics last published for a document. */
  lastDiagnostics(uri: string): Diagnostic[] | undefined {
    const list = this.diagnostics.get(uri);
    return list?.[list.length - 1];
  }

  async open(uri: string, text: string): Promise<void> {
    this.#version.set(uri, 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'python', version: 1, text } });
  }

  /** Replaces the whole text of an open document (a didChange). */
  async change(uri: string, text: string): Promise<void> {
    const version = (this.#version.get(uri) ?? 1) + 1;
    this.#version.set(uri, version);
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** shutdown + exit, then waits for the process; kills it by pid if it does not leave in time. */
  async close(): Promise<void> {
    if (this.running) {
      try {
        await withTimeout(this.connection.sendRequest(ShutdownRequest.type), 10_000);
        await this.connection.sendNotification(ExitNotification.type);
      } catch {
        // fall through to the kill
      }
      const code = await withTimeout(this.#exited, 10_000).catch(() => undefined);
      if (code === undefined && this.running) {
        this.proc.kill('SIGKILL');
        await this.#exited;
      }
    }
    this.connection.dispose();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

/** A document text with each snippet starting at its zero-based line; other lines are comments. */
export function documentWith(snippets: [code: string, at: number][], totalLines?: number): string {
  const end = Math.max(...snippets.map(([code, at]) => at + code.split('\n').length));
  const lines = Array.from({ length: Math.max(totalLines ?? 0, end + 5) }, (_, i) => `# line ${i}`);
  for (const [code, at] of snippets) code.split('\n').forEach((l, i) => (lines[at + i] = l));
  return lines.join('\n') + '\n';
}
