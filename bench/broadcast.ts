/**
 * A focused measure (not part of `npm run bench`): a silent `pass` executed on every engine, sent either
 * as one execute_request per engine on mux (what ClusterClient does for `targets: "all"`), or as one
 * execute_request to the broadcast scheduler (`broadcast` in the connection file; the request metadata
 * and the per-engine replies are those of ipyparallel's own Client: docs/ipyparallel-9.md). Both paths
 * use the same core Session and Transport and differ only in the channel and the addressing, so the
 * numbers compare the cluster's two routes, not two clients. The paths alternate sample by sample, so
 * load on the machine hits both alike.
 *
 *   npx tsc -p tsconfig.test.json && IPP_PYTHON=/usr/bin/python3 IPP_VERSION_UNDER_TEST=9 node out/bench/broadcast.js
 *
 * Settings: BENCH_BCAST_ENGINES (2), BENCH_BCAST_SAMPLES (200 sequential round trips per path),
 * BENCH_BCAST_BURST (200 runs sent at once per path, for throughput), BENCH_BCAST_REPS (3).
 */
import { performance } from 'node:perf_hooks';
import type { Channel, ConnectionInfo } from '../src/core/protocol/connectionFile';
import { Session, type Message } from '../src/core/protocol/message';
import { silentLogger } from '../src/core/log';
import { Transport } from '../src/core/transport/transport';
import { TestCluster } from '../test/integration/harness';
import { median, min } from './stats';

type Path = 'mux' | 'broadcast';

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

const CONTENT = Buffer.from(JSON.stringify({ code: 'pass', silent: true, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false }));
const EMPTY = Buffer.from('{}');

/** One link to the cluster: sends runs on all engines by either path and resolves when every engine replied. */
class Link {
  readonly #waiting = new Map<string, { left: number; done: () => void }>();
  readonly #session: Session;
  readonly #transport: Transport;
  engines: [string, number][] = [];

  constructor(info: ConnectionInfo) {
    this.#session = new Session({ key: info.key, signatureScheme: info.signatureScheme });
    this.#transport = new Transport({
      info,
      session: this.#session,
      logger: silentLogger,
      onMessage: (channel, msg) => this.#onMessage(channel, msg),
      onDrop: (channel, reason) => {
        throw new Error(`dropped a message on ${channel}: ${reason}`);
      },
    });
  }

  async connect(engines: number): Promise<void> {
    await this.#transport.subscribersReady(5_000);
    for (let attempt = 0; attempt < 60 && this.engines.length < engines; attempt++) {
      const reply = await this.#request('registration', this.#session.build('connection_request', {}));
      this.engines = Object.entries((reply.content.engines ?? {}) as Record<string, string>).map(([id, uuid]) => [uuid, Number(id)]);
      if (this.engines.length < engines) await new Promise((r) => setTimeout(r, 500));
    }
    if (this.engines.length < engines) throw new Error(`only ${this.engines.length} of ${engines} engines registered`);
  }

  /** Executes `pass` on every engine by `path`; resolves when all replied. */
  run(path: Path): Promise<void> {
    const sends: { frames: Buffer[]; id: string }[] = [];
    if (path === 'mux') {
      for (const [uuid] of this.engines) sends.push(this.#frames('execute_request', EMPTY, [uuid]));
    } else {
      const metadata = Buffer.from(JSON.stringify({ targets: this.engines, is_broadcast: true, is_coalescing: false }));
      sends.push(this.#frames('execute_request', metadata, []));
    }
    const each = path === 'mux' ? 1 : this.engines.length;
    const done = Promise.all(sends.map((s) => new Promise<void>((resolve) => this.#waiting.set(s.id, { left: each, done: resolve }))));
    for (const s of sends) this.#transport.send(path, s.frames);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${path}: not every engine replied within 30 s`)), 30_000);
    });
    return Promise.race([done, deadline]).then(() => clearTimeout(timer));
  }

  close(): void {
    this.#transport.close();
  }

  #frames(msgType: string, metadata: Buffer, routing: string[]): { frames: Buffer[]; id: string } {
    const header = this.#session.header(msgType);
    return { id: header.msg_id, frames: this.#session.frame([Buffer.from(JSON.stringify(header)), EMPTY, metadata, CONTENT], routing) };
  }

  #request(channel: Channel, out: { header: { msg_id: string }; frames: Buffer[] }): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer on ${channel}`)), 10_000);
      this.#waiting.set(out.header.msg_id, {
        left: 1,
        done: () => {
          clearTimeout(timer);
          resolve(this.#last as Message);
        },
      });
      this.#transport.send(channel, out.frames);
    });
  }

  #last: Message | undefined;

  #onMessage(channel: Channel, msg: Message): void {
    if (channel === 'iopub' || channel === 'notification') return;
    if (msg.content.status !== undefined && msg.content.status !== 'ok') throw new Error(`${channel} ${msg.header.msg_type}: ${JSON.stringify(msg.content).slice(0, 200)}`);
    // A broadcast reply's parent is "<request>_<engine uuid>"; metadata.original_msg_id names the request
    // (engines send it as '' on other replies).
    const original = msg.metadata.original_msg_id;
    const id = typeof original === 'string' && original !== '' ? original : String(msg.parent.msg_id);
    const w = this.#waiting.get(id);
    if (process.env.BENCH_BCAST_DEBUG) process.stderr.write(`${channel} ${msg.header.msg_type} parent ${String(msg.parent.msg_id)} ${w ? '' : '(unexpected)'}\n`);
    if (!w) return;
    this.#last = msg;
    if (--w.left === 0) {
      this.#waiting.delete(id);
      w.done();
    }
  }
}

