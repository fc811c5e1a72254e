/**
 * CPU time of the cluster's processes, by role, read from /proc: the floor under every client. The
 * controller process is the Hub; its children are the schedulers and relays (task, mux, control, iopub,
 * broadcast); engine kernels and their nannies are separate.
 */
import { descendants, type TestCluster } from '../test/integration/harness';
import { processCpuMs } from './procfs';

export type ClusterCpu = Record<'hub' | 'schedulers' | 'engines' | 'nannies', number>;

function cpu(pid: number): number {
  try {
    return processCpuMs(pid);
  } catch {
    return 0; // gone meanwhile
  }
}

export function clusterCpu(cluster: TestCluster): ClusterCpu {
  const out: ClusterCpu = { hub: 0, schedulers: 0, engines: 0, nannies: 0 };
  const hub = cluster.controllerPid();
  if (hub !== undefined) {
    out.hub = cpu(hub);
    for (const child of descendants([hub])) out.schedulers += cpu(child.pid);
  }
  for (const pid of cluster.enginePids()) out.engines += cpu(pid);
  for (const pid of cluster.nannyPids()) out.nannies += cpu(pid);
  return out;
}

export function cpuDelta(before: ClusterCpu, after: ClusterCpu): ClusterCpu {
  return {
    hub: after.hub - before.hub,
    schedulers: after.schedulers - before.schedulers,
    engines: after.engines - before.engines,
    nannies: after.nannies - before.nannies,
  };
}
