import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnginesModel } from '../../src/core/client/engines';
import type { ClusterVersion, ExpressionValue } from '../../src/core/client/types';
import { VERSION_EXPRESSIONS, VersionProbe, versionFromAnswer, versionFromExpression } from '../../src/core/client/versionProbe';
import { silentLogger } from '../../src/core/log';

const ok = (text: string): ExpressionValue => ({ status: 'ok', data: { 'text/plain': text } });
const failed: ExpressionValue = { status: 'error', ename: 'PackageNotFoundError', evalue: 'ipyparallel', traceback: [] };

/** A probe over a real engines model, with an `ask` the test answers by hand. */
function setup() {
  const engines = new EnginesModel();
  const asked: { engineId: number; expressions: Record<string, string>; answer(v: Record<string, ExpressionValue>): void; fail(e: Error): void }[] = [];
  const probe = new VersionProbe({
    engines,
    logger: silentLogger,
    ask: (engineId, expressions) =>
      new Promise((answer, fail) => {
        asked.push({ engineId, expressions, answer, fail });
      }),
  });
  const seen: (ClusterVersion | undefined)[] = [];
  probe.onDidChange((v) => seen.push(v));
  const settle = () => new Promise((r) => setImmediate(r));
  return { engines, probe, asked, seen, settle };
}

describe('VersionProbe', () => {
  it('reads the version from the repr of a str, and nothing else', () => {
    assert.equal(versionFromExpression(ok("'9.2.0.dev0'")), '9.2.0.dev0');
    assert.equal(versionFromExpression(ok("'7.1.0'")), '7.1.0');
    assert.equal(versionFromExpression(ok('9.2')), undefined, 'not a str');
    assert.equal(versionFromExpression(ok("'9 2'")), undefined);
    assert.equal(versionFromExpression(ok(`'${'9'.repeat(100)}'`)), undefined, 'too long');
    assert.equal(versionFromExpression(failed), undefined);
    assert.equal(versionFromExpression(undefined), undefined);
  });

  it("prefers the distribution's version, falls back to __version__, then to unknown", () => {
    assert.deepEqual(versionFromAnswer(1, { dist: ok("'9.2.0.dev0'"), module: ok("'9.2.0.dev'"), python: ok("'3.11.2'") }), {
      ipyparallel: '9.2.0.dev0',
      python: '3.11.2',
      engineId: 1,
    });
    assert.deepEqual(versionFromAnswer(0, { dist: failed, module: ok("'7.1.0'") }), { ipyparallel: '7.1.0', engineId: 0 });
    assert.deepEqual(versionFromAnswer(0, {}), { ipyparallel: 'unknown', engineId: 0 });
  });

  it('asks one idle engine once per connection, and nothing while disconnected', async () => {
    const { engines, probe, asked, seen, settle } = setup();
    engines.add(0, 'u0');
    engines.add(1, 'u1');
    engines.setStatus('u0', 'busy');
    assert.equal(probe.version, undefined);
    probe.stateChanged('connected');
    assert.equal(asked.length, 1);
    assert.equal(asked[0].engineId, 1, 'the idle engine, not the busy one');
    assert.deepEqual(asked[0].expressions, VERSION_EXPRESSIONS);
    assert.equal(probe.version, undefined, 'nothing to show while asking');
    asked[0].answer({ dist: ok("'7.1.0'"), python: ok("'3.11.2'") });
    await settle();
    assert.deepEqual(probe.version, { ipyparallel: '7.1.0', python: '3.11.2', engineId: 1 });
    assert.deepEqual(seen.at(-1), probe.version);
    engines.add(2, 'u2');
    probe.enginesChanged();
    assert.equal(asked.length, 1, 'a new engine does not ask again while the one that answered is there');
    probe.stateChanged('disconnected');
    assert.equal(probe.version, undefined);
    assert.equal(seen.at(-1), undefined);
    probe.stateChanged('connected');
    assert.equal(asked.length, 2, 'a new connection asks again');
    probe.dispose();
  });

  it('asks again when the engine that answered leaves', async () => {
    const { engines, probe, asked, settle } = setup();
    engines.add(0, 'u0');
    engines.add(1, 'u1');
    probe.stateChanged('connected');
    asked[0].answer({ dist: ok("'9.2.0.dev0'") });
    await settle();
    engines.remove(0);
    probe.enginesChanged();
    assert.equal(asked.length, 2);
    assert.equal(asked[1].engineId, 1);
    assert.equal(probe.version, undefined, 'the old answer is forgotten');
    asked[1].answer({ module: ok("'9.2.0.dev'") });
    await settle();
    assert.deepEqual(probe.version, { ipyparallel: '9.2.0.dev', engineId: 1 });
    probe.dispose();
  });

  it('is unknown with no engine or after failures, retries a bounded number of times, and drops stale answers', async () => {
    const { engines, probe, asked, settle } = setup();
    probe.stateChanged('connected');
    assert.equal(asked.length, 0);
    assert.deepEqual(probe.version, { ipyparallel: 'unknown' }, 'no engine to ask');
    engines.add(0, 'u0');
    probe.enginesChanged();
    assert.equal(asked.length, 1, 'asks when the first engine registers');
    for (let i = 0; i < 3; i++) {
      asked[i].fail(new Error('timed out'));
      await settle();
      assert.deepEqual(probe.version, { ipyparallel: 'unknown' });
      probe.enginesChanged(); // e.g. busy/idle
    }
    assert.equal(asked.length, 3, 'three attempts for the same engines, then no more');
    engines.add(1, 'u1');
    probe.enginesChanged();
    assert.equal(asked.length, 4, 'new engines may answer');
    probe.stateChanged('disconnected');
    asked[3].answer({ dist: ok("'7.1.0'") });
    await settle();
    assert.equal(probe.version, undefined, 'an answer for an old connection is dropped');
    probe.dispose();
  });
});
