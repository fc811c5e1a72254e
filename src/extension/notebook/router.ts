/**
 * Routes ipp/output items of runs a notebook cell owns to that cell, and the rest on to the output
 * channel (pure: no `vscode` here). A handler's bug is the caller's to log: route() returns it.
 */
import type { OutputNotificationParams, OutputParamsItem } from '../../shared/protocol';

export type RunOutputHandler = (items: OutputParamsItem[]) => void;

export class OutputRouter {
  readonly #handlers = new Map<string, RunOutputHandler>();

  /** Items of `runId` go to `handler` until release(runId). */
  claim(runId: string, handler: RunOutputHandler): void {
    this.#handlers.set(runId, handler);
  }

  release(runId: string): void {
    this.#handlers.delete(runId);
  }

  /** Hands claimed items to their handlers; returns the params with the unclaimed items only, and any handler errors. */
  route(p: OutputNotificationParams): { rest: OutputNotificationParams; errors: unknown[] } {
    const byRun = new Map<string, OutputParamsItem[]>();
    const rest: OutputParamsItem[] = [];
    for (const item of p.items) {
      if (!this.#handlers.has(item.runId)) rest.push(item);
      else byRun.set(item.runId, [...(byRun.get(item.runId) ?? []), item]);
    }
    const errors: unknown[] = [];
    for (const [runId, items] of byRun) {
      try {
        this.#handlers.get(runId)!(items);
      } catch (e) {
        errors.push(e);
      }
    }
    return { rest: { items: rest }, errors };
  }
}
