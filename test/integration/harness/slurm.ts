// A throwaway single-node Slurm (Debian's slurm-wlm) on 127.0.0.1 for the Slurm launcher tests: slurmctld
// and slurmd in the foreground as our children, on free loopback ports, with every file under one temp
// folder, proctrack/linuxproc and no cgroups. munged is started too when it is not running (and then
// stopped again by its pid). See docs HPC-RECIPE for what was verified on this machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPorts } from '../../../src/core/transport/sshTunnel';
import { tailFile } from './files';
import { installLastResort, live } from './lastResort';
import { killNow, pollUntil, ProcRef, terminate } from './procs';

const BIN = { slurmctld: '/usr/sbin/slurmctld', slurmd: '/usr/sbin/slurmd', sinfo: '/usr/bin/sinfo', squeue: '/usr/bin/squeue', scancel: '/usr/bin/scancel', sbatch: '/usr/bin/sbatch' };
const MUNGE = { munged: '/usr/sbin/munged', munge: '/usr/bin/munge', key: '/etc/munge/munge.key', runDir: '/run/munge' };
export const SLURM_INSTALL_HINT = 'the Slurm tests need slurm-wlm and munge (as root: apt-get install slurm-wlm munge; scripts/bootstrap.mjs installs them).';

/** Why the Slurm tests cannot run here (or were skipped with IPP_SKIP_SLURM=1), or undefined when they can. */
export function slurmUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.IPP_SKIP_SLURM === '1') return 'IPP_SKIP_SLURM=1';
  for (const p of [...Object.values(BIN), MUNGE.munged, MUNGE.munge]) if (!existsSync(p)) return `${p} is missing: ${SLURM_INSTALL_HINT}`;
  if (process.getuid?.() !== 0) return 'the Slurm tests run slurmd, which needs root (run them as root, or set IPP_SKIP_SLURM=1)';
  return undefined;
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000, env });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

/** A job as squeue lists it. */
export interface SlurmJob {
  id: string;
  name: string;
  state: string;
}

