import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { DEFAULTS } from '../../src/core/defaults';
import { isTerminal, TERMINAL_STATES, type TaskState } from '../../src/core/client/types';
import { emptyDropped } from '../../src/core/transport/dropCounter';
import { CodedError } from '../../src/core/codedError';
import { SshTunnelError, TransportError, ZmqLoadError } from '../../src/core/transport/errors';
import { DEFAULT_PYTHON, DEBIAN_PACKAGE, installHint } from '../../src/core/python';
import { DEFAULT_SERVER_SETTINGS } from '../../src/shared/protocol';
import { DEFAULT_SETTINGS } from '../../src/extension/settings';
import { repoRoot } from './support/fixtures';

/** The settings package.json contributes, with their defaults. */
function contributedDefaults(): Record<string, unknown> {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const conf = pkg.contributes.configuration;
  const sections: { properties: Record<string, { default?: unknown }> }[] = Array.isArray(conf) ? conf : [conf];
  return Object.fromEntries(sections.flatMap((s) => Object.entries(s.properties).map(([k, v]) => [k, v.default])));
}

describe('one definition per fact', () => {
  it('terminal states: isTerminal agrees with TERMINAL_STATES for every state', () => {
    const all: TaskState[] = ['pending', 'running', 'done', 'error', 'aborted', 'lost'];
    assert.deepEqual(all.filter(isTerminal), [...TERMINAL_STATES]);
  });

  it('an empty dropped-counter is a fresh object each time', () => {
    const a = emptyDropped();
    assert.deepEqual(a, { badSignature: 0, replay: 0, malformed: 0, byChannel: {} });
    a.replay = 3;
    assert.equal(emptyDropped().replay, 0);
  });

  it("package.json's timeout defaults, the extension's and the server's are DEFAULTS", () => {
    const d = contributedDefaults();
    assert.equal(Number(d['ipyparallel.connectTimeout']) * 1000, DEFAULTS.connectTimeoutMs);
    assert.equal(Number(d['ipyparallel.requestTimeout']) * 1000, DEFAULTS.requestTimeoutMs);
    assert.equal(DEFAULT_SETTINGS.connectTimeout * 1000, DEFAULTS.connectTimeoutMs);
    assert.equal(DEFAULT_SETTINGS.requestTimeout * 1000, DEFAULTS.requestTimeoutMs);
    assert.equal(DEFAULT_SERVER_SETTINGS.connectTimeoutMs, DEFAULTS.connectTimeoutMs);
    assert.equal(DEFAULT_SERVER_SETTINGS.requestTimeoutMs, DEFAULTS.requestTimeoutMs);
    assert.equal(DEFAULT_SERVER_SETTINGS.languageFeatureTimeoutMs, DEFAULTS.languageFeatureTimeoutMs);
    assert.equal(DEFAULT_SERVER_SETTINGS.notificationBatchMs, DEFAULTS.notificationBatchMs);
  });

  it("the transport's errors are coded errors of the transport", () => {
    const ssh = new SshTunnelError('no route', 'alice@h:22');
    const zmq = new ZmqLoadError('no binary');
    for (const e of [ssh, zmq]) {
      assert.ok(e instanceof TransportError && e instanceof CodedError);
    }
    assert.equal(ssh.code, 'ERR_SSH_TUNNEL');
    assert.equal(ssh.name, 'SshTunnelError');
    assert.equal(zmq.code, 'ERR_ZMQ_LOAD');
    assert.equal(zmq.name, 'ZmqLoadError');
  });

  it("scripts/lib/python.mjs's copy of the install hint and default Python match src/core/python.ts", async () => {
    // A Function keeps TypeScript from turning this import() of an ES module into a require().
    const load = new Function('u', 'return import(u)') as (u: string) => Promise<Record<string, unknown>>;
    const script = await load(pathToFileURL(join(repoRoot, 'scripts', 'lib', 'python.mjs')).href);
    assert.equal(script.INSTALL_HINT, installHint('IPP_PYTHON'));
    assert.equal(script.DEFAULT_PYTHON, DEFAULT_PYTHON);
    assert.equal(script.DEBIAN_PACKAGE, DEBIAN_PACKAGE);
  });
});
