/**
 * The language client: starts dist/server.js over Node IPC, for Python files and untitled buffers,
 * with the server settings as initializationOptions (and forwarded on change). When the server dies it
 * is restarted, unless it died too often (RestartPolicy).
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
import type { ServerSettings } from '../server/protocol';
import { RestartPolicy } from './restartPolicy';

export const SERVER_NAME = 'IPython Parallel Language Server';

export interface ClientDeps {
  serverModule: string;
  log: vscode.LogOutputChannel;
  settings: () => ServerSettings;
  policy: RestartPolicy;
}

export function createLanguageClient(deps: ClientDeps): LanguageClient {
  const serverOptions: ServerOptions = {
    // A small young generation keeps a server tracking 10,000 tasks under 150 MB (docs/server-protocol.md).
    run: { module: deps.serverModule, transport: TransportKind.ipc, options: { execArgv: ['--max-semi-space-size=1'] } },
    debug: {
      module: deps.serverModule,
      transport: TransportKind.ipc,
      options: { execArgv: ['--max-semi-space-size=1', '--nolazy', '--inspect=6019'] },
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
    ],
    initializationOptions: () => deps.settings(),
    outputChannel: deps.log,
    traceOutputChannel: deps.log,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler: {
      error: (_error, _message, count) => ({ action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
      closed: () => {
        if (deps.policy.shouldRestart()) {
          deps.log.warn('the language server stopped; restarting it');
          return { action: CloseAction.Restart, handled: true };
        }
        return {
          action: CloseAction.DoNotRestart,
          message:
            `The ${SERVER_NAME} stopped ${deps.policy.recentCrashes} times in 3 minutes and will not be restarted. ` +
            'See "IPython Parallel (Log)", then run "IPython Parallel: Restart Language Server".',
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
