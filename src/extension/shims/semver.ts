/**
 * What vscode-languageclient needs of `semver` (its node/main.js checks the editor's version with
 * `semver/functions/parse` and `semver/functions/satisfies`), in 1 KiB instead of semver's 21: the
 * language bundle (dist/server.js) aliases both modules here (scripts/build.mjs).
 * - parse: semver's strict SemVer 2.0 syntax (a leading "v" and surrounding spaces allowed),
 *   null for anything else; the result has semver's major, minor, patch and prerelease fields.
 * - satisfies: the one range form the client passes, "^X.Y.Z" (its REQUIRED_VSCODE_VERSION, whose format
 *   its build keeps fixed); another form throws, so an update of the client that uses one fails loudly
 *   (test/unit/shims.test.ts also checks the client's range and compares both functions with semver's).
 */
export interface SemVerLike {
  major: number;
  minor: number;
  patch: number;
  prerelease: (string | number)[];
}

const NUM = '0|[1-9]\\d*';
const PRE_ID = `(?:${NUM}|\\d*[a-zA-Z-][a-zA-Z0-9-]*)`;
const BUILD_ID = '[0-9A-Za-z-]+';
const FULL = new RegExp(`^v?(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+${BUILD_ID}(?:\\.${BUILD_ID})*)?$`);

export function parse(version: unknown): SemVerLike | null {
  if (isSemVer(version)) return version;
  if (typeof version !== 'string' || version.length > 256) return null;
  const m = FULL.exec(version.trim());
  if (!m) return null;
  const [major, minor, patch] = [m[1], m[2], m[3]].map(Number);
  if (![major, minor, patch].every(Number.isSafeInteger)) return null;
  const prerelease = m[4] ? m[4].split('.').map((id) => (/^\d+$/.test(id) && Number.isSafeInteger(Number(id)) ? Number(id) : id)) : [];
  return { major, minor, patch, prerelease };
}

/** True when `version` is in the caret range `range` ("^X.Y.Z"); a prerelease version never is. */
export function satisfies(version: unknown, range: string): boolean {
  const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
  if (!m) throw new Error(`semver shim: only ^X.Y.Z ranges are supported, not ${JSON.stringify(range)} (scripts/build.mjs)`); // internal: a build-time contract
  const v = parse(version);
  if (!v || v.prerelease.length > 0) return false;
  const low = [Number(m[1]), Number(m[2]), Number(m[3])];
  // ^1.2.3 := >=1.2.3 <2.0.0; ^0.2.3 := >=0.2.3 <0.3.0; ^0.0.3 := >=0.0.3 <0.0.4
  const fixed = low[0] > 0 ? 1 : low[1] > 0 ? 2 : 3;
  const have = [v.major, v.minor, v.patch];
  for (let i = 0; i < fixed; i++) if (have[i] !== low[i]) return false;
  for (let i = fixed; i < 3; i++) if (have[i] !== low[i]) return have[i] > low[i];
  return true;
}

function isSemVer(v: unknown): v is SemVerLike {
  return typeof v === 'object' && v !== null && typeof (v as SemVerLike).major === 'number' && Array.isArray((v as SemVerLike).prerelease);
}
