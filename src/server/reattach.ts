/**
 * ipp/reattach: runs an editor kept from an earlier session (a reloaded window, a restarted server, a
 * reconnect) are tracked again by msg_id. Each run gets a new run id here; its finished tasks come back
 * with their final state and the output the hub captured, its running tasks are followed to their end,
 * and tasks the hub no longer has end `lost` with a reason that says so. Their output, state and
 * diagnostics then reach the editor through the usual notifications.
 */
import { NotConnectedError } from '../core/client/errors';
import type { ReattachedRun, ReattachParams, ReattachResult, ReattachRun } from '../shared/protocol';
import type { ClusterClientLike } from './clientApi';
import type { RequestHost } from './host';

async function reattachOne(h: RequestHost, client: ClusterClientLike, spec: ReattachRun): Promise<ReattachedRun> {
  const { msgIds, targets, code, title, created } = spec;
  const { run, unknown } = await client.reattach({ msgIds, targets, code, title, created }, { timeoutMs: h.settings().requestTimeoutMs });
  h.runs.addReattached(run, { uri: spec.uri, line: spec.line, codeHash: spec.codeHash });
  return { runId: run.id, state: h.runs.summary(run.id)?.state, unknown };
}

export async function reattachRuns(h: RequestHost, p: ReattachParams): Promise<ReattachResult> {
  const runs: ReattachedRun[] = [];
  for (const spec of p.runs) {
    const client = h.requireClient(); // NotConnected fails the whole request
    try {
      runs.push(await reattachOne(h, client, spec));
    } catch (e) {
      if (e instanceof NotConnectedError) throw e;
      h.logger.warn(`re-attaching to ${spec.msgIds.length} task(s): ${(e as Error).message}`);
      runs.push({ unknown: [], error: (e as Error).message });
    }
  }
  h.flushNotifications(); // the runs and their output arrive before this answer
  return { runs };
}
