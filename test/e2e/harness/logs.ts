// The extension host's on-disk logs: remoteexthost.log and the mirror of every output channel
// (<user-data>/logs/<ts>/exthostN/output_logging_<ts>/<n>-<Name>.log; a LogOutputChannel is written to
// exthostN/<publisher.name>/<Name>.log). Reading them avoids scraping the virtualised Output panel.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Subfolders of `parent` accepted by `filter`, newest first (names are timestamps or exthostN). */
function dirsNewestFirst(parent: string, filter: (name: string) => boolean): string[] {
  if (!fs.existsSync(parent)) return [];
  return fs.readdirSync(parent, { withFileTypes: true })
    .filter((d) => d.isDirectory() && filter(d.name))
    .map((d) => path.join(parent, d.name))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
}

/**
 * The newest extension host log folder under a user-data (or server-data) dir, if there is one yet.
 * CLI calls (--install-extension, --list-extensions) add session folders without one: skip those.
 */
export function extensionHostLogDir(dataDir: string): string | undefined {
  for (const session of dirsNewestFirst(path.join(dataDir, 'logs'), () => true)) {
    const host = dirsNewestFirst(session, (n) => /^exthost\d+$/.test(n))[0];
    if (host) return host;
  }
  return undefined;
}

/** Text of remoteexthost.log ('' when it does not exist yet). */
export function readExtensionHostLog(dataDir: string): string {
  const dir = extensionHostLogDir(dataDir);
  const file = dir && path.join(dir, 'remoteexthost.log');
  return file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/**
 * Full text of the output channel `name` ('' when it has not been written yet). Channels with the same
 * name (one per extension host restart) are concatenated in order.
 */
export function readOutputChannel(dataDir: string, name: string): string {
  const dir = extensionHostLogDir(dataDir);
  if (!dir) return '';
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sub = path.join(dir, entry.name);
    for (const f of fs.readdirSync(sub)) {
      const plain = /^output_logging_/.test(entry.name) && new RegExp(`^\\d+-${escapeRegExp(name)}\\.log$`).test(f);
      const logChannel = !/^output_logging_/.test(entry.name) && f === `${name}.log`;
      if (plain || logChannel) files.push(path.join(sub, f));
    }
  }
  files.sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
  return files.map((f) => fs.readFileSync(f, 'utf8')).join('');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
