// The runs kept in workspace state for ipp/reattach: bounds (runs, bytes, clusters, code, msg_ids), reading
// back whatever the store holds, and the re-attach flow after a connect (only the runs the server lacks).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeHash, linesHash } from '../../src/core/codeHash';
import { KeptRuns } from '../../src/extension/keptRuns';
import { ClusterModel } from '../../src/extension/model';
import { capRuns, KEEP_LIMITS, KEPT_RUNS_KEY, keepRun, parseKept, RunStore, type KeptRun, type KeptState, type StateStore } from '../../src/extension/runStore';
import type { ReattachParams, ReattachResult, RunSummary } from '../../src/shared/protocol';

class MemoryStore implements StateStore {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return structuredClone(this.values.get(key)) as T | undefined;
  }
  update(key: string, value: unknown): Promise<void> {
    this.values.set(key, structuredClone(value));
    return Promise.resolve();
  }
}

const kept = (n: number, over: Partial<KeptRun> = {}): KeptRun => ({
  msgIds: [`m${n}`],
  targets: 'all',
  title: `run ${n}`,
  created: `2026-01-01T00:00:${String(n % 60).padStart(2, '0')}Z`,
  codeHash: codeHash(`print(${n})`),
  ...over,
});

const summary = (runId: string, msgIds: string[], state: RunSummary['state']): RunSummary => ({
  runId,
  title: runId,
  code: runId,
  targets: 'all',
  created: '2026-01-01T00:00:00Z',
  done: 0,
  total: msgIds.length,
  state,
  elapsedMs: 0,
  tasks: msgIds.map((msgId) => ({ msgId, queue: 'mux', state, submitted: '2026-01-01T00:00:00Z', outputCount: 0 })),
});

describe('kept runs: bounds and parsing', () => {
  it('keeps the newest runs per cluster within the count and byte limits', () => {
    let state: KeptState = { version: 1, clusters: {} };
    for (let i = 0; i < KEEP_LIMITS.runsPerCluster + 50; i++) state = keepRun(state, 'c', kept(i), `2026-01-01T00:00:00.${i}Z`);
    const runs = state.clusters.c.runs;
    assert.equal(runs.length, KEEP_LIMITS.runsPerCluster);
    assert.equal(runs[0].title, 'run 50');
    assert.equal(runs.at(-1)?.title, `run ${KEEP_LIMITS.runsPerCluster + 49}`);

    const small = { ...KEEP_LIMITS, bytesPerCluster: 1000 };
    const capped = capRuns(Array.from({ length: 50 }, (_, i) => kept(i)), small);
    assert.ok(Buffer.byteLength(JSON.stringify(capped)) <= 1000, `${Buffer.byteLength(JSON.stringify(capped))} bytes`);
    assert.ok(capped.length > 0 && capped.length < 50);
    assert.equal(capped.at(-1)?.title, 'run 49', 'the newest are the ones kept');
  });

  it('keeps code only when short, bounds msg_ids, and keeps the most recently used clusters', () => {
    const long = 'x = 1\n'.repeat(KEEP_LIMITS.codeChars);
    let state = keepRun({ version: 1, clusters: {} }, 'a', kept(1, { code: long, msgIds: Array.from({ length: 5000 }, (_, i) => `m${i}`) }), '2026-01-01T00:00:00Z');
    assert.equal(state.clusters.a.runs[0].code, undefined);
    assert.equal(state.clusters.a.runs[0].msgIds.length, KEEP_LIMITS.msgIdsPerRun);
    state = keepRun(state, 'a', kept(2, { code: 'print(2)' }), '2026-01-01T00:00:01Z');
    assert.equal(state.clusters.a.runs[1].code, 'print(2)');
    for (let i = 0; i < KEEP_LIMITS.clusters + 3; i++) state = keepRun(state, `k${i}`, kept(i), `2026-01-02T00:00:${String(i).padStart(2, '0')}Z`);
    assert.equal(Object.keys(state.clusters).length, KEEP_LIMITS.clusters);
    assert.equal(state.clusters.a, undefined, 'the least recently used cluster went first');
  });

  it('reads back only well-formed runs and never throws on what the store holds', () => {
    for (const raw of [undefined, null, 3, 'x', [], { version: 2, clusters: {} }, { version: 1, clusters: null }]) {
      assert.deepEqual(parseKept(raw), { version: 1, clusters: {} });
    }
    const good = kept(1);
    const parsed = parseKept({
      version: 1,
      clusters: {
        c: { used: 'now', runs: [good, { ...good, msgIds: [] }, { ...good, targets: 'some' }, { ...good, line: -1 }, null] },
        d: { used: 'now', runs: [{ title: 'no ids' }] },
        e: { runs: [good] },
      },
    });
    assert.deepEqual(parsed, { version: 1, clusters: { c: { used: 'now', runs: [good] } } });
  });

  it('hashes code lines as the document holds them (indentation and a trailing newline do not count)', () => {
    assert.equal(codeHash('if x:\n    y = 1\n'), linesHash(['  if x:', 'y = 1  ']));
    assert.notEqual(codeHash('y = 1'), codeHash('y = 2'));
    assert.match(codeHash(''), /^[0-9a-f]{32}$/);
  });
});

