// The manifest as VS Code shows it: package.json with every "%key%" replaced by its English text from
// package.nls.json (what VS Code and vsce do when no translation applies). Tests that look for a title,
// a view name or a setting's description read this, not the raw package.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** vsce's and VS Code's pattern for a localized manifest value: the whole string is `%key%`. */
export const NLS_REF = /^%([\w.]+)%$/;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every `%key%` a manifest refers to, with the JSON path where it is (e.g. contributes.commands.0.title). */
export function nlsRefs(value: Json, path = ''): { key: string; path: string }[] {
  if (typeof value === 'string') {
    const m = NLS_REF.exec(value);
    return m ? [{ key: m[1], path }] : [];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => nlsRefs(v, path ? `${path}.${k}` : k));
}

/** `value` with every `%key%` replaced from `nls`; throws on a key `nls` does not have (as vsce does). */
export function localize<T extends Json>(value: T, nls: Record<string, string>): T {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => {
    if (typeof v !== 'string') return v;
    const m = NLS_REF.exec(v);
    if (!m) return v;
    if (!(m[1] in nls)) throw new Error(`package.nls.json has no ${m[1]}`);
    return nls[m[1]];
  }) as T;
}

export function readRawManifest(root: string): { pkg: Json; nls: Record<string, string> } {
  return {
    pkg: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Json,
    nls: JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8')) as Record<string, string>,
  };
}

/** package.json of the repository at `root`, in English. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function readManifest<T = any>(root: string): T {
  const { pkg, nls } = readRawManifest(root);
  return localize(pkg, nls) as T;
}
