// The real-cluster test harness: see README.md in this folder.
export { TestCluster, withCluster, findIpyparallelPython } from './cluster';
export type { ClusterMode, ClusterOptions, EngineProcess } from './cluster';
export { ipyparallelVersion, INSTALL_HINT } from './python';
export { HubProbe, queryEngines } from './hubProbe';
export type { EngineMap } from './hubProbe';
export { ProcRef, readStat, descendants, pollUntil } from './procs';
export { waitForFile, redact } from './files';
