import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TimeoutError } from '../../src/core/client/errors';
import { LivenessProbe } from '../../src/core/client/liveness';

/** A hub that never answers the probe's query; `traffic` messages arrive from the cluster meanwhile. */
function silentHub(traffic: () => number) {
  const lost: string[] = [];
  let received = 0;
  const host = {
    url: 'tcp://127.0.0.1:1',
    query: async () => {
      received += traffic();
      throw new TimeoutError('no answer');
    },
    lost: (reason: string) => lost.push(reason),
    activity: () => received,
  };
  return { host, lost };
}

describe('LivenessProbe', () => {
  it('declares a silent controller lost after two silent probes in a row', async () => {
    const { host, lost } = silentHub(() => 0);
    const probe = new LivenessProbe(host, 3_600_000, 10);
    try {
      await probe.probe();
      await new Promise((r) => setImmediate(r));
      assert.equal(lost.length, 1);
      assert.match(lost[0], /stopped answering/);
    } finally {
      probe.dispose();
    }
  });

  it('does not declare a busy controller lost: its query times out, but messages keep arriving', async () => {
    const { host, lost } = silentHub(() => 5);
    const probe = new LivenessProbe(host, 3_600_000, 10);
    try {
      for (let i = 0; i < 5; i++) await probe.probe();
      assert.deepEqual(lost, []);
    } finally {
      probe.dispose();
    }
  });
});
