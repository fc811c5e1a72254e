import { readFileSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { hostname, networkInterfaces } from 'node:os';
import { ConnectionFileError, SignatureSchemeError } from './errors';
import { jsonErrorOffset, positionAt } from './jsonPosition';
import { hashForScheme } from './signer';

/** The client sockets, keyed by the connection-file field that holds each one's port. */
export const CHANNELS = ['registration', 'mux', 'task', 'control', 'iopub', 'notification', 'broadcast'] as const;
export type Channel = (typeof CHANNELS)[number];

/** A validated `ipcontroller[-<cluster_id>]-client.json` (PROTOCOL.md §1.2). */
export interface ConnectionInfo {
  /** Absolute path the info was read from ('' when parsed from a string). */
  file: string;
  transport: string;
  /** The address part of `interface`, e.g. `127.0.0.1`, `0.0.0.0`, `*` or an ipc path. */
  ip: string;
  ports: Record<Channel, number>;
  taskScheme: string;
  key: string;
  signatureScheme: string;
  pack: 'json' | 'orjson';
  unpack: 'json' | 'orjson';
  location: string;
  /** `[user@]host[:port]` of an SSH gateway, '' for none. */
  ssh: string;
  /** Z85 CurveZMQ server public key, or null when CURVE is off. */
  curveServerKey: string | null;
  /** Non-fatal problems (loose permissions, an unsigned cluster). */
  warnings: string[];
}

const SERIALIZERS = new Set(['json', 'orjson']);
const FIX = 'Restart the cluster (ipcluster start) to rewrite it, or choose another connection file.';

function fail(file: string, field: string | undefined, problem: string, fix = FIX): never {
  const where = field ? `${file || 'connection file'}: field "${field}"` : file || 'connection file';
  throw new ConnectionFileError(file, field, `${where} ${problem}. ${fix}`);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Parses and validates the text of a connection file. `file` is used only in messages. */
export function parseConnectionInfo(text: string, file = ''): ConnectionInfo {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Never JSON.parse's message: it quotes the text around the error, which may be a piece of the key.
    const { line, column } = positionAt(text, Math.max(0, jsonErrorOffset(text)));
    fail(file, undefined, `is not valid JSON (error at line ${line}, column ${column})`, 'It may be truncated or not a connection file: ' + FIX);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    fail(file, undefined, `holds a JSON ${typeName(data)}, not an object`, FIX);
  }
  const obj = data as Record<string, unknown>;

  const str = (field: string, required: boolean, dflt = ''): string => {
    const v = obj[field];
    if (v === undefined) {
      if (required) fail(file, field, 'is missing');
      return dflt;
    }
    if (typeof v !== 'string') fail(file, field, `must be a string, not ${typeName(v)}`);
    return v;
  };
  const port = (field: string): number => {
    const v = obj[field];
    if (v === undefined) fail(file, field, 'is missing');
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(file, field, `must be an integer port, not ${typeName(v)}`);
    if (v < 1 || v > 65535) fail(file, field, `is ${v}, outside the port range 1-65535`);
    return v;
  };

  const iface = str('interface', true);
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.+)$/i.exec(iface);
  if (!m) fail(file, 'interface', `is ${JSON.stringify(iface)}, not <transport>://<address> such as "tcp://127.0.0.1"`);
  const transport = m[1].toLowerCase();
  if (transport !== 'tcp' && transport !== 'ipc') {
    fail(file, 'interface', `uses transport "${transport}"; only tcp and ipc are supported`);
  }

  const ports = {} as Record<Channel, number>;
  for (const ch of CHANNELS) ports[ch] = port(ch);

  const key = str('key', true);
  const signatureScheme = str('signature_scheme', false, 'hmac-sha256');
  try {
    hashForScheme(signatureScheme);
  } catch (e) {
    if (e instanceof SignatureSchemeError) {
      fail(file, 'signature_scheme', `is ${JSON.stringify(signatureScheme)}, which is not supported`, 'Use an hmac-<hash> scheme such as "hmac-sha256" in the controller\'s Session.signature_scheme.');
    }
    throw e;
  }
  const serializer = (field: 'pack' | 'unpack'): 'json' | 'orjson' => {
    const v = str(field, false, 'json');
    if (!SERIALIZERS.has(v)) {
      fail(file, field, `is ${JSON.stringify(v)}; only "json" and "orjson" can be read outside Python`, 'Start the controller with the default JSON packer (Session.packer = "json").');
    }
    return v as 'json' | 'orjson';
  };
  const pack = serializer('pack');
  const unpack = serializer('unpack');

  const curve = obj.curve_serverkey;
  let curveServerKey: string | null = null;
  if (curve !== undefined && curve !== null) {
    if (typeof curve !== 'string') fail(file, 'curve_serverkey', `must be a string or null, not ${typeName(curve)}`);
    if (!/^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/.test(curve)) {
      fail(file, 'curve_serverkey', 'is not a 40-character Z85 CurveZMQ public key');
    }
    curveServerKey = curve;
  }

  const warnings: string[] = [];
  if (key === '' && curveServerKey === null) {
    warnings.push(`${file || 'connection file'}: the key is empty, so messages are not signed; anyone who can reach the controller's ports can run code on its engines.`);
  }

  return {
    file,
    transport,
    ip: m[2],
    ports,
    taskScheme: str('task_scheme', false, 'leastload'),
    key,
    signatureScheme,
    pack,
    unpack,
    location: str('location', false, ''),
    ssh: str('ssh', false, ''),
    curveServerKey,
    warnings,
  };
}

