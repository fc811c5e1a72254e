// Typed access to the shared Node scripts in scripts/ (ES modules), so the harness and `npm start` start
// code-server the same way. The tests compile to CommonJS with module node16, which keeps `import()`.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Repository root (this file runs from out/test/e2e/harness). */
export const REPO = path.resolve(__dirname, '..', '..', '..', '..');

export interface ServerInstance {
  url: string;
  port: number;
  pid: number;
  root: string;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface CodeServerInstance extends ServerInstance {
  folderUrl: string;
  env: NodeJS.ProcessEnv;
}

export interface StartVscodeLib {
  startCodeServer(opts: {
    workspace?: string; vsix?: string; env?: Record<string, string>; root?: string;
    settings?: Record<string, unknown>; readyTimeoutMs?: number; trust?: boolean;
  }): Promise<CodeServerInstance>;
  startRawServer(opts: { env?: Record<string, string>; root?: string; readyTimeoutMs?: number }): Promise<ServerInstance & { serverDataDir: string }>;
  listExtensions(opts: { root: string }): Promise<string[]>;
  prepareWorkspace(opts: { dest?: string; settings?: Record<string, unknown> }): string;
}

export interface ProcLib {
  waitFor<T>(fn: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number; what?: string }): Promise<NonNullable<T>>;
}

export interface CodeServerLib {
  CHROMIUM: string;
  isolatedEnv(root: string, extra?: Record<string, string>): NodeJS.ProcessEnv;
}

export interface PackageLib {
  VSIX_PATH: string;
}

function load<T>(rel: string): Promise<T> {
  return import(pathToFileURL(path.join(REPO, rel)).href) as Promise<T>;
}

export const startVscodeLib = (): Promise<StartVscodeLib> => load('scripts/lib/startVscode.mjs');
export const procLib = (): Promise<ProcLib> => load('scripts/lib/proc.mjs');
export const codeServerLib = (): Promise<CodeServerLib> => load('scripts/lib/codeServer.mjs');
export const packageLib = (): Promise<PackageLib> => load('scripts/package.mjs');
