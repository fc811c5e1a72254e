import assert from 'node:assert/strict';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { jsonErrorOffset, positionAt } from '../../src/core/protocol/jsonPosition';
import { loadConnectionFile, ownershipWarnings } from '../../src/core/protocol';
import { redact } from '../../src/core/redact';
import { readFixture } from './support/fixtures';
import { assertNoKeyPiece } from './support/keyPiece';
import { tempDir, writeFile } from './support/tempDir';

const VALID = JSON.stringify((JSON.parse(readFixture('protocol-examples.json')) as { connection_file: unknown }).connection_file);

describe('jsonErrorOffset: where JSON goes wrong, without quoting it', () => {
  it('finds -1 for valid JSON of every shape', () => {
    for (const t of [VALID, '{}', '[]', ' [1, -2.5e+3, "a\\u00e9\\n", true, false, null, {"a": [{}]}] ', '"x"', '0', '[[[[[]]]]]']) {
      assert.equal(jsonErrorOffset(t), -1, t);
    }
  });

  it('agrees with the position in JSON.parse messages that have one', () => {
    const cases = ['{"a":1,}', '{"a":1', '{"a" 1}', '{"a":"x\ny"}', '[1 2]', '{1:2}', '[01]', '{"a":-}', '[1,]', '{"a":"\\q"}', '  ', '[1]x'];
    for (const t of cases) {
      let pos: number | undefined;
      try {
        JSON.parse(t);
      } catch (e) {
        const m = /at position (\d+)/.exec((e as Error).message);
        pos = m ? Number(m[1]) : /end of JSON input/.test((e as Error).message) ? t.length : undefined;
      }
      if (pos !== undefined) assert.equal(jsonErrorOffset(t), pos, t);
      else assert.ok(jsonErrorOffset(t) >= 0, t);
    }
  });

  it('points at the token Node only quotes: a bytes repr, a bad literal', () => {
    assert.equal(jsonErrorOffset('{"key": b"3f2a9c1e"}'), 8);
    assert.equal(jsonErrorOffset('{"a":tru}'), 5);
  });

  it('survives deep nesting and huge input quickly', () => {
    const deep = '['.repeat(200_000);
    assert.equal(jsonErrorOffset(deep), deep.length);
    const t0 = performance.now();
    assert.equal(jsonErrorOffset(`["${'x'.repeat(2_000_000)}"`), 2_000_003);
    assert.ok(performance.now() - t0 < 1000);
  });

  it('positionAt gives 1-based line and column', () => {
    assert.deepEqual(positionAt('abc', 0), { line: 1, column: 1 });
    assert.deepEqual(positionAt('ab\ncd\nef', 4), { line: 2, column: 2 });
    assert.deepEqual(positionAt('ab\ncd\n', 6), { line: 3, column: 1 });
  });
});

describe('connection file ownership', () => {
  const root = tempDir('ownership');

  it('no warning for my own file in my own folder', () => {
    const file = writeFile(join(root, 'mine', 'ipcontroller-client.json'), VALID);
    assert.deepEqual(loadConnectionFile(file).warnings, []);
  });

  it('warns when another user owns the file', () => {
    const file = writeFile(join(root, 'theirs', 'ipcontroller-client.json'), VALID);
    const other = (process.getuid?.() ?? 0) + 1;
    const w = ownershipWarnings(file, { uid: other }, { platform: 'linux' });
    assert.equal(w.length, 1);
    assert.match(w[0], new RegExp(`owned by another user \\(uid ${other}`));
    const info = loadConnectionFile(file, { uid: other, platform: 'linux' });
    assert.equal(info.warnings.length, 1);
    assert.match(info.warnings[0], /owned by another user/);
  });

  it('warns when others or the group can write to its folder', () => {
    for (const [mode, who] of [
      [0o777, 'other users'],
      [0o775, 'its group'],
    ] as const) {
      const dir = join(root, `open-${mode.toString(8)}`);
      const file = writeFile(join(dir, 'ipcontroller-client.json'), VALID);
      chmodSync(dir, mode);
      const info = loadConnectionFile(file);
      assert.equal(info.warnings.length, 1, info.warnings.join('\n'));
      assert.ok(info.warnings[0].includes(`${dir} is writable by ${who} (mode ${mode.toString(8)})`), info.warnings[0]);
      assert.ok(info.warnings[0].includes(`chmod go-w '${dir}'`));
    }
  });

  it('no folder warning with the sticky bit (as /tmp)', () => {
    const dir = join(root, 'sticky');
    mkdirSync(dir);
    const file = writeFile(join(dir, 'ipcontroller-client.json'), VALID);
    chmodSync(dir, 0o1777);
    assert.deepEqual(loadConnectionFile(file).warnings, []);
  });

  it('no ownership or mode warnings on win32', () => {
    const dir = join(root, 'win');
    const file = writeFile(join(dir, 'ipcontroller-client.json'), VALID, 0o666);
    chmodSync(dir, 0o777);
    assert.deepEqual(loadConnectionFile(file, { platform: 'win32', uid: 12345 }).warnings, []);
    assert.equal(loadConnectionFile(file, { platform: 'linux' }).warnings.length, 2);
  });
});

describe('redact (ipcluster output, logs)', () => {
  it('removes known keys, key settings and JSON key fields, leaving no piece of the key', () => {
    const key = '3f2a9c1e-77aa41b2c3d4e5f60718293a';
    const lines = [
      `[IPEngine] Loading connection info: {'key': b'${key}', 'signature_scheme': 'hmac-sha256'}`,
      `--Session.key=b'${key}'`,
      `{"key": "${key}"}`,
      `plain ${key} text`,
    ].join('\n');
    const out = redact(lines, [key]);
    assertNoKeyPiece(out, key, 'redacted text');
    assert.equal(redact(lines).split('\n').filter((l) => l.includes('<key>')).length, 3, 'without the key known, the three settings are still redacted');
    assert.match(out, /signature_scheme/);
  });
});
