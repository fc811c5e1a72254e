import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionInfo } from '../../src/shared/protocol';
import { Sessions, sessionIdFor, sessionOf, sessionPickTexts, targetName } from '../../src/extension/sessions';

const file = (profile: string, id?: string) => `/home/u/.ipython/profile_${profile}/security/ipcontroller${id ? `-${id}` : ''}-client.json`;
const info = (sessionId: string, over: Partial<SessionInfo> = {}): SessionInfo => ({ sessionId, active: false, state: 'connected', engines: 2, ...over });

describe('session ids', () => {
  it('derives a valid id from the cluster name, never "default", unique among the taken ones', () => {
    assert.equal(sessionIdFor('gpu', []), 'c:gpu');
    assert.equal(sessionIdFor('gpu', ['c:gpu', 'c:gpu-2']), 'c:gpu-3');
    assert.equal(sessionIdFor('my profile/x', []), 'c:my_profile_x');
    assert.match(sessionIdFor('x'.repeat(300), []), /^[A-Za-z0-9_.:@-]{1,128}$/);
    assert.notEqual(sessionIdFor('default', []), 'default');
  });
  it('names a connect target by its file, or by profile and cluster id', () => {
    assert.equal(targetName({ connectionFile: file('default', 'gpu') }), 'gpu');
    assert.equal(targetName({ connectionFile: file('big', 'a1') }), 'big:a1');
    assert.equal(targetName({ profile: 'big', clusterId: 'a1' }), 'big:a1');
    assert.equal(targetName({}), 'default');
  });
  it('reads a notification without sessionId as the default session\'s', () => {
    assert.equal(sessionOf({}), 'default');
    assert.equal(sessionOf(undefined), 'default');
    assert.equal(sessionOf({ sessionId: 'c:gpu' }), 'c:gpu');
  });
});

describe('Sessions', () => {
  it('starts with the default session active and only its notifications applying', () => {
    const s = new Sessions();
    assert.equal(s.active, 'default');
    assert.equal(s.several, false);
    assert.ok(s.isActive({}));
    assert.ok(!s.isActive({ sessionId: 'c:gpu' }));
  });
  it('follows a second cluster opened, switched to, and closed', () => {
    const s = new Sessions();
    s.opened('default', file('default'));
    const id = s.newId({ connectionFile: file('default', 'gpu') });
    assert.equal(id, 'c:gpu');
    s.opened(id, file('default', 'gpu'));
    assert.equal(s.active, 'c:gpu');
    assert.ok(s.several);
    assert.equal(s.activeFile, file('default', 'gpu'));
    // The default session's notifications no longer reach the model; the new one's do.
    assert.ok(!s.isActive({}));
    assert.ok(s.isActive({ sessionId: 'c:gpu' }));
    assert.equal(s.findByFile(file('default')), 'default');
    assert.equal(s.findByFile(file('default', 'gpu')), 'c:gpu');
    assert.equal(s.findByFile(file('other')), undefined);
    assert.equal(s.newId({ connectionFile: file('default', 'gpu') }), 'c:gpu-2');
    s.activated('default');
    assert.ok(s.isActive({}));
    s.activated('c:gpu');
    s.closed('c:gpu');
    assert.equal(s.active, 'default');
    assert.equal(s.several, false);
    assert.equal(s.activeFile, file('default'));
  });
  it('closing a session that is not active keeps the active one', () => {
    const s = new Sessions();
    s.opened('default', file('default'));
    s.opened('c:gpu', file('default', 'gpu'));
    s.activated('default');
    s.closed('c:gpu');
    assert.equal(s.active, 'default');
    assert.equal(s.several, false);
  });
  it('re-reads the sessions from ipp/sessions, and forgets them all on reset', () => {
    const s = new Sessions();
    s.sync([info('default', { state: 'disconnected' }), info('c:a', { active: true, connectionFile: file('a') }), info('c:b', { connectionFile: file('b') })]);
    assert.equal(s.active, 'c:a');
    assert.ok(s.several);
    assert.equal(s.findByFile(file('b')), 'c:b');
    assert.equal(s.activeFile, file('a'));
    s.reset();
    assert.equal(s.active, 'default');
    assert.equal(s.several, false);
    assert.equal(s.findByFile(file('b')), undefined);
  });
});

describe('Switch Active Cluster items', () => {
  it('lists the open sessions by cluster name, marks the active one, leaves out disconnected ones', () => {
    const items = sessionPickTexts([
      info('default', { state: 'disconnected' }),
      info('c:gpu', { active: true, connectionFile: file('default', 'gpu'), engines: 8 }),
      info('c:big:a1', { connectionFile: file('big', 'a1'), engines: 1, state: 'reconnecting' }),
    ]);
    assert.deepEqual(
      items.map((i) => [i.sessionId, i.label, i.description, i.active]),
      [
        ['c:gpu', 'gpu', '8 engines · active', true],
        ['c:big:a1', 'big:a1', 'reconnecting · 1 engine', false],
      ],
    );
    assert.equal(items[0].detail, file('default', 'gpu'));
  });
});
