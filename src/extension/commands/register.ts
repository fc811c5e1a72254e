/**
 * Registering a command: the handler's failure reaches the user once (a UserError with its buttons,
 * a request error described in one line), details go to the log, cancellation is silent.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { CancelledError, describeError, isResponseError, UserError } from '../errors';
import type { CommandId } from '../ids';

export type Handler = (...args: never[]) => unknown;

/** The last error a command reported (the extension-host tests read it through the API). */
export const lastErrors: { command?: string; message?: string } = {};

export function registerCommand(ctx: Ctx, id: CommandId, handler: Handler): void {
  const run = handler as (...args: unknown[]) => unknown;
  ctx.extension.subscriptions.push(
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await run(...args);
      } catch (e) {
        reportError(ctx, id, e);
        return undefined;
      }
    }),
  );
}

export function reportError(ctx: Ctx, id: string, e: unknown): void {
  if (e instanceof CancelledError) return;
  const message = describeError(e);
  lastErrors.command = id;
  lastErrors.message = message;
  const detail = isResponseError(e) && e.data !== undefined ? ` ${JSON.stringify(e.data)}` : '';
  ctx.log.error(`${id}: ${message}${detail}`);
  if (!(e instanceof UserError) && e instanceof Error && e.stack) ctx.log.debug(e.stack);
  const actions = e instanceof UserError ? e.actions : {};
  vscode.window.showErrorMessage(message, ...Object.keys(actions)).then((choice) => {
    if (choice) vscode.commands.executeCommand(actions[choice]);
  });
}
