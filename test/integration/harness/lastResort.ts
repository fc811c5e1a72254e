// Last-resort cleanup: clusters that were never stopped are SIGKILLed when the process exits or dies of a
// signal nobody else handles.

/** A cluster that can be killed synchronously (and then removes itself from the live set). */
export interface Killable {
  killAllSync(): void;
}

/** Clusters started and not yet stopped. */
export const live = new Set<Killable>();

let lastResortInstalled = false;

/**
 * Last resort for clusters that were never stopped: SIGKILL them on process exit, and on SIGINT/SIGTERM/
 * SIGHUP when nobody else handles those signals (then re-raise the signal so the process still dies of it).
 */
export function installLastResort(): void {
  if (lastResortInstalled) return;
  lastResortInstalled = true;
  process.on('exit', () => {
    for (const c of [...live]) c.killAllSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    if (process.listenerCount(sig) > 0) continue;
    const handler = (): void => {
      for (const c of [...live]) c.killAllSync();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}