async function sequential(link: Link, samples: number): Promise<Record<Path, number[]>> {
  const out: Record<Path, number[]> = { mux: [], broadcast: [] };
  for (let i = 0; i < samples; i++) {
    for (const path of i % 2 === 0 ? (['mux', 'broadcast'] as const) : (['broadcast', 'mux'] as const)) {
      const t0 = performance.now();
      await link.run(path);
      out[path].push(performance.now() - t0);
    }
  }
  return out;
}

async function burst(link: Link, path: Path, n: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => link.run(path)));
  return (n / (performance.now() - t0)) * 1000;
}

const fmt = (v: number): string => v.toFixed(2);

async function main(): Promise<void> {
  const engines = num('BENCH_BCAST_ENGINES', 2);
  const samples = num('BENCH_BCAST_SAMPLES', 200);
  const burstN = num('BENCH_BCAST_BURST', 200);
  const reps = num('BENCH_BCAST_REPS', 3);
  const cluster = await TestCluster.start({ engines });
  const link = new Link(cluster.connection());
  try {
    if (!cluster.connection().ports.broadcast) throw new Error('the connection file offers no broadcast channel');
    await link.connect(engines);
    await sequential(link, 20); // warm-up: imports, first routes
    const rows: string[] = [];
    const lat: Record<Path, number[]> = { mux: [], broadcast: [] };
    const thr: Record<Path, number[]> = { mux: [], broadcast: [] };
    for (let r = 0; r < reps; r++) {
      const s = await sequential(link, samples);
      lat.mux.push(median(s.mux));
      lat.broadcast.push(median(s.broadcast));
      for (const path of r % 2 === 0 ? (['mux', 'broadcast'] as const) : (['broadcast', 'mux'] as const)) thr[path].push(await burst(link, path, burstN));
      process.stderr.write(`rep ${r + 1}/${reps}: median mux ${fmt(median(s.mux))} ms, broadcast ${fmt(median(s.broadcast))} ms\n`);
    }
    rows.push(`| path | round trip, all ${engines} engines (ms, median of ${samples}; per rep) | best rep | runs on all engines per s (burst of ${burstN}; per rep) |`);
    rows.push('|---|---|---|---|');
    for (const path of ['mux', 'broadcast'] as const) {
      rows.push(`| ${path === 'mux' ? 'mux, one request per engine (current)' : 'broadcast scheduler, one request'} | ${lat[path].map(fmt).join(', ')} | ${fmt(min(lat[path]))} | ${thr[path].map((v) => v.toFixed(0)).join(', ')} |`);
    }
    console.log(`ipyparallel ${cluster.ippVersion}, ${engines} engines, ${new Date().toISOString()}\n`);
    console.log(rows.join('\n'));
  } finally {
    link.close();
    await cluster.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exitCode = 1;
});
