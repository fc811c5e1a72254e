import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ResponseError } from 'vscode-languageserver/node';
import { checkName, connectionFilePath, InvalidNameError, profileDir } from '../../src/core/protocol';
import { toResponseError } from '../../src/server/errors';
import { ErrorCodes } from '../../src/shared/protocol';
import { parseConnectParams } from '../../src/server/params';

const isNameError = (field: string) => (e: unknown) => e instanceof InvalidNameError && e.field === field && e.code === 'ERR_INVALID_NAME';

describe('profile and cluster id are names, not paths', () => {
  it('accepts letters, digits, "_", "." and "-"', () => {
    assert.equal(connectionFilePath('/ip', 'my_prof-1.2', '1700000000-ab_c.d'), join('/ip', 'profile_my_prof-1.2', 'security', 'ipcontroller-1700000000-ab_c.d-client.json'));
    assert.equal(profileDir('/ip', 'A9'), join('/ip', 'profile_A9'));
    assert.equal(checkName('clusterId', '', true), '');
  });

  it('refuses a path in the profile: x/../../../../tmp/evil', () => {
    assert.throws(() => connectionFilePath('/ip', 'x/../../../../tmp/evil'), isNameError('profile'));
    assert.throws(() => profileDir('/ip', 'x/../../../../tmp/evil'), isNameError('profile'));
  });

  it('refuses "..", even without a slash, in either field', () => {
    assert.throws(() => connectionFilePath('/ip', '..'), isNameError('profile'));
    assert.throws(() => connectionFilePath('/ip', 'a..b'), isNameError('profile'));
    assert.throws(() => connectionFilePath('/ip', 'default', '..'), isNameError('clusterId'));
  });

  it('refuses separators, spaces, NUL and other characters', () => {
    for (const bad of ['a/b', 'a\\b', '/abs', 'a b', 'a\0b', '~', 'a:b', 'é', '$HOME', 'a\nb']) {
      assert.throws(() => connectionFilePath('/ip', bad), isNameError('profile'), bad);
      assert.throws(() => connectionFilePath('/ip', 'default', bad), isNameError('clusterId'), bad);
    }
  });

  it('refuses an empty profile but allows an empty cluster id (the default cluster)', () => {
    assert.throws(() => profileDir('/ip', ''), isNameError('profile'));
    assert.equal(connectionFilePath('/ip', 'default', ''), join('/ip', 'profile_default', 'security', 'ipcontroller-client.json'));
  });

  it('the message names the field and what is allowed', () => {
    assert.throws(
      () => connectionFilePath('/ip', 'default', 'x/../y'),
      (e: Error) => /clusterId/.test(e.message) && /letters, digits/.test(e.message),
    );
  });

  it('the server answers InvalidParams naming the field, also for ipp/connect', () => {
    for (const [params, field] of [
      [{ ipythonDir: '/ip', profile: 'x/../../../../tmp/evil' }, 'profile'],
      [{ ipythonDir: '/ip', clusterId: '../../evil' }, 'clusterId'],
    ] as const) {
      let caught: unknown;
      try {
        parseConnectParams(params);
      } catch (e) {
        caught = e;
      }
      const r = toResponseError(caught, true) as ResponseError<{ code: string; field?: string }>;
      assert.equal(r.code, ErrorCodes.InvalidParams);
      assert.equal(r.data?.field, field);
      assert.equal(r.data?.code, 'ERR_INVALID_PARAMS');
      assert.match(r.message, new RegExp(field));
    }
  });
});
