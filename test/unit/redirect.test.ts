// A watched connection file rewritten to point elsewhere (issue 10, item 1): the client follows a new
// host or SSH server only when confirmRedirect says yes; the same target (a restarted controller) is
// followed without asking.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectionTarget, shouldFollow, type ConfirmRedirect } from '../../src/core/client/redirect';
import { parseConnectionInfo, type ConnectionInfo } from '../../src/core/protocol/connectionFile';
import { readFixture } from './support/fixtures';

const VALID = (JSON.parse(readFixture('protocol-examples.json')) as { connection_file: Record<string, unknown> }).connection_file;
const FILE = '/home/u/.ipython/profile_default/security/ipcontroller-client.json';

function info(fields: Record<string, unknown>): ConnectionInfo {
  return parseConnectionInfo(JSON.stringify({ ...VALID, ...fields }), FILE);
}

describe('following a rewritten connection file', () => {
  const here = info({ ssh: '', interface: 'tcp://127.0.0.1', location: '127.0.0.1' });

  it('same host and no SSH: follows (new ports, new key) without asking', async () => {
    const asked: unknown[] = [];
    const confirm: ConfirmRedirect = async (...a) => (asked.push(a), false);
    const moved = info({ ssh: '', interface: 'tcp://127.0.0.1', location: '127.0.0.1', registration: 1234, key: 'f'.repeat(36) });
    assert.equal((await shouldFollow(here, moved, FILE, undefined, confirm)).follow, true);
    assert.deepEqual(asked, []);
  });

  it('a new SSH server is asked about; no, no hook, or a failing hook mean: do not follow', async () => {
    const evil = info({ ssh: 'attacker@evil.example', interface: 'tcp://10.9.8.7', location: '10.9.8.7' });
    const asked: unknown[] = [];
    const yes: ConfirmRedirect = async (from, to, file) => (asked.push({ from, to, file }), true);
    const d = await shouldFollow(here, evil, FILE, undefined, yes);
    assert.equal(d.follow, true);
    assert.deepEqual(asked, [{ from: { host: '127.0.0.1' }, to: { host: '10.9.8.7', sshServer: 'attacker@evil.example' }, file: FILE }]);
    assert.equal((await shouldFollow(here, evil, FILE, undefined, async () => false)).follow, false);
    assert.equal((await shouldFollow(here, evil, FILE, undefined, undefined)).follow, false);
    assert.equal((await shouldFollow(here, evil, FILE, undefined, async () => { throw new Error('no client'); })).follow, false);
  });

  it('a new host without SSH is a redirect too; the user\'s own SSH server setting is part of the target', async () => {
    const other = info({ ssh: '', interface: 'tcp://10.0.0.5', location: '10.0.0.5' });
    assert.equal((await shouldFollow(here, other, FILE, undefined, undefined)).follow, false);
    // With sshServer set by the user, the file's ssh field does not choose the SSH server.
    const a = info({ ssh: 'a@gw', interface: 'tcp://10.0.0.5', location: '10.0.0.5' });
    const b = info({ ssh: 'b@elsewhere', interface: 'tcp://10.0.0.5', location: '10.0.0.5' });
    assert.deepEqual(connectionTarget(b, 'me@mygw'), { host: '10.0.0.5', sshServer: 'me@mygw' });
    assert.equal((await shouldFollow(a, b, FILE, 'me@mygw', undefined)).follow, true);
    assert.equal((await shouldFollow(a, b, FILE, undefined, undefined)).follow, false);
  });
});
