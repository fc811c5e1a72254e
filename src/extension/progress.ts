/**
 * A progress notification for a run that takes more than a moment, with Cancel (abort + interrupt).
 */
import * as vscode from 'vscode';
import { AbortRequest } from '../shared/protocol';
import type { Ctx } from './ctx';
import { describeError } from './errors';
import { isTerminal } from './model';
import { progressText } from './output/runInfo';

/** How long a run may take before it gets a notification. */
export const PROGRESS_DELAY_MS = 1000;

/** Resolves when the run is terminal (or forgotten); shows progress if that takes > PROGRESS_DELAY_MS. */
export function trackRun(ctx: Ctx, runId: string, title: string): Promise<void> {
  let seen = false;
  const finished = () => {
    const r = ctx.model.run(runId);
    if (r) seen = true;
    // Unknown: not reported yet (wait), purged after it was seen, or the connection is gone.
    return r === undefined ? seen || !ctx.model.connected : isTerminal(r.state);
  };
  return new Promise<void>((resolve) => {
    const listeners = new Set<() => void>();
    const notify = () => {
      for (const l of [...listeners]) l();
    };
    const subs = [ctx.model.onDidChangeRuns(notify), ctx.model.onDidChangeState(notify)];
    const finish = () => {
      for (const s of subs) s.dispose();
      clearTimeout(timer);
      listeners.clear();
      resolve();
    };
    const showProgress = () =>
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `IPython Parallel: ${title}`, cancellable: true },
        (progress, token) =>
          new Promise<void>((end) => {
            let last = 0;
            const report = () => {
              const r = ctx.model.run(runId);
              if (!r || finished()) return end();
              const pct = r.total ? (100 * r.done) / r.total : 0;
              progress.report({ message: progressText(r), increment: Math.max(0, pct - last) });
              last = pct;
            };
            listeners.add(report);
            report();
            token.onCancellationRequested(() => {
              cancelRun(ctx, runId).finally(end);
            });
          }),
      );
    const timer = setTimeout(() => {
      if (!finished()) showProgress();
    }, PROGRESS_DELAY_MS);
    listeners.add(() => {
      if (finished()) finish();
    });
    if (finished()) finish();
  });
}

/** Abort what has not started and interrupt what is running. */
export async function cancelRun(ctx: Ctx, runId: string): Promise<void> {
  try {
    await ctx.request(AbortRequest, { runId, interruptRunning: true });
  } catch (e) {
    ctx.log.warn(`cancel run ${runId}: ${describeError(e)}`);
  }
}
