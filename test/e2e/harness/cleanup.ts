// Last-resort cleanup: servers run detached in their own process groups, so if a test process dies past
// its teardown they would outlive it. Tracked groups are SIGKILLed when the process exits.
const live = new Set<number>();
let hooked = false;

export function trackGroup(pid: number): void {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const p of live) {
        try { process.kill(-p, 'SIGKILL'); } catch { /* already gone */ }
      }
    });
  }
  live.add(pid);
}

export function untrackGroup(pid: number): void {
  live.delete(pid);
}
