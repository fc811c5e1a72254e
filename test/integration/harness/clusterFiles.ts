// What ipyparallel writes to disk that the harness reads: the connection files (client and engine),
// ipcluster's state file, and the engines' logs.
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseConnectionInfo, type ConnectionInfo } from '../../../src/core/protocol';
import { waitForFile } from './files';

/** Both connection files as written, for --reuse, and the parsed client file. */
export interface ConnectionFiles {
  info: ConnectionInfo;
  client: string;
  /** '' when the engine file did not appear in time. */
  engine: string;
}

function isCompleteEngineFile(text: string): boolean {
  try {
    const j = JSON.parse(text);
    return typeof j.key === 'string' && typeof j.registration === 'number';
  } catch {
    return false;
  }
}

/**
 * Waits for a complete client connection file that passes `accept` (the controller writes it in place,
 * so a read can see it half written), then for the engine file next to it.
 */
export async function waitForConnectionFiles(
  clientFile: string,
  opts: { timeoutMs: number; accept?: (info: ConnectionInfo) => boolean; failIf?: () => string | undefined },
): Promise<ConnectionFiles> {
  const client = await waitForFile(clientFile, {
    timeoutMs: Math.max(1000, opts.timeoutMs),
    accept: (t) => {
      try {
        return (opts.accept ?? (() => true))(parseConnectionInfo(t, clientFile));
      } catch {
        return false; // still being written
      }
    },
    failIf: opts.failIf,
  });
  let engine = '';
  await waitForFile(engineFileOf(clientFile), { timeoutMs: 10_000, accept: isCompleteEngineFile, failIf: opts.failIf }).then(
    (t) => (engine = t),
    () => undefined,
  );
  return { info: parseConnectionInfo(client, clientFile), client, engine };
}

/** ipcontroller[-id]-engine.json next to ipcontroller[-id]-client.json. */
export function engineFileOf(clientFile: string): string {
  return clientFile.replace(/-client\.json$/, '-engine.json');
}

/** security/cluster-<id>.json, where the Cluster API (ipcluster) records its processes. */
export function clusterStateFile(profileDir: string, clusterId: string): string {
  return join(profileDir, 'security', `cluster-${clusterId}.json`);
}

/** The output file ipcluster recorded for the engine with this pid, if any. */
export function ipclusterEngineLog(profileDir: string, clusterId: string, pid: number): string | undefined {
  try {
    const state = JSON.parse(readFileSync(clusterStateFile(profileDir, clusterId), 'utf8'));
    for (const set of Object.values<{ engines?: Record<string, { pid?: number; output_file?: string }> }>(state.engines?.sets ?? {})) {
      for (const e of Object.values(set.engines ?? {})) if (e.pid === pid) return e.output_file;
    }
  } catch {
    // no state file (separate mode, or stopped)
  }
  return undefined;
}

/** The Hub engine id an engine logged ("Completed registration with id N"). */
export function engineIdFromLog(logFile: string | undefined): number | undefined {
  if (!logFile) return undefined;
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  const m = [...text.matchAll(/Completed registration with id (\d+)/g)].pop();
  return m ? Number(m[1]) : undefined;
}

export function removeIfExists(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // not there
  }
}
