/**
 * Start… in the Clusters view: profile, cluster id, number of engines, engine launcher (local, MPI,
 * Slurm) and, for Slurm, the partition, time limit and extra #SBATCH lines; then `ipcluster start` with
 * them (the window's local cluster: it stops with the window like Start Local Cluster's). Every prompt
 * is skipped when its value comes in the command's argument.
 */
import * as vscode from 'vscode';
import { listProfiles } from '../../core/protocol/discovery';
import type { Ctx } from '../ctx';
import { CancelledError, UserError } from '../errors';
import { Commands } from '../ids';
import { checkPartition, checkSbatchLines, checkTimeLimit, ENGINE_LAUNCHERS, engineLauncherArgs, splitSbatchLines, type EngineLauncher, type SlurmOptions } from '../ipcluster';
import { LocalCluster } from '../localCluster';
import type { ClustersTree } from '../views/clustersTree';
import { findPython } from './clusterPython';

export interface StartClusterArgs {
  profile?: string;
  clusterId?: string;
  engines?: number;
  launcher?: EngineLauncher;
  slurm?: SlurmOptions;
}

export interface StartedCluster {
  profile: string;
  profileDir: string;
  clusterId: string;
  connectionFile: string;
  pid?: number;
}

const NAME = /^[\w.-]+$/;

async function ask(title: string, prompt: string, value: string, validate: (v: string) => string | undefined): Promise<string> {
  const v = await vscode.window.showInputBox({ title, prompt, value, validateInput: (s) => validate(s.trim()) });
  if (v === undefined) throw new CancelledError();
  return v.trim();
}

async function askProfile(ctx: Ctx, ipythonDir: string): Promise<string> {
  const known = [...new Set([ctx.config.settings.profile, 'default', ...listProfiles(ipythonDir)])];
  const pick = await vscode.window.showQuickPick([...known.map((label) => ({ label })), { label: vscode.l10n.t('Another profile…'), other: true }], {
    title: vscode.l10n.t('Start a cluster (1/4): profile'),
    placeHolder: vscode.l10n.t('Profiles in {0}', ipythonDir),
  });
  if (!pick) throw new CancelledError();
  if (!('other' in pick)) return pick.label;
  return ask(vscode.l10n.t('Start a cluster: profile'), vscode.l10n.t('A new profile name (ipyparallel creates profile_<name>)'), '', (v) => (NAME.test(v) ? undefined : vscode.l10n.t('Letters, digits, _ . -')));
}

async function askLauncher(): Promise<EngineLauncher> {
  const detail: Record<EngineLauncher, string> = {
    local: vscode.l10n.t('engines as processes on this machine'),
    mpi: vscode.l10n.t('engines under mpiexec (--engines=mpi): each engine gets an MPI rank'),
    slurm: vscode.l10n.t('engines as one Slurm job (--engines=slurm), submitted with sbatch'),
  };
  const pick = await vscode.window.showQuickPick(
    ENGINE_LAUNCHERS.map((l) => ({ label: l, detail: detail[l] })),
    { title: vscode.l10n.t('Start a cluster (4/4): engine launcher') },
  );
  if (!pick) throw new CancelledError();
  return pick.label as EngineLauncher;
}

async function askSlurm(): Promise<SlurmOptions> {
  const title = vscode.l10n.t('Start a cluster: Slurm');
  const partition = await ask(title, vscode.l10n.t('Partition (empty: the default partition)'), '', checkPartition);
  const timeLimit = await ask(title, vscode.l10n.t('Time limit (e.g. 30, 1:00:00, 2-00:00; empty: the partition default)'), '', checkTimeLimit);
  const extra = await ask(title, vscode.l10n.t('Extra #SBATCH lines, separated by ; (e.g. #SBATCH --mem=4G; #SBATCH --account=lab)'), '', (v) =>
    checkSbatchLines(splitSbatchLines(v)),
  );
  return { partition, timeLimit, extraLines: splitSbatchLines(extra) };
}

/** The answers: from the argument where given, else asked. */
async function startOptions(ctx: Ctx, ipythonDir: string, a: StartClusterArgs): Promise<Required<Omit<StartClusterArgs, 'slurm'>> & { slurm?: SlurmOptions }> {
  const profile = a.profile ?? (await askProfile(ctx, ipythonDir));
  const clusterId =
    a.clusterId ??
    (await ask(vscode.l10n.t('Start a cluster (2/4): cluster id'), vscode.l10n.t('Cluster id (files are named cluster-<id>.json)'), `vscode-${Date.now().toString(36)}`, (v) =>
      NAME.test(v) ? undefined : vscode.l10n.t('Letters, digits, _ . -'),
    ));
  const engines =
    a.engines ??
    Number(await ask(vscode.l10n.t('Start a cluster (3/4): engines'), vscode.l10n.t('How many engines?'), '2', (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 1024 ? undefined : vscode.l10n.t('A whole number from 1 to 1024'))));
  const launcher = a.launcher ?? (await askLauncher());
  const slurm = launcher === 'slurm' ? (a.slurm ?? (await askSlurm())) : undefined;
  return { profile, clusterId, engines, launcher, slurm };
}

export async function startCluster(ctx: Ctx, tree: ClustersTree, ipythonDir: string, args: StartClusterArgs = {}): Promise<StartedCluster> {
  ctx.requireTrust(vscode.l10n.t('Starting a cluster'));
  if (ctx.localCluster) {
    throw new UserError(vscode.l10n.t('This window already runs the cluster {0}: stop it first (one cluster per window).', ctx.localCluster.clusterId), {
      [vscode.l10n.t('Stop Local Cluster')]: Commands.stopLocalCluster,
    });
  }
  const o = await startOptions(ctx, ipythonDir, args);
  let extraArgs: string[];
  try {
    extraArgs = engineLauncherArgs({ launcher: o.launcher, slurm: o.slurm });
  } catch (e) {
    throw new UserError(vscode.l10n.t('Cannot start the cluster: {0}.', (e as Error).message));
  }
  const title = vscode.l10n.t('Starting cluster {0} ({1} {2} engines, profile {3})', o.clusterId, o.engines, o.launcher, o.profile);
  const cluster = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const python = await findPython(ctx);
    progress.report({ message: vscode.l10n.t('starting ipcluster…') });
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    const { profile, clusterId, engines } = o;
    return LocalCluster.start({ python, engines, profile, clusterId, ipythonDir, extraArgs, log: ctx.log, signal: abort.signal });
  });
  ctx.setLocalCluster(cluster);
  cluster.onDidExit(() => {
    if (ctx.localCluster === cluster) ctx.setLocalCluster(undefined);
    cluster.dispose();
    void tree.refresh();
  });
  await tree.refresh();
  vscode.window.showInformationMessage(vscode.l10n.t('IPython Parallel: cluster {0} started ({1} {2} engines).', o.clusterId, o.engines, o.launcher), vscode.l10n.t('Connect')).then((choice) => {
    if (choice) vscode.commands.executeCommand(Commands.connectCluster, { profileDir: profileDirOf(cluster.connectionFile), clusterId: o.clusterId });
  });
  return { profile: o.profile, profileDir: profileDirOf(cluster.connectionFile), clusterId: o.clusterId, connectionFile: cluster.connectionFile, pid: cluster.pid };
}

/** `<profileDir>/security/<file>` -> `<profileDir>`. */
function profileDirOf(connectionFile: string): string {
  return connectionFile.replace(/[\\/]security[\\/][^\\/]+$/, '');
}