describe('kept runs: the re-attach flow', () => {
  function setup() {
    const store = new MemoryStore();
    const model = new ClusterModel();
    const sent: ReattachParams[] = [];
    const logs: string[] = [];
    const answer: ReattachResult = { runs: [] };
    const kr = new KeptRuns({
      store: new RunStore(store),
      model,
      reattach: (p) => {
        sent.push(p);
        return Promise.resolve(answer);
      },
      log: { info: (m) => logs.push(m), warn: (m) => logs.push(`warn: ${m}`) },
    });
    return { store, model, sent, logs, answer, kr };
  }

  it('keeps each run for the connected cluster and sends back only those the server lacks', async () => {
    const { store, model, sent, answer, logs, kr } = setup();
    assert.equal(await kr.connected('cluster-1'), undefined, 'nothing kept yet: nothing sent');
    await kr.keep({ code: 'print(1)', title: 'print(1)', uri: 'file:///a.py', line: 4, targets: 'all' }, { runId: 'r1', msgIds: ['a', 'b'] });
    await kr.keep({ code: 'print(2)', title: 'print(2)', targets: [1] }, { runId: 'r2', msgIds: ['c'] });
    const raw = store.values.get(KEPT_RUNS_KEY) as KeptState;
    assert.deepEqual(
      raw.clusters['cluster-1'].runs.map((r) => [r.msgIds, r.uri, r.line, r.codeHash]),
      [
        [['a', 'b'], 'file:///a.py', 4, codeHash('print(1)')],
        [['c'], undefined, undefined, codeHash('print(2)')],
      ],
    );

    // The server already tracks r1 (the same server, reconnected with the same client): only r2 is sent.
    model.setRuns([summary('r1', ['a', 'b'], 'done')]);
    answer.runs.push({ runId: 'r9', state: 'running', unknown: [] });
    await kr.connected('cluster-1');
    assert.deepEqual(sent.at(-1)?.runs.map((r) => r.msgIds), [['c']]);
    assert.match(logs.at(-1) ?? '', /re-attached 1 of 1 kept run\(s\): 1 still running, 0 with tasks the controller no longer has/);

    // Another cluster has nothing kept; a run submitted there is kept apart.
    sent.length = 0;
    assert.equal(await kr.connected('cluster-2'), undefined);
    assert.equal(sent.length, 0);
  });

  it('forgets the runs whose results were purged, finished ones only', async () => {
    const { store, model, kr } = setup();
    await kr.connected('c');
    await kr.keep({ code: '1', title: '1', targets: 'all' }, { runId: 'r1', msgIds: ['a'] });
    await kr.keep({ code: '2', title: '2', targets: 'all' }, { runId: 'r2', msgIds: ['b'] });
    model.setRuns([summary('r1', ['a'], 'done'), summary('r2', ['b'], 'running')]);
    await kr.forget(kr.finishedMsgIds());
    const raw = store.values.get(KEPT_RUNS_KEY) as KeptState;
    assert.deepEqual(raw.clusters.c.runs.map((r) => r.msgIds), [['b']]);
  });
});
