/**
 * Entry point of the cluster language server (bundled to dist/server.js). The transport comes from argv:
 * `--stdio`, `--node-ipc`, `--socket=<port>` or `--pipe=<name>` (vscode-languageserver picks it).
 * One server process per editor window; it owns at most one ClusterClient at a time.
 */
import { setFlagsFromString } from 'node:v8';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { ClusterClient } from '../core/client/clusterClient';
import { setListenerErrorHandler } from '../core/event';
import type { ClientFactory } from './clientApi';
import { connectionLogger } from './logger';
import { ClusterServer } from './server';

// Over stdio, stdout is the protocol: anything a library prints must go to stderr instead.
console.log = console.error;
console.info = console.error;

// The large strings of a flood's output (the kept tail when a task ends, the JSON of its ipp/output) are
// garbage a moment later. V8's default lets the heap grow up to 4x what was live before the next full
// collection; 20% keeps the resident size near the live size (the 400 MB print: peak 324 -> 278 MB). Set
// here rather than as a Node flag so that every client gets it, and an engine without it ignores it.
setFlagsFromString('--heap-growing-percent=20');

const connection = createConnection(ProposedFeatures.all);
const logger = connectionLogger(connection, process.env.IPP_SERVER_LOG);
setListenerErrorHandler((e) => logger.error(`an event listener threw (the server goes on): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));

const createClient: ClientFactory = (o) =>
  new ClusterClient({
    connectionFile: o.connectionFile,
    logger: o.logger,
    connectTimeoutMs: o.connectTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs,
    maxOutputBytesPerTask: o.maxOutputBytesPerTask,
    sshServer: o.sshServer,
    ssh: o.ssh,
    confirmRedirect: o.confirmRedirect,
  });

const server = new ClusterServer(connection, createClient, logger);
server.listen();

// SIGTERM or SIGHUP (a closed terminal, a killed editor): clean up, then exit. process.exit() runs the
// 'exit' hooks that kill our ssh tunnels; their watchdogs also end them if we die without running any.
for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    logger.info(`${signal}: stopping`);
    const forced = setTimeout(() => process.exit(128 + (signal === 'SIGTERM' ? 15 : 1)), 2000);
    forced.unref();
    server
      .closeAll()
      .catch(() => undefined)
      .finally(() => {
        server.dispose();
        process.exit(128 + (signal === 'SIGTERM' ? 15 : 1));
      });
  });
}