export class TestSlurm {
  readonly dir: string;
  readonly conf: string;
  readonly logDir: string;
  #ports: { ctld: number; d: number } = { ctld: 0, d: 0 };
  readonly #daemons: { name: string; child: ChildProcess; ref: ProcRef }[] = [];
  #munged: ProcRef | undefined;

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'ipp-slurm-'));
    this.conf = join(this.dir, 'slurm.conf');
    this.logDir = join(this.dir, 'log');
    for (const d of ['state', 'spool', 'log']) mkdirSync(join(this.dir, d), { recursive: true });
  }

  /** Starts munged (when needed), slurmctld and slurmd; resolves once sinfo shows the node idle. */
  static async start(timeoutMs = 60_000): Promise<TestSlurm> {
    const missing = slurmUnavailable({});
    if (missing) throw new Error(missing);
    const s = new TestSlurm();
    live.add(s);
    installLastResort();
    const deadline = Date.now() + timeoutMs;
    try {
      await s.#ensureMunge(deadline);
      const [ctld, d] = await freeLoopbackPorts(2);
      s.#ports = { ctld, d };
      s.#writeConf();
      s.#daemon('slurmctld', BIN.slurmctld);
      s.#daemon('slurmd', BIN.slurmd);
      let last = '';
      const idle = await pollUntil(() => {
        if (s.#deadDaemon()) return true;
        last = run(BIN.sinfo, ['-h', '-o', '%t'], s.env()).out;
        return last === 'idle';
      }, Math.max(1000, deadline - Date.now()), 200);
      const dead = s.#deadDaemon();
      if (dead || !idle) throw new Error(`${dead ?? `the node did not become idle within ${timeoutMs / 1000} s (sinfo: ${last || 'no answer'})`}`);
      return s;
    } catch (e) {
      const report = `Slurm did not start: ${(e as Error).message}\n${s.logs()}`;
      await s.stop().catch(() => undefined);
      throw new Error(report);
    }
  }

  /** SLURM_CONF for every Slurm command and for ipcluster. */
  env(): Record<string, string> {
    return { ...(process.env as Record<string, string>), SLURM_CONF: this.conf };
  }

  get ports(): { ctld: number; d: number } {
    return { ...this.#ports };
  }

  /** Pids of the daemons the harness started (slurmctld, slurmd, and munged when it was not running). */
  pids(): number[] {
    return [...this.#daemons.map((d) => d.ref), ...(this.#munged ? [this.#munged] : [])].filter((r) => r.alive()).map((r) => r.pid);
  }

  get startedMunge(): boolean {
    return this.#munged !== undefined;
  }

  /** The jobs squeue lists now. Throws when squeue fails (slurmctld down). */
  jobs(): SlurmJob[] {
    const r = run(BIN.squeue, ['-h', '-o', '%i|%j|%T'], this.env());
    if (!r.ok) throw new Error(`squeue failed: ${r.out}`);
    return r.out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [id, name, state] = l.split('|');
        return { id, name, state };
      });
  }

  /** Waits until squeue no longer lists the job (COMPLETING counts as listed). */
  async waitForJobGone(id: string, timeoutMs = 30_000): Promise<boolean> {
    return pollUntil(() => !this.jobs().some((j) => j.id === id), timeoutMs, 200);
  }

  /** Tails of the daemons' logs and output (they hold no secrets). */
  logs(lines = 15): string {
    return ['slurmctld.log', 'slurmd.log', 'slurmctld.out', 'slurmd.out', 'munged.out']
      .map((n) => ({ n, t: tailFile(join(this.logDir, n), lines) }))
      .filter(({ t }) => t)
      .map(({ n, t }) => `--- ${n} ---\n${t}`)
      .join('\n');
  }

  /** Cancels every job left, stops the daemons (and munged if we started it) by pid, removes the temp dir. */
  async stop(): Promise<void> {
    if (this.#daemons.some((d) => d.ref.alive())) {
      const ids = this.#safeJobs().map((j) => j.id);
      if (ids.length > 0) {
        run(BIN.scancel, ids, this.env());
        await pollUntil(() => this.#safeJobs().length === 0, 30_000, 200);
      }
    }
    const refs = [...this.#daemons.map((d) => d.ref), ...(this.#munged ? [this.#munged] : [])];
    const left = await terminate(refs, { graceMs: 10_000 });
    live.delete(this);
    if (process.env.IPP_HARNESS_KEEP !== '1') rmSync(this.dir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`could not stop ${left.map((r) => `${r.role} ${r.pid}`).join(', ')}`);
  }

  /** The last resort at exit: cancel the jobs (their engines run under slurmstepd, not below us), then SIGKILL the daemons. */
  killAllSync(): void {
    const ids = this.#daemons.some((d) => d.ref.alive()) ? this.#safeJobs().map((j) => j.id) : [];
    if (ids.length > 0) run(BIN.scancel, ids, this.env());
    killNow([...this.#daemons.map((d) => d.ref), ...(this.#munged ? [this.#munged] : [])]);
    live.delete(this);
  }

  #safeJobs(): SlurmJob[] {
    try {
      return this.jobs();
    } catch {
      return [];
    }
  }

  #deadDaemon(): string | undefined {
    const d = this.#daemons.find((x) => x.child.exitCode !== null || x.child.signalCode !== null);
    return d && `${d.name} exited (${d.child.exitCode ?? d.child.signalCode})`;
  }

  /** munged must run for slurm's auth/munge: start it in the foreground (our pid) when `munge -n` fails. */
  async #ensureMunge(deadline: number): Promise<void> {
    if (run(MUNGE.munge, ['-n']).ok) return;
    if (!existsSync(MUNGE.key)) throw new Error(`${MUNGE.key} is missing (the munge package creates it; or run /usr/sbin/mungekey)`);
    mkdirSync(MUNGE.runDir, { recursive: true, mode: 0o755 });
    run('/bin/chown', ['munge:munge', MUNGE.runDir]);
    const child = this.#spawnLogged('munged', MUNGE.munged, ['--foreground', '--force']);
    this.#munged = child.pid ? ProcRef.of(child.pid, 'munged') : undefined;
    const ok = await pollUntil(() => run(MUNGE.munge, ['-n']).ok || child.exitCode !== null, Math.max(1000, deadline - Date.now()), 100);
    if (!ok || child.exitCode !== null) throw new Error(`munged did not start (${child.exitCode === null ? 'timed out' : `exit ${child.exitCode}`})`);
  }

  #daemon(name: string, bin: string): void {
    // -D: foreground, so the pid is ours and stop() can signal it.
    const child = this.#spawnLogged(name, bin, ['-D', '-f', this.conf]);
    const ref = child.pid !== undefined ? ProcRef.of(child.pid, name) : undefined;
    if (!ref) throw new Error(`${name} could not be started`);
    this.#daemons.push({ name, child, ref });
  }

  #spawnLogged(name: string, bin: string, args: string[]): ChildProcess {
    const fd = openSync(join(this.logDir, `${name}.out`), 'a');
    let child: ChildProcess;
    try {
      child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd], env: this.env() });
    } finally {
      closeSync(fd);
    }
    child.on('error', () => undefined);
    child.unref();
    return child;
  }

  #writeConf(): void {
    const d = this.dir;
    // Leave the node some slack, or slurmd reports less memory than configured and the node drains.
    const memoryMb = Math.max(256, Math.floor((totalmem() / 1048576) * 0.8));
    const lines = [
      'ClusterName=ipptest',
      'SlurmctldHost=localhost(127.0.0.1)',
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      `StateSaveLocation=${join(d, 'state')}`,
      `SlurmdSpoolDir=${join(d, 'spool')}`,
      `SlurmctldPidFile=${join(d, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(d, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(this.logDir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(this.logDir, 'slurmd.log')}`,
      `SlurmctldPort=${this.#ports.ctld}`,
      `SlurmdPort=${this.#ports.d}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'ReturnToService=2',
      'MpiDefault=none',
      `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${availableParallelism()} RealMemory=${memoryMb} State=UNKNOWN`,
      // FORCE:4 lets several engine jobs share the CPUs.
      'PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4',
      '',
    ];
    writeFileSync(this.conf, lines.join('\n'));
  }
}
