import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TimeoutError, UnsupportedError } from '../../src/core/client/errors';
import { FEATURES, atLeast, describeVersion, requireFeature, unansweredError } from '../../src/core/client/features';

describe('features by ipyparallel version', () => {
  it('compares release versions, and knows nothing of an unknown one', () => {
    assert.equal(atLeast('9.2.0.dev0', '7.0'), true);
    assert.equal(atLeast('7.0.0', '7.0'), true);
    assert.equal(atLeast('7.1.0', '7.0'), true);
    assert.equal(atLeast('6.3.0', '7.0'), false);
    assert.equal(atLeast('10.0', '9.1'), true);
    assert.equal(atLeast('9.0', '9.1'), false);
    assert.equal(atLeast('unknown', '7.0'), undefined);
    assert.equal(atLeast(undefined, '7.0'), undefined);
  });

  it('refuses interrupting on a cluster known to be older than 7.0, naming the feature and both versions', () => {
    requireFeature(FEATURES.interrupt, { ipyparallel: '7.1.0', engineId: 0 });
    requireFeature(FEATURES.interrupt, { ipyparallel: 'unknown' });
    requireFeature(FEATURES.interrupt, undefined);
    assert.throws(
      () => requireFeature(FEATURES.interrupt, { ipyparallel: '6.3.0', engineId: 2 }),
      (e: unknown) => {
        assert.ok(e instanceof UnsupportedError);
        assert.equal(e.code, 'ERR_UNSUPPORTED');
        assert.equal(e.version, '6.3.0');
        assert.match(e.message, /^interrupting an engine \(signal_request\) needs ipyparallel 7\.0 or later \(the engine's nanny/);
        assert.match(e.message, /this cluster runs ipyparallel 6\.3\.0 \(as reported by engine 2\)/);
        return true;
      },
    );
  });

  it('explains an unanswered request of a feature: what it needs and which version the cluster runs', () => {
    const e = unansweredError(FEATURES.interrupt, { ipyparallel: '9.2.0.dev0', engineId: 1 }, 'signal_request (SIGINT) to engine 0', 2500);
    assert.ok(e instanceof TimeoutError);
    assert.match(e.message, /^signal_request \(SIGINT\) to engine 0 got no answer within 2\.5 s\. Interrupting an engine/);
    assert.match(e.message, /IPEngine\.enable_nanny = False; this cluster runs ipyparallel 9\.2\.0\.dev0 \(as reported by engine 1\)\.$/);
    assert.match(describeVersion({ ipyparallel: 'unknown' }), /no engine has reported/);
  });
});
