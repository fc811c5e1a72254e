/**
 * A ClusterServer driven over a real JSON-RPC connection on in-memory streams, with FakeClients instead
 * of cluster clients (test/unit/serverInMemory.test.ts and the ipp/clusters tests use it).
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { createConnection, type InitializeResult } from 'vscode-languageserver/node';
import { silentLogger } from '../../../src/core/log';
import { ClusterServer } from '../../../src/server/server';
import { FakeClient } from './fakeClient';

export interface Harness {
  rpc: MessageConnection;
  clients: FakeClient[];
  /** Failures every new client starts with. */
  failures: Map<string, Error>;
  notes: { method: string; params: unknown }[];
  file: string;
  /** What the server answered to `initialize`. */
  initialized: InitializeResult;
  close(): void;
}

export async function startInMemoryServer(file: string): Promise<Harness> {
  const up = new PassThrough();
  const down = new PassThrough();
  const serverSide = createConnection(new StreamMessageReader(up), new StreamMessageWriter(down));
  const clients: FakeClient[] = [];
  const failures = new Map<string, Error>();
  const server = new ClusterServer(
    serverSide,
    (o) => {
      const c = new FakeClient(o);
      for (const [m, e] of failures) c.failures.set(m as never, e);
      clients.push(c);
      return c;
    },
    silentLogger,
  );
  server.listen();
  const rpc = createMessageConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
  const notes: Harness['notes'] = [];
  rpc.onNotification((method, params) => {
    notes.push({ method, params });
  });
  rpc.listen();
  const initialized: InitializeResult = await rpc.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {}, initializationOptions: { notificationBatchMs: 0 } });
  return {
    rpc,
    clients,
    failures,
    notes,
    file,
    initialized,
    close() {
      rpc.dispose();
      server.dispose();
      serverSide.dispose();
      up.end();
      down.end();
    },
  };
}

export async function rejectsWith(p: Promise<unknown>, code: number, field?: string): Promise<void> {
  await assert.rejects(p, (e: { code?: number; data?: { field?: string } }) => {
    assert.equal(e.code, code);
    if (field) assert.equal(e.data?.field, field);
    return true;
  });
}

