import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CHANNELS,
  channelUrls,
  ConnectionFileError,
  connectableAddress,
  isLoopback,
  loadConnectionFile,
  parseConnectionInfo,
} from '../../src/core/protocol';
import { readFixture } from './support/fixtures';
import { assertNoKeyPiece } from './support/keyPiece';
import { tempDir, writeFile } from './support/tempDir';

/** The real connection file captured with the examples (PROTOCOL.md §1.2). */
const VALID: Record<string, unknown> = (JSON.parse(readFixture('protocol-examples.json')) as { connection_file: Record<string, unknown> })
  .connection_file;
const KEY = VALID.key as string;
const CURVE_KEY = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7'; // the Z85 test key from the ZeroMQ RFC

const dir = tempDir('connfile');
let n = 0;

function fileWith(text: string, mode = 0o600): string {
  return writeFile(join(dir, `case-${n++}`, 'ipcontroller-client.json'), text, mode);
}

function withFields(changes: Record<string, unknown>): string {
  const obj: Record<string, unknown> = { ...VALID };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete obj[k];
    else obj[k] = v;
  }
  return JSON.stringify(obj);
}

interface BadCase {
  name: string;
  /** File text; null for "no file at this path". */
  text: string | null;
  field?: string;
  /** Fragments the message must contain (besides the file path and the field name). */
  expect: string[];
}

const REQUIRED = ['interface', ...CHANNELS, 'key'];
const PORTS = [...CHANNELS];
const STRINGS = ['interface', 'key', 'signature_scheme', 'pack', 'unpack', 'location', 'ssh', 'task_scheme'];

const BAD: BadCase[] = [
  { name: 'missing file', text: null, expect: ['does not exist', 'Start the cluster'] },
  { name: 'not JSON', text: '{"interface": "tcp://127.0.0.1", ', expect: ['is not valid JSON', 'truncated'] },
  { name: 'empty file', text: '', expect: ['is not valid JSON', 'line 1, column 1'] },
  { name: 'key pasted as a Python bytes repr', text: withFields({}).replace(`"key":"${KEY}"`, `"key": b"${KEY}"`), expect: ['is not valid JSON', 'line 1, column'] },
  {
    name: 'key pasted as bytes on line 3',
    text: `{\n  "interface": "tcp://127.0.0.1",\n  "key": b'${KEY}',\n  "mux": 1\n}`,
    expect: ['is not valid JSON (error at line 3, column 10)'],
  },
  { name: 'truncated in the middle of the key', text: withFields({}).slice(0, withFields({}).indexOf(KEY) + 20), expect: ['is not valid JSON', 'truncated'] },
  { name: 'a stray character after the key', text: withFields({}).replace(`"${KEY}"`, `"${KEY}"x`), expect: ['is not valid JSON'] },
  { name: 'a control character inside the key', text: withFields({}).replace(KEY, `${KEY.slice(0, 10)}\t${KEY.slice(10)}`), expect: ['is not valid JSON'] },
  { name: 'JSON array', text: '[1, 2]', expect: ['holds a JSON array, not an object'] },
  { name: 'JSON null', text: 'null', expect: ['holds a JSON null, not an object'] },
  { name: 'JSON string', text: '"ipcontroller"', expect: ['holds a JSON string, not an object'] },
  ...REQUIRED.map((field) => ({ name: `missing ${field}`, text: withFields({ [field]: undefined }), field, expect: ['is missing', 'Restart the cluster'] })),
  ...STRINGS.map((field) => ({ name: `${field} is a number`, text: withFields({ [field]: 42 }), field, expect: ['must be a string, not number'] })),
  ...STRINGS.map((field) => ({ name: `${field} is null`, text: withFields({ [field]: null }), field, expect: ['must be a string, not null'] })),
  ...PORTS.map((field) => ({ name: `${field} is a string`, text: withFields({ [field]: '5000' }), field, expect: ['must be an integer port, not string'] })),
  ...PORTS.map((field) => ({ name: `${field} is a float`, text: withFields({ [field]: 5000.5 }), field, expect: ['must be an integer port, not number'] })),
  { name: 'port is a list', text: withFields({ broadcast: [5000, 5001] }), field: 'broadcast', expect: ['must be an integer port, not array'] },
  { name: 'port 0', text: withFields({ mux: 0 }), field: 'mux', expect: ['is 0, outside the port range 1-65535'] },
  { name: 'port 65536', text: withFields({ iopub: 65536 }), field: 'iopub', expect: ['is 65536, outside the port range 1-65535'] },
  { name: 'negative port', text: withFields({ task: -5 }), field: 'task', expect: ['is -5, outside the port range'] },
  { name: 'interface without transport', text: withFields({ interface: '127.0.0.1' }), field: 'interface', expect: ['"127.0.0.1"', 'not <transport>://<address>'] },
  { name: 'interface without address', text: withFields({ interface: 'tcp://' }), field: 'interface', expect: ['not <transport>://<address>'] },
  { name: 'interface with udp', text: withFields({ interface: 'udp://127.0.0.1' }), field: 'interface', expect: ['transport "udp"', 'only tcp and ipc'] },
  { name: 'interface is an object', text: withFields({ interface: { ip: '127.0.0.1' } }), field: 'interface', expect: ['must be a string, not object'] },
  { name: 'unknown signature_scheme', text: withFields({ signature_scheme: 'hmac-nosuchhash' }), field: 'signature_scheme', expect: ['"hmac-nosuchhash", which is not supported', 'hmac-sha256'] },
  { name: 'non-hmac signature_scheme', text: withFields({ signature_scheme: 'sha256' }), field: 'signature_scheme', expect: ['"sha256", which is not supported'] },
  { name: 'pack pickle', text: withFields({ pack: 'pickle' }), field: 'pack', expect: ['"pickle"', 'only "json" and "orjson"', 'Session.packer'] },
  { name: 'pack msgpack', text: withFields({ pack: 'msgpack' }), field: 'pack', expect: ['"msgpack"', 'only "json" and "orjson"'] },
  { name: 'unpack pickle', text: withFields({ unpack: 'pickle' }), field: 'unpack', expect: ['"pickle"', 'only "json" and "orjson"'] },
  { name: 'curve key too short', text: withFields({ curve_serverkey: 'abc' }), field: 'curve_serverkey', expect: ['not a 40-character Z85'] },
  { name: 'curve key 41 chars', text: withFields({ curve_serverkey: CURVE_KEY + 'x' }), field: 'curve_serverkey', expect: ['not a 40-character Z85'] },
  { name: 'curve key with a non-Z85 char', text: withFields({ curve_serverkey: CURVE_KEY.slice(0, 39) + '~' }), field: 'curve_serverkey', expect: ['not a 40-character Z85'] },
  { name: 'curve key is a number', text: withFields({ curve_serverkey: 7 }), field: 'curve_serverkey', expect: ['must be a string or null, not number'] },
];

