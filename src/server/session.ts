/**
 * The policies behind ipp/connect and ipp/purge: reusing an identical connection, validating the
 * connection file before any socket, and purging once the hub has recorded the replies.
 */
import { loadConnectionFile } from '../core/protocol/connectionFile';
import type { ConnectResult } from '../shared/protocol';
import type { ClusterClientLike } from './clientApi';
import type { RequestHost } from './host';
import type { ParsedConnect } from './params';
import { NO_SECURITY, toEngines, toSecurity } from './toWire';

export async function connect(host: RequestHost, params: ParsedConnect, signal: AbortSignal): Promise<ConnectResult> {
  const { connectionFile: file, ...ssh } = params;
  const key = JSON.stringify([file, ssh]);
  const current = host.client();
  if (current && current.state === 'connected' && host.connectKey() === key) return connectResult(current, file);
  // Validate the file first: a missing or broken file gives a precise error (file, field) before any socket.
  const info = loadConnectionFile(file);
  await host.closeClient();
  const settings = host.settings();
  const client = host.openClient(
    {
      connectionFile: file,
      logger: host.logger,
      connectTimeoutMs: settings.connectTimeoutMs,
      requestTimeoutMs: settings.requestTimeoutMs,
      maxOutputBytesPerTask: settings.maxOutputBytesPerTask,
      ...ssh,
    },
    key,
  );
  try {
    await client.connect({ timeoutMs: settings.connectTimeoutMs, signal });
  } catch (e) {
    host.logger.warn(`connect to ${file} failed: ${(e as Error).message}`);
    await host.closeClient();
    throw e;
  }
  host.logger.info(`connected to ${file}: ${client.engines().length} engines`);
  return connectResult(client, file, info.warnings);
}

function connectResult(client: ClusterClientLike, file: string, fileWarnings?: string[]): ConnectResult {
  const security = client.security();
  return {
    state: client.state,
    connectionFile: file,
    engines: toEngines(client.engines()),
    security: security ? toSecurity(security) : NO_SECURITY,
    warnings: fileWarnings ?? client.connectionInfo?.warnings ?? [],
    clusterKey: clusterKey(file, client.connectionInfo),
  };
}

/**
 * Names the cluster across sessions (for ipp/reattach): the connection file (it holds the profile and the
 * cluster id) and where the controller is (its location, its interface, its SSH gateway). Never the key.
 */
export function clusterKey(file: string, info: { location: string; ip: string; ssh: string } | undefined): string {
  return JSON.stringify([file, info?.location ?? '', info?.ip ?? '', info?.ssh ?? '']);
}

/** True for the hub's refusal to purge a task whose reply it has not recorded yet. */
function isPendingOnHub(e: unknown): boolean {
  const err = e as { code?: unknown; ename?: unknown; evalue?: unknown };
  return err.code === 'ERR_HUB' && err.ename === 'IndexError' && typeof err.evalue === 'string' && err.evalue.startsWith('msg pending');
}

/**
 * Purges tasks we saw finish. The hub records a reply a moment after we see it, and refuses (atomically)
 * to purge a task it still counts as pending, so that refusal is retried briefly with backoff.
 */
export async function purgeWhenRecorded(client: Pick<ClusterClientLike, 'purge'>, msgIds: string[], timeoutMs: number, patienceMs = 5000): Promise<void> {
  const deadline = Date.now() + patienceMs;
  for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
    try {
      await client.purge(msgIds, { timeoutMs });
      return;
    } catch (e) {
      if (!isPendingOnHub(e) || Date.now() + delay > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
