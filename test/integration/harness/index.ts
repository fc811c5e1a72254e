// The real-cluster test harness: see README.md in this folder.
import { labelTopLevelTests, versionLabel } from './versionLabel';

// Every test file that uses the harness names its results with the ipyparallel version under test.
labelTopLevelTests(versionLabel());
export { TestCluster, withCluster, findIpyparallelPython } from './cluster';
export type { ClusterMode, ClusterOptions, EngineProcess } from './cluster';
export { ipyparallelVersion, INSTALL_HINT } from './python';
export { HubProbe, queryEngines } from './hubProbe';
export type { EngineMap } from './hubProbe';
export { ProcRef, readStat, descendants, pollUntil } from './procs';
export { waitForFile, redact } from './files';
export { checkIpyparallel, ipp9Missing, ipp9Site, ippEnv, versionUnderTest } from './ippVersion';
export type { IppVersion } from './ippVersion';
