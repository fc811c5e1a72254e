// Linux process helpers for the cluster harness: read /proc instead of running `ps`, identify a process by
// (pid, start time) so a recycled pid is never signalled, and treat zombies as dead.
import { readFileSync, readdirSync } from 'node:fs';

/** The fields of /proc/<pid>/stat the harness needs. */
export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks since boot at which the process started: with the pid, a unique identity. */
  startTime: number;
}

/** Parses /proc/<pid>/stat, or returns undefined when the process is gone (or /proc is unavailable). */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // `comm` is in parentheses and may itself contain spaces or parentheses: split after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field N is f[N - 3].
  return { pid, state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), startTime: Number(f[19]) };
}

/** The command line of a process as its argv, or [] when it is gone. */
export function readCmdline(pid: number): string[] {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s, i, a) => s !== '' || i < a.length - 1);
  } catch {
    return [];
  }
}

/** Every process visible in /proc. */
export function listProcs(): ProcStat[] {
  const out: ProcStat[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st) out.push(st);
  }
  return out;
}

function isRunning(st: ProcStat | undefined): st is ProcStat {
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
}

/** All living descendants of the given pids (not the pids themselves), parents before children. */
export function descendants(roots: readonly number[], procs: readonly ProcStat[] = listProcs()): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const p of procs) {
    if (!isRunning(p)) continue;
    const list = byParent.get(p.ppid) ?? [];
    list.push(p);
    byParent.set(p.ppid, list);
  }
  const out: ProcStat[] = [];
  const queue = [...roots];
  const seen = new Set<number>(roots);
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const child of byParent.get(pid) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/**
 * A process we started or found, pinned by its start time: `alive()` is false once it exits, becomes a
 * zombie, or its pid is reused by another process, so signalling through a ProcRef never hits a stranger.
 */
export class ProcRef {
  constructor(
    readonly pid: number,
    readonly startTime: number,
    /** What it is, for messages: 'controller', 'engine', 'nanny', 'ipcluster', ... */
    readonly role: string,
  ) {}

  /** A ProcRef for a running pid, or undefined if it is not running. */
  static of(pid: number, role: string): ProcRef | undefined {
    const st = readStat(pid);
    return isRunning(st) ? new ProcRef(pid, st.startTime, role) : undefined;
  }

  static fromStat(st: ProcStat, role: string): ProcRef {
    return new ProcRef(st.pid, st.startTime, role);
  }

  get key(): string {
    return `${this.pid}:${this.startTime}`;
  }

  stat(): ProcStat | undefined {
    const st = readStat(this.pid);
    return st && st.startTime === this.startTime ? st : undefined;
  }

  alive(): boolean {
    return isRunning(this.stat());
  }

  /** Sends a signal to this process only. Returns false if it was already gone. */
  signal(sig: NodeJS.Signals): boolean {
    if (!this.alive()) return false;
    try {
      process.kill(this.pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Sends a signal to this process's whole process group, but only while this process still leads it
   * (it was started detached or with setsid). Falls back to the process alone otherwise.
   */
  signalGroup(sig: NodeJS.Signals): boolean {
    const st = this.stat();
    if (!isRunning(st)) return false;
    try {
      process.kill(st.pgrp === this.pid ? -this.pid : this.pid, sig);
      return true;
    } catch {
      return false;
    }
  }
}

/** Resolves true as soon as `done()` holds, polling every `intervalMs`; false at the deadline. */
export async function pollUntil(done: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(1, deadline - Date.now()))));
  }
}

export interface TerminateOptions {
  /** First signal. Default SIGTERM. */
  signal?: NodeJS.Signals;
  /** Send the first signal to each process's group when it leads one. Default true. */
  group?: boolean;
  /** How long to wait after the first signal before SIGKILL. Default 10 s. */
  graceMs?: number;
  /** How long to wait after SIGKILL. Default 10 s. */
  killWaitMs?: number;
}

/**
 * Signals every process and waits until all are gone; SIGKILLs whatever is left after the grace period.
 * Returns the processes still alive at the very end (normally none).
 */
export async function terminate(refs: readonly ProcRef[], opts: TerminateOptions = {}): Promise<ProcRef[]> {
  const sig = opts.signal ?? 'SIGTERM';
  const group = opts.group ?? true;
  const allGone = (): boolean => refs.every((r) => !r.alive());
  for (const r of refs) if (group) r.signalGroup(sig); else r.signal(sig);
  if (await pollUntil(allGone, sig === 'SIGKILL' ? (opts.killWaitMs ?? 10_000) : (opts.graceMs ?? 10_000))) return [];
  for (const r of refs) {
    r.signalGroup('SIGKILL');
    r.signal('SIGKILL');
  }
  await pollUntil(allGone, opts.killWaitMs ?? 10_000);
  return refs.filter((r) => r.alive());
}

/** SIGKILLs every process (and the groups they lead) at once, without waiting: the last-resort path. */
export function killNow(refs: Iterable<ProcRef>): void {
  for (const r of refs) {
    r.signalGroup('SIGKILL');
    r.signal('SIGKILL');
  }
}
