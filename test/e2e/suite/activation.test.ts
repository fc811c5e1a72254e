// Runs inside the extension host (mocha, bdd), with the extension loaded from the repository.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { publisher: string; name: string };
const EXTENSION_ID = `${pkg.publisher}.${pkg.name}`;

describe('extension host', () => {
  it(`finds ${EXTENSION_ID} and activates it`, async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    await ext.activate();
    assert.equal(ext.isActive, true);
    // Activation loads no language client: it is in dist/server.js, which dist/extension.js requires on
    // first use (this suite runs first; the later ones connect, and the module then stays cached).
    assert.deepEqual(Object.keys(require.cache).filter((f) => /[\\/]dist[\\/](server|client)\.js$/.test(f)), []);
  });

  it('loads the zeromq native addon', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const zmq = require('zeromq') as typeof import('zeromq');
    assert.match(zmq.version, /^4\.\d+\.\d+$/);
    const socket = new zmq.Dealer();
    socket.close();
    assert.equal(socket.closed, true);
  });
});
