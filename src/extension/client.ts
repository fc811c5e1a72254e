/**
 * The language client: starts dist/server.js over Node IPC, for Python files, untitled buffers and notebook cells,
 * with the server settings as initializationOptions (and forwarded on change). When the server dies it
 * is restarted, unless it died too often (RestartPolicy).
 *
 * Bundled with the server in dist/server.js (src/lspBundle.ts) and loaded by clientModule.ts on first use, so that activation
 * does not load vscode-languageclient. Only types cross between the two bundles, and plain values:
 * requests go by method name, because a RequestType object of the other bundle would carry another
 * copy of vscode-jsonrpc's ParameterStructures, which this bundle's connection does not recognise.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { NOTEBOOK_TYPES, SERVER_ENV, SERVER_NODE_ARGS, type ServerSettings } from '../shared/protocol';
import type { RestartPolicy } from './restartPolicy';

export { State } from 'vscode-languageclient/node';

export const SERVER_NAME = 'IPython Parallel Language Server';

export interface ClientDeps {
  serverModule: string;
  log: vscode.LogOutputChannel;
  settings: () => ServerSettings;
  policy: RestartPolicy;
}

export function createLanguageClient(deps: ClientDeps): LanguageClient {
  const serverOptions: ServerOptions = {
    // The language client adds the inherited environment to `env`.
    run: { module: deps.serverModule, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_ARGS], env: { ...SERVER_ENV } } },
    debug: {
      module: deps.serverModule,
      transport: TransportKind.ipc,
      options: { execArgv: [...SERVER_NODE_ARGS, '--nolazy', '--inspect=6019'], env: { ...SERVER_ENV } },
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
      // Python cells of notebooks and the Interactive Window: the server syncs them (notebookDocumentSync).
      ...NOTEBOOK_TYPES.map((notebook) => ({ notebook, language: 'python' })),
    ],
    initializationOptions: () => deps.settings(),
    outputChannel: deps.log,
    traceOutputChannel: deps.log,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    // The server is told too (`evaluate: false`); this guard also covers the moment before it hears of a change.
    middleware: {
      provideHover: (document, position, token, next) => (vscode.workspace.isTrusted ? next(document, position, token) : null),
      provideCompletionItem: (document, position, context, token, next) =>
        vscode.workspace.isTrusted ? next(document, position, context, token) : null,
    },
    errorHandler: {
      error: (_error, _message, count) => ({ action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
      closed: () => {
        if (deps.policy.shouldRestart()) {
          deps.log.warn('the language server stopped; restarting it');
          return { action: CloseAction.Restart, handled: true };
        }
        return {
          action: CloseAction.DoNotRestart,
          message: vscode.l10n.t(
            'The {0} stopped {1} times in 3 minutes and will not be restarted. See "IPython Parallel (Log)", then run "IPython Parallel: Restart Language Server".',
            SERVER_NAME,
            deps.policy.recentCrashes,
          ),
        };
      },
    },
  };
  return new LanguageClient('ipyparallel', SERVER_NAME, serverOptions, clientOptions);
}

/** Sends the current server settings (the server reads `settings` as ServerSettings). */
export async function sendSettings(client: LanguageClient, settings: ServerSettings): Promise<void> {
  await client.sendNotification('workspace/didChangeConfiguration', { settings });
}
