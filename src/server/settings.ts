/**
 * ServerSettings from initializationOptions and workspace/didChangeConfiguration. Both accept a partial
 * ServerSettings, either directly or under an `ipyparallel` key (what vscode-languageclient sends for a
 * `configurationSection: 'ipyparallel'`), optionally nested under `server`. Unknown keys are ignored and
 * values of the wrong type keep the current value, so a bad setting never stops the server.
 */
import { clampTimeoutMs } from '../core/timeouts';
import { DEFAULT_SERVER_SETTINGS, type ServerSettings } from '../shared/protocol';

const BOOLEANS = ['evaluate', 'diagnostics', 'hover', 'completion'] as const;
const NUMBERS = ['languageFeatureTimeoutMs', 'connectTimeoutMs', 'requestTimeoutMs', 'notificationBatchMs', 'maxOutputBytesPerTask'] as const;
const MIN_OUTPUT_BYTES_PER_TASK = 1024 * 1024;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object that holds the settings inside what a client sent. */
function section(raw: unknown): Record<string, unknown> {
  let obj = isObject(raw) ? raw : {};
  if (isObject(obj.ipyparallel)) obj = obj.ipyparallel;
  if (isObject(obj.server)) obj = { ...obj, ...obj.server };
  return obj;
}

/** `base` updated with the valid values found in `raw`. */
export function mergeSettings(base: ServerSettings, raw: unknown): ServerSettings {
  const src = section(raw);
  const next: ServerSettings = { ...base };
  for (const key of BOOLEANS) {
    const v = src[key];
    if (typeof v === 'boolean') next[key] = v;
    // `{ diagnostics: { enabled: false } }`, the shape of VS Code's nested settings
    else if (isObject(v) && typeof v.enabled === 'boolean') next[key] = v.enabled;
  }
  for (const key of NUMBERS) {
    const v = src[key];
    // a timeout of 0 must not turn timeouts off: every *TimeoutMs is at least 1 s (clampTimeoutMs)
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) next[key] = key.endsWith('TimeoutMs') ? clampTimeoutMs(v) : v;
  }
  if (typeof src.maxOutputBytesPerTask === 'number' && next.maxOutputBytesPerTask < MIN_OUTPUT_BYTES_PER_TASK) {
    next.maxOutputBytesPerTask = MIN_OUTPUT_BYTES_PER_TASK;
  }
  return next;
}

export function initialSettings(initializationOptions: unknown): ServerSettings {
  return mergeSettings(DEFAULT_SERVER_SETTINGS, initializationOptions);
}
