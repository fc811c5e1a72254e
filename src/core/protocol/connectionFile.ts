import { readFileSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { hostname, networkInterfaces } from 'node:os';
import { ConnectionFileError, SignatureSchemeError } from './errors';
import { jsonErrorOffset, positionAt } from './jsonPosition';
import { hashForScheme } from './signer';
import { message } from '../messages';

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

function fail(file: string, field: string | undefined, problem: string, fix = message('cfFixRestart')): never {
  const name = file || message('cfConnectionFile');
  const where = field ? message('cfField', name, field) : name;
  throw new ConnectionFileError(file, field, message('cfProblem', where, problem, fix));
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
    fail(file, undefined, message('cfNotJson', line, column), message('cfFixTruncated', message('cfFixRestart')));
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    fail(file, undefined, message('cfNotObject', typeName(data)));
  }
  const obj = data as Record<string, unknown>;

  const str = (field: string, required: boolean, dflt = ''): string => {
    const v = obj[field];
    if (v === undefined) {
      if (required) fail(file, field, message('cfMissing'));
      return dflt;
    }
    if (typeof v !== 'string') fail(file, field, message('cfMustBeString', typeName(v)));
    return v;
  };
  const port = (field: string): number => {
    const v = obj[field];
    if (v === undefined) fail(file, field, message('cfMissing'));
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(file, field, message('cfMustBePort', typeName(v)));
    if (v < 1 || v > 65535) fail(file, field, message('cfPortRange', v));
    return v;
  };

  const iface = str('interface', true);
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.+)$/i.exec(iface);
  if (!m) fail(file, 'interface', message('cfInterface', JSON.stringify(iface)));
  const transport = m[1].toLowerCase();
  if (transport !== 'tcp' && transport !== 'ipc') {
    fail(file, 'interface', message('cfTransport', transport));
  }

  const ports = {} as Record<Channel, number>;
  for (const ch of CHANNELS) ports[ch] = port(ch);

  const key = str('key', true);
  const signatureScheme = str('signature_scheme', false, 'hmac-sha256');
  try {
    hashForScheme(signatureScheme);
  } catch (e) {
    if (e instanceof SignatureSchemeError) {
      fail(file, 'signature_scheme', message('cfScheme', JSON.stringify(signatureScheme)), message('cfFixScheme'));
    }
    throw e;
  }
  const serializer = (field: 'pack' | 'unpack'): 'json' | 'orjson' => {
    const v = str(field, false, 'json');
    if (!SERIALIZERS.has(v)) {
      fail(file, field, message('cfPacker', JSON.stringify(v)), message('cfFixPacker'));
    }
    return v as 'json' | 'orjson';
  };
  const pack = serializer('pack');
  const unpack = serializer('unpack');

  const curve = obj.curve_serverkey;
  let curveServerKey: string | null = null;
  if (curve !== undefined && curve !== null) {
    if (typeof curve !== 'string') fail(file, 'curve_serverkey', message('cfCurveType', typeName(curve)));
    if (!/^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/.test(curve)) {
      fail(file, 'curve_serverkey', message('cfCurveKey'));
    }
    curveServerKey = curve;
  }

  const warnings: string[] = [];
  if (key === '' && curveServerKey === null) {
    warnings.push(message('cfKeyEmpty', file || message('cfConnectionFile')));
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
    warnings.push(message('cfOwner', file, stats.uid, uid));
  }
  const dir = dirname(file);
  try {
    const mode = statSync(dir).mode;
    if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0) {
      warnings.push(message(mode & 0o002 ? 'cfDirWritableOthers' : 'cfDirWritableGroup', dir, (mode & 0o7777).toString(8), file));
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
      fail(file, undefined, message('cfNoFile'), message('cfFixNoFile'));
    }
    if (err.code === 'EACCES') fail(file, undefined, message('cfDenied'), message('cfFixDenied'));
    if (err.code === 'EISDIR') fail(file, undefined, message('cfIsDir'), message('cfFixIsDir'));
    fail(file, undefined, message('cfUnreadable', err.code ?? err.message));
  }
  const info = parseConnectionInfo(text, file);
  info.warnings.unshift(...ownershipWarnings(file, stats, ctx));
  if ((ctx.platform ?? process.platform) !== 'win32' && (mode & 0o077) !== 0) {
    info.warnings.unshift(message(mode & 0o007 ? 'cfReadableOthers' : 'cfReadableGroup', file, (mode & 0o777).toString(8)));
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
