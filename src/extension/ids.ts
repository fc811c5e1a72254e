/**
 * Every command, view and context-key id of the extension, in one module with no imports, so that
 * package.json, the handlers and the unit test that checks them against each other agree.
 */

export const EXTENSION_ID = 'ipyparallel-vscode.ipyparallel-vscode';
export const CATEGORY = 'IPython Parallel';
export const CONFIG_SECTION = 'ipyparallel';

export const Commands = {
  // connection
  connect: 'ipyparallel.connect',
  disconnect: 'ipyparallel.disconnect',
  connectAnother: 'ipyparallel.connectAnother',
  switchCluster: 'ipyparallel.switchCluster',
  restartServer: 'ipyparallel.restartServer',
  showActions: 'ipyparallel.showActions',
  showOutput: 'ipyparallel.showOutput',
  showLog: 'ipyparallel.showLog',
  // local cluster
  startLocalCluster: 'ipyparallel.startLocalCluster',
  stopLocalCluster: 'ipyparallel.stopLocalCluster',
  shutdownCluster: 'ipyparallel.shutdownCluster',
  showQueueStatus: 'ipyparallel.showQueueStatus',
  // running code
  runSelection: 'ipyparallel.runSelection',
  runSelectionOnTargets: 'ipyparallel.runSelectionOnTargets',
  runCell: 'ipyparallel.runCell',
  runCellOnTargets: 'ipyparallel.runCellOnTargets',
  runFile: 'ipyparallel.runFile',
  runFileOnTargets: 'ipyparallel.runFileOnTargets',
  // all tasks
  abortAll: 'ipyparallel.abortAll',
  interruptAll: 'ipyparallel.interruptAll',
  purgeResults: 'ipyparallel.purgeResults',
  // engines view
  refreshEngines: 'ipyparallel.refreshEngines',
  runSelectionOnEngine: 'ipyparallel.runSelectionOnEngine',
  interruptEngine: 'ipyparallel.interruptEngine',
  showEngineOutput: 'ipyparallel.showEngineOutput',
  // tasks view
  refreshTasks: 'ipyparallel.refreshTasks',
  showTaskOutput: 'ipyparallel.showTaskOutput',
  abortTask: 'ipyparallel.abortTask',
  interruptTask: 'ipyparallel.interruptTask',
  resubmitTask: 'ipyparallel.resubmitTask',
  copyMsgId: 'ipyparallel.copyMsgId',
  purgeTask: 'ipyparallel.purgeTask',
  loadHistory: 'ipyparallel.loadHistory',
  showTimeline: 'ipyparallel.showTimeline',
  showTaskData: 'ipyparallel.showTaskData',
  // clusters view
  refreshClusters: 'ipyparallel.refreshClusters',
  startCluster: 'ipyparallel.startCluster',
  stopCluster: 'ipyparallel.stopCluster',
  connectCluster: 'ipyparallel.connectCluster',
  disconnectCluster: 'ipyparallel.disconnectCluster',
  addEngines: 'ipyparallel.addEngines',
  restartEngines: 'ipyparallel.restartEngines',
  openClusterLog: 'ipyparallel.openClusterLog',
  copyConnectionSnippet: 'ipyparallel.copyConnectionSnippet',
  removeStaleCluster: 'ipyparallel.removeStaleCluster',
  // notebooks and the Interactive Window
  pickCellTargets: 'ipyparallel.pickCellTargets',
  toggleCellOutputFolding: 'ipyparallel.toggleCellOutputFolding',
  restartNotebookKernel: 'ipyparallel.restartNotebookKernel',
  runInInteractiveWindow: 'ipyparallel.runInInteractiveWindow',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];

/** Every command id the extension registers a handler for (package.json must contribute exactly these). */
export const ALL_COMMANDS: readonly CommandId[] = Object.values(Commands);

/** Notebook controller ids (VS Code's `notebookKernel` context key holds `${EXTENSION_ID}/<id>`). */
export const NotebookControllers = {
  notebook: 'ipyparallel.cluster',
  interactive: 'ipyparallel.cluster.interactive',
} as const;

export const ViewContainers = {
  main: 'ipyparallel',
} as const;

export const Views = {
  engines: 'ipyparallel.engines',
  tasks: 'ipyparallel.tasks',
  clusters: 'ipyparallel.clusters',
  results: 'ipyparallel.resultsView',
} as const;

export const ContextKeys = {
  /** The language server holds a connected cluster client. */
  connected: 'ipyparallel.connected',
  /** A connect is in progress (or the client is reconnecting). */
  connecting: 'ipyparallel.connecting',
  /** At least one run of ours is not terminal. */
  hasRunningTasks: 'ipyparallel.hasRunningTasks',
  /** The Tasks view has at least one run. */
  hasRuns: 'ipyparallel.hasRuns',
  /** A cluster started by this window with Start Local Cluster is up. */
  localClusterRunning: 'ipyparallel.localClusterRunning',
  /** The language server is running. */
  serverRunning: 'ipyparallel.serverRunning',
  /** The language server holds more than one cluster session (Switch Active Cluster). */
  severalClusters: 'ipyparallel.severalClusters',
} as const;

/** contextValue of tree items, matched by `viewItem ==` / `viewItem =~` in package.json menus. */
export const TreeItemContexts = {
  engine: 'engine',
  runRunning: 'run.running',
  runFinished: 'run.finished',
  taskRunning: 'task.running',
  taskFinished: 'task.finished',
  history: 'history',
  historyTask: 'historyTask',
  message: 'message',
  clusterRunning: 'cluster.running',
  /** Running, and this window is connected to it. */
  clusterConnected: 'cluster.running.connected',
  clusterStopped: 'cluster.stopped',
  clusterStale: 'cluster.stale',
  /** Appended to a running cluster's context when some of its engines died (Restart Engines shows). */
  clusterLostSuffix: '.lost',
  /** Engines and Tasks views with several clusters connected: the top-level node of one cluster. */
  clusterGroup: 'clusterGroup',
  /** A row of a cluster that is not the active one (the row actions act on the active cluster, so none show). */
  otherCluster: 'otherCluster',
} as const;

/** Names of the output channels. */
export const Channels = {
  output: 'IPython Parallel',
  log: 'IPython Parallel (Log)',
} as const;

export const WebviewTypes = {
  results: 'ipyparallel.results',
  timeline: 'ipyparallel.timeline',
} as const;