/** What loadConnectionFile checks ownership against; tests inject another platform or user. */
export interface OwnershipContext {
  platform?: NodeJS.Platform;
  /** The current user's uid (default process.getuid()). */
  uid?: number;
}

/**
 * Warnings for a file someone else could have planted or rewritten: not owned by the current user, or in
 * a folder others can write to without the sticky bit (with it, as in /tmp, they cannot replace our file,
 * and a file of theirs is caught by the owner check). None on Windows, where modes mean little.
 */
export function ownershipWarnings(file: string, stats: Pick<Stats, 'uid'>, ctx: OwnershipContext = {}): string[] {
  if ((ctx.platform ?? process.platform) === 'win32') return [];
  const uid = ctx.uid ?? process.getuid?.();
  const warnings: string[] = [];
  if (uid !== undefined && stats.uid !== uid) {
    warnings.push(`${file} is owned by another user (uid ${stats.uid}, you are uid ${uid}): it may have been planted to steer the connection (its ssh server, its addresses). Use only a connection file you or the cluster's owner wrote.`);
  }
  const dir = dirname(file);
  try {
    const mode = statSync(dir).mode;
    if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0) {
      warnings.push(`${dir} is writable by ${mode & 0o002 ? 'other users' : 'its group'} (mode ${(mode & 0o7777).toString(8)}), so they can replace ${file}. Run: chmod go-w '${dir}'`);
    }
  } catch {
    // the folder vanished meanwhile: the file read below reports it
  }
  return warnings;
}

/** Reads, parses and validates a connection file, warning when others can read it, own it or replace it. */
export function loadConnectionFile(file: string, ctx: OwnershipContext = {}): ConnectionInfo {
  let text: string;
  let mode: number;
  let stats: Stats;
  try {
    stats = statSync(file);
    mode = stats.mode;
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') {
      fail(file, undefined, 'does not exist', 'Start the cluster (ipcluster start), or check the profile, cluster id and IPython directory.');
    }
    if (err.code === 'EACCES') fail(file, undefined, 'cannot be read (permission denied)', 'Run as the user that started the cluster.');
    if (err.code === 'EISDIR') fail(file, undefined, 'is a directory, not a connection file', 'Choose the ipcontroller-client.json inside it.');
    fail(file, undefined, `cannot be read (${err.code ?? err.message})`);
  }
  const info = parseConnectionInfo(text, file);
  info.warnings.unshift(...ownershipWarnings(file, stats, ctx));
  if ((ctx.platform ?? process.platform) !== 'win32' && (mode & 0o077) !== 0) {
    info.warnings.unshift(
      `${file} is readable by ${mode & 0o007 ? 'other users' : 'its group'} (mode ${(mode & 0o777).toString(8)}); its key lets them run code on the cluster. Run: chmod 600 '${file}'`,
    );
  }
  return info;
}

function isLocalAddress(location: string): boolean {
  if (location === '' || location === 'localhost' || location === hostname()) return true;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.address === location) return true;
  }
  return false;
}

/** The address clients connect to: `0.0.0.0`/`*` become localhost or `location` (PROTOCOL.md §1.3). */
export function connectableAddress(info: Pick<ConnectionInfo, 'ip' | 'location'>): string {
  if (info.ip === '0.0.0.0' || info.ip === '*') {
    return isLocalAddress(info.location) ? '127.0.0.1' : info.location;
  }
  return info.ip;
}

/** The zeromq URL of one channel. ipc endpoints use the `<path>-<port>` form the controller binds. */
export function channelUrl(info: ConnectionInfo, channel: Channel, address = connectableAddress(info)): string {
  const port = info.ports[channel];
  return info.transport === 'ipc' ? `ipc://${address}-${port}` : `${info.transport}://${address}:${port}`;
}

/** Every channel's URL. */
export function channelUrls(info: ConnectionInfo): Record<Channel, string> {
  const address = connectableAddress(info);
  const urls = {} as Record<Channel, string>;
  for (const ch of CHANNELS) urls[ch] = channelUrl(info, ch, address);
  return urls;
}

/** True when the controller is on a loopback address (no tunnel or encryption needed). */
export function isLoopback(info: ConnectionInfo): boolean {
  const a = connectableAddress(info);
  return info.transport === 'ipc' || a === 'localhost' || a === '::1' || a.startsWith('127.');
}
