/**
 * The entry of dist/server.js: the language server and the language client in one bundle, so that
 * vscode-jsonrpc, vscode-languageserver-protocol and vscode-languageserver-types ship once.
 * - Run by Node (`node dist/server.js --node-ipc`, as vscode-languageclient forks it, or `--stdio`): the server.
 * - Required by dist/extension.js on first use (src/extension/clientModule.ts): the client module
 *   (src/extension/client.ts); nothing of the server runs.
 * Each side is reached by a require() in its branch: esbuild wraps the modules behind it so that they
 * run only when required, so the server process never loads `vscode` and the extension host never
 * creates a server connection. It lives outside src/server and src/extension, whose lint rules keep the
 * two layers apart; it is the only file that names both.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
if (require.main === module) require('./server/main');
else module.exports = require('./extension/client');
