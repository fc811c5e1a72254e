/**
 * Loads the language client on first use: activation does not pay for vscode-languageclient, only the
 * first connect, run or view does. The client is in dist/server.js, the one bundle of both ends of the
 * language protocol (src/lspBundle.ts): required, it exports client.ts; run by Node, it is the server.
 * This file and server.js sit side by side in dist/.
 */
import * as path from 'node:path';
import type * as ClientModule from './client';

export type ClientModuleType = typeof ClientModule;

/** The language client module (Node's require cache makes every call after the first free). */
export function loadClientModule(dir: string = __dirname): ClientModuleType {
  // A computed path, so esbuild leaves the require alone and server.js stays a bundle of its own.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(dir, 'server.js')) as ClientModuleType;
}