describe('connection files: bad input', () => {
  for (const c of BAD) {
    it(`${c.name}: names the file${c.field ? `, field "${c.field}"` : ''} and what to do`, () => {
      const path = c.text === null ? join(dir, `missing-${n++}`, 'ipcontroller-client.json') : fileWith(c.text);
      assert.throws(
        () => loadConnectionFile(path),
        (e: unknown) => {
          assert.ok(e instanceof ConnectionFileError, String(e));
          assert.equal(e.code, 'ERR_CONNECTION_FILE');
          assert.equal(e.file, path);
          assert.equal(e.field, c.field);
          assert.ok(e.message.startsWith(path), e.message);
          if (c.field) assert.ok(e.message.includes(`field "${c.field}"`), e.message);
          for (const fragment of c.expect) assert.ok(e.message.includes(fragment), `${JSON.stringify(fragment)} not in: ${e.message}`);
          assert.ok(/Restart|Start|Use|Choose|check|Run/.test(e.message), `no advice in: ${e.message}`);
          assertNoKeyPiece(e.message, KEY, 'the error');
          return true;
        },
      );
    });
  }

  it('a directory in place of the file', () => {
    const path = join(dir, 'a-directory.json');
    mkdirSync(path);
    assert.throws(() => loadConnectionFile(path), /is a directory, not a connection file/);
  });

  it('parseConnectionInfo without a file name says "connection file"', () => {
    assert.throws(() => parseConnectionInfo('[]'), { message: /^connection file holds a JSON array/ });
    assert.throws(() => parseConnectionInfo(withFields({ key: undefined })), (e: unknown) => {
      assert.ok(e instanceof ConnectionFileError);
      assert.equal(e.file, '');
      assert.match(e.message, /^connection file: field "key" is missing/);
      return true;
    });
  });
});

