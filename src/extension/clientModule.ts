/**
 * Loads dist/client.js (the bundle of client.ts with vscode-languageclient) on first use: activation
 * does not pay for the language client, only the first connect, run or view does. In the bundles this
 * file and client.js sit side by side in dist/; under ts-node-like loaders (out/) the same holds.
 */
import * as path from 'node:path';
import type * as ClientModule from './client';

export type ClientModuleType = typeof ClientModule;

/** The language client module (Node's require cache makes every call after the first free). */
export function loadClientModule(dir: string = __dirname): ClientModuleType {
  // A computed path, so esbuild leaves the require alone and client.js stays a bundle of its own.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(dir, 'client.js')) as ClientModuleType;
}
