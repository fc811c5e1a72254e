// The security notices every connect shows (whatever started it), once per cluster per window, with
// "Fix permissions" for a connection file others can read; and the request deadlines.
import assert from 'node:assert/strict';
import { statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileMode, restrictToOwner, securityNotices, ShownNotices } from '../../src/extension/securityNotices';
import { DEADLINE_MARGIN_MS, DEFAULT_SETTINGS, requestDeadlineMs } from '../../src/extension/settings';
import { loadConnectionFile } from '../../src/core/protocol/connectionFile';
import { securityPosture } from '../../src/core/client/security';
import { readFixture } from './support/fixtures';
import { tempDir } from './support/tempDir';

const VALID = (JSON.parse(readFixture('protocol-examples.json')) as { connection_file: Record<string, unknown> }).connection_file;

const FILE = '/home/u/.ipython/profile_default/security/ipcontroller-client.json';

describe('security notices', () => {
  it('an unsigned cluster gets one notice, even when the file warning already says so', () => {
    const n = securityNotices(FILE, { signed: false, warnings: [] }, []);
    assert.equal(n.length, 1);
    assert.match(n[0].message, /does not sign its messages/);
    const said = `${FILE}: the key is empty, so messages are not signed; anyone …`;
    assert.deepEqual(securityNotices(FILE, { signed: false, warnings: [said] }, [said]).map((x) => x.message), [said]);
    assert.deepEqual(securityNotices(FILE, { signed: true, warnings: [] }, []), []);
  });

  it('a world-readable file (read from disk as core reads it) offers "Fix permissions", which runs chmod 600', async () => {
    const dir = tempDir('security');
    const file = join(dir, 'ipcontroller-client.json');
    writeFileSync(file, JSON.stringify(VALID));
    chmodSync(file, 0o644);
    const info = loadConnectionFile(file);
    const posture = securityPosture(info);
    const notices = securityNotices(file, posture, info.warnings, await fileMode(file));
    const fix = notices.filter((x) => x.fixPermissions);
    assert.equal(fix.length, 1, JSON.stringify(notices));
    assert.match(fix[0].message, /readable by other users/);
    await restrictToOwner(file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(securityNotices(file, posture, [], await fileMode(file)).some((x) => x.fixPermissions), false, 'no button once it is fixed');
  });

  it('plain TCP to a remote host is a notice', () => {
    const warnings = ['the controller at 10.1.2.3 is reached over plain TCP on a non-loopback interface without CURVE: …'];
    const n = securityNotices(FILE, { signed: true, warnings }, []);
    assert.deepEqual(n, [{ message: warnings[0], fixPermissions: false }]);
  });

  it('each notice shows once per cluster per window; another cluster shows its own', () => {
    const shown = new ShownNotices();
    const n = securityNotices(FILE, { signed: false, warnings: ['w1'] }, ['w1']);
    assert.equal(shown.take(FILE, n).length, 2);
    assert.equal(shown.take(FILE, n).length, 0, 'a reconnect to the same cluster shows nothing new');
    const more = securityNotices(FILE, { signed: false, warnings: ['w2'] }, []);
    assert.deepEqual(shown.take(FILE, more).map((x) => x.message), ['w2']);
    assert.equal(shown.take('/other/ipcontroller-client.json', n).length, 2);
  });
});

describe('request deadlines', () => {
  it('every ipp/* request gets the server timeout plus a margin; connect also the SSH tunnel time', () => {
    assert.equal(requestDeadlineMs('ipp/status', DEFAULT_SETTINGS), DEFAULT_SETTINGS.requestTimeout * 1000 + DEADLINE_MARGIN_MS);
    assert.equal(requestDeadlineMs('ipp/connect', { connectTimeout: 1, requestTimeout: 1 }), 1000 + 20_000 + DEADLINE_MARGIN_MS);
    assert.ok(requestDeadlineMs('ipp/purge', { connectTimeout: 1, requestTimeout: 1 }) >= 1000);
  });
});