describe('connection files: valid input and warnings', () => {
  it('parses the captured connection file', () => {
    const path = fileWith(JSON.stringify(VALID));
    const info = loadConnectionFile(path);
    assert.equal(info.file, path);
    assert.equal(info.transport, 'tcp');
    assert.equal(info.ip, '127.0.0.1');
    for (const ch of CHANNELS) assert.equal(info.ports[ch], VALID[ch]);
    assert.equal(info.key, KEY);
    assert.equal(info.signatureScheme, 'hmac-sha256');
    assert.equal(info.pack, 'json');
    assert.equal(info.unpack, 'json');
    assert.equal(info.taskScheme, 'leastload');
    assert.equal(info.location, 'vm');
    assert.equal(info.ssh, '');
    assert.equal(info.curveServerKey, null);
    assert.deepEqual(info.warnings, []);
  });

  it('fills defaults for the optional fields', () => {
    const info = parseConnectionInfo(withFields({ signature_scheme: undefined, pack: undefined, unpack: undefined, task_scheme: undefined, location: undefined, ssh: undefined, curve_serverkey: undefined }));
    assert.equal(info.signatureScheme, 'hmac-sha256');
    assert.equal(info.pack, 'json');
    assert.equal(info.taskScheme, 'leastload');
    assert.equal(info.location, '');
    assert.equal(info.ssh, '');
    assert.equal(info.curveServerKey, null);
  });

  it('carries ssh, curve_serverkey, orjson and other schemes', () => {
    const info = parseConnectionInfo(withFields({ ssh: 'alice@gateway:2222', curve_serverkey: CURVE_KEY, pack: 'orjson', unpack: 'orjson', signature_scheme: 'hmac-sha512', task_scheme: 'lru' }));
    assert.equal(info.ssh, 'alice@gateway:2222');
    assert.equal(info.curveServerKey, CURVE_KEY);
    assert.equal(info.pack, 'orjson');
    assert.equal(info.signatureScheme, 'hmac-sha512');
    assert.equal(info.taskScheme, 'lru');
  });

  it('warns (and still loads) when others can read the file', () => {
    const path = fileWith(JSON.stringify(VALID), 0o644);
    const info = loadConnectionFile(path);
    assert.equal(info.warnings.length, 1);
    assert.match(info.warnings[0], /readable by other users \(mode 644\)/);
    assert.ok(info.warnings[0].includes(`chmod 600 '${path}'`));
    assert.ok(!info.warnings[0].includes(KEY));
  });

  it('warns when the group can read the file', () => {
    const info = loadConnectionFile(fileWith(JSON.stringify(VALID), 0o640));
    assert.equal(info.warnings.length, 1);
    assert.match(info.warnings[0], /readable by its group \(mode 640\)/);
  });

  it('warns about an empty key (an unsigned cluster), but not when CURVE is on', () => {
    const path = fileWith(withFields({ key: '' }));
    const info = loadConnectionFile(path);
    assert.equal(info.key, '');
    assert.equal(info.warnings.length, 1);
    assert.match(info.warnings[0], /key is empty, so messages are not signed/);
    assert.ok(info.warnings[0].startsWith(path));

    assert.deepEqual(loadConnectionFile(fileWith(withFields({ key: '', curve_serverkey: CURVE_KEY }))).warnings, []);
  });

  it('both warnings at once: loose mode first', () => {
    const info = loadConnectionFile(fileWith(withFields({ key: '' }), 0o604));
    assert.equal(info.warnings.length, 2);
    assert.match(info.warnings[0], /readable by other users/);
    assert.match(info.warnings[1], /key is empty/);
  });
});

describe('channel URLs', () => {
  const parse = (changes: Record<string, unknown>) => parseConnectionInfo(withFields(changes));
  const portOf = (ch: string): number => VALID[ch] as number;

  it('127.0.0.1: every channel on loopback, location ignored', () => {
    const info = parse({ interface: 'tcp://127.0.0.1', location: 'far.example.invalid' });
    const urls = channelUrls(info);
    assert.deepEqual(Object.keys(urls).sort(), [...CHANNELS].sort());
    for (const ch of CHANNELS) assert.equal(urls[ch], `tcp://127.0.0.1:${portOf(ch)}`);
    assert.equal(isLoopback(info), true);
  });

  for (const any of ['0.0.0.0', '*']) {
    it(`${any} with an empty or local location connects to 127.0.0.1`, () => {
      const localIps = Object.values(networkInterfaces()).flatMap((a) => (a ?? []).map((x) => x.address));
      for (const location of ['', 'localhost', hostname(), ...localIps]) {
        const info = parse({ interface: `tcp://${any}`, location });
        assert.equal(connectableAddress(info), '127.0.0.1', `location ${JSON.stringify(location)}`);
        assert.equal(channelUrls(info).registration, `tcp://127.0.0.1:${portOf('registration')}`);
        assert.equal(isLoopback(info), true);
      }
    });

    it(`${any} with a remote location connects to the location`, () => {
      for (const location of ['10.254.253.252', 'far.example.invalid']) {
        const info = parse({ interface: `tcp://${any}`, location });
        const urls = channelUrls(info);
        for (const ch of CHANNELS) assert.equal(urls[ch], `tcp://${location}:${portOf(ch)}`);
        assert.equal(isLoopback(info), false);
      }
    });
  }

  it('an explicit non-loopback IP is used unchanged', () => {
    const info = parse({ interface: 'tcp://192.0.2.7', location: '' });
    assert.equal(channelUrls(info).mux, `tcp://192.0.2.7:${portOf('mux')}`);
    assert.equal(isLoopback(info), false);
  });

  it('ipc uses the <path>-<port> form the controller binds', () => {
    const info = parse({ interface: 'ipc:///tmp/ipp/controller' });
    assert.equal(info.transport, 'ipc');
    assert.equal(info.ip, '/tmp/ipp/controller');
    const urls = channelUrls(info);
    for (const ch of CHANNELS) assert.equal(urls[ch], `ipc:///tmp/ipp/controller-${portOf(ch)}`);
    assert.equal(isLoopback(info), true);
  });
});
