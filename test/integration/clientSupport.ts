// Helpers for the ClusterClient integration tests: event-driven waits with deadlines, a recording logger
// that checks no secret is ever logged, and a connected client for a harness cluster.
import assert from 'node:assert/strict';
import { ClusterClient, type ClusterClientOptions } from '../../src/core/client';
import type { Disposable } from '../../src/core/event';
import type { Logger } from '../../src/core/log';
import { TestCluster } from './harness';

/** A Logger that keeps every line, for assertions (and for printing when a test fails). */
export class RecordingLogger implements Logger {
  readonly lines: string[] = [];
  trace(m: string): void {
    this.lines.push(`trace ${m}`);
  }
  debug(m: string): void {
    this.lines.push(`debug ${m}`);
  }
  info(m: string): void {
    this.lines.push(`info ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error ${m}`);
  }
  /** Asserts that no logged line contains any of the secrets (keys). */
  assertNoSecrets(secrets: string[]): void {
    for (const s of secrets) {
      if (!s) continue;
      const leak = this.lines.find((l) => l.includes(s));
      assert.equal(leak, undefined, 'a log line contains the HMAC key');
    }
  }
}

/**
 * Resolves when `check()` returns a truthy value, re-checking whenever the client emits an event (and on
 * a slow tick as a safety net); rejects after `timeoutMs` naming `what`.
 */
export function until<T>(client: ClusterClient, check: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const subs: Disposable[] = [];
    const finish = (fn: () => void): void => {
      for (const s of subs) s.dispose();
      clearTimeout(timer);
      clearInterval(tick);
      fn();
    };
    const test = (): void => {
      let v: T | undefined | false;
      try {
        v = check();
      } catch (e) {
        finish(() => reject(e));
        return;
      }
      if (v) finish(() => resolve(v as T));
    };
    subs.push(client.onDidChangeState(test), client.onDidChangeEngines(test), client.onDidChangeTask(test), client.onDidDrop(test), client.onDidChangeVersion(test));
    const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`))), timeoutMs);
    const tick = setInterval(test, 250);
    test();
  });
}

/** A connected client for a harness cluster, with its engines in the model. */
export async function connectedClient(
  cluster: TestCluster,
  engines: number,
  options: Partial<ClusterClientOptions> = {},
): Promise<{ client: ClusterClient; log: RecordingLogger }> {
  const log = new RecordingLogger();
  const client = new ClusterClient({ connectionFile: cluster.connectionFile, logger: log, ...options });
  try {
    await client.connect();
    await until(client, () => client.engines().length >= engines, 30_000, `${engines} engine(s) in the model`);
  } catch (e) {
    client.dispose();
    throw e;
  }
  return { client, log };
}

/** A harness cluster and a client connected to it, shared by the tests of one file. */
export interface ClusterAndClient {
  cluster: TestCluster;
  client: ClusterClient;
  log: RecordingLogger;
}

/** Starts a cluster with `engines` engines and connects a client; stops the cluster again if the client cannot connect. */
export async function startClusterAndClient(engines: number): Promise<ClusterAndClient> {
  const cluster = await TestCluster.start({ engines });
  try {
    return { cluster, ...(await connectedClient(cluster, engines)) };
  } catch (e) {
    await cluster.stop();
    throw e;
  }
}

/** Disposes the client, checks that its log never held the key, stops the cluster (any part may be missing after a failed start). */
export async function stopClusterAndClient({ cluster, client, log }: Partial<ClusterAndClient>): Promise<void> {
  client?.dispose();
  log?.assertNoSecrets([cluster?.connection().key ?? '']);
  await cluster?.stop();
}

/** Plain text of a task's stream outputs. */
export function streamText(outputs: { kind: string; name?: string; text?: string }[], name: 'stdout' | 'stderr' = 'stdout'): string {
  return outputs
    .filter((o) => o.kind === 'stream' && o.name === name)
    .map((o) => o.text)
    .join('');
}

/**
 * For state that only a query can observe (the hub's records): retries `probe` until it returns a truthy
 * value, backing off from 50 ms to 500 ms between tries, and fails after `timeoutMs`.
 */
export async function eventually<T>(probe: () => Promise<T | false | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let pause = 50;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(500, pause * 2);
  }
}
