// What the MPI launcher needs here: Debian's Open MPI (mpiexec) and mpi4py for the Python that runs the
// engines. Open MPI refuses to run as root unless told twice.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const MPIEXEC = '/usr/bin/mpiexec';
export const MPI_INSTALL_HINT = 'the MPI tests need openmpi-bin and python3-mpi4py (as root: apt-get install openmpi-bin python3-mpi4py; scripts/bootstrap.mjs installs them).';

/** Why the MPI tests cannot run with this Python, or undefined when they can. */
export function mpiUnavailable(python: string): string | undefined {
  if (!existsSync(MPIEXEC)) return `${MPIEXEC} is missing: ${MPI_INSTALL_HINT}`;
  const r = spawnSync(python, ['-c', 'import mpi4py'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return `${python} cannot import mpi4py: ${MPI_INSTALL_HINT}`;
  return undefined;
}

/** Environment for mpiexec: as root, Open MPI's two opt-ins. */
export function mpiEnv(): Record<string, string> {
  return process.getuid?.() === 0 ? { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' } : {};
}
