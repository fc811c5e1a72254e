/**
 * The Clusters view: every cluster of every profile (ipp/clusters), one row each. Kept live without
 * polling any hub: while the view is visible, FileSystemWatchers on each profile's `security` folder
 * (where ipyparallel writes and removes `cluster-<id>.json` and the connection files) re-list on change,
 * and a slow timer re-checks the recorded pids (a killed cluster leaves its files unchanged). Hidden,
 * it watches nothing.
 */
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { defaultIpythonDir, listProfiles, profileDir } from '../../core/protocol/discovery';
import type { ClusterInfo, ClustersParams } from '../../shared/protocol';
import type { Settings } from '../settings';
import { clusterItem, clusterKey, withVanished, type ClusterNode } from './clusterItems';
import { NodeCache } from './nodes';
import { toTreeItem } from './toTreeItem';
import { messageItem } from './treeItems';

/** ms between pid re-checks while the view is visible. */
export const PID_RECHECK_MS = 10000;
const WATCH_DEBOUNCE_MS = 300;

/** The IPython dir and the extra dirs the settings name (`~` expanded; relative paths are dropped). */
export function clustersParams(s: Pick<Settings, 'ipythonDir' | 'extraIpythonDirs'>): Required<ClustersParams> {
  const expand = (d: string) => (d === '~' ? homedir() : d.startsWith('~/') ? join(homedir(), d.slice(2)) : d);
  return {
    ipythonDir: expand(s.ipythonDir) || defaultIpythonDir(),
    extraDirs: s.extraIpythonDirs.map(expand).filter((d) => isAbsolute(d)),
  };
}

/** The folders to watch: each root (new profiles appear there) and each profile's `security` folder. */
export function watchFolders(p: Required<ClustersParams>): string[] {
  const out: string[] = [];
  for (const root of [p.ipythonDir, ...p.extraDirs]) {
    const profiles = listProfiles(root);
    if (profiles.length === 0) out.push(root, join(root, 'security'));
    else out.push(root, ...profiles.map((name) => join(profileDir(root, name), 'security')));
  }
  return [...new Set(out)];
}

export class ClustersTree implements vscode.TreeDataProvider<ClusterNode>, vscode.Disposable {
  readonly #onDidChange = new vscode.EventEmitter<ClusterNode | undefined>();
  readonly onDidChangeTreeData = this.#onDidChange.event;
  readonly #nodes = new NodeCache<string, ClusterNode>((key) => ({ kind: 'cluster', key }));
  #clusters: ClusterInfo[] = [];
  #byKey = new Map<string, ClusterInfo>();
  #snapshot = '';
  #watchers: vscode.Disposable[] = [];
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #refreshing: Promise<ClusterInfo[]> | undefined;
  #again = false;
  #forget = false;
  readonly #forgotten = new Set<string>();
  #visible = false;

  constructor(
    private readonly list: (params: Required<ClustersParams>) => Promise<ClusterInfo[]>,
    private readonly params: () => Required<ClustersParams>,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get clusters(): readonly ClusterInfo[] {
    return this.#clusters;
  }

  info(key: string): ClusterInfo | undefined {
    return this.#byKey.get(key);
  }

  getChildren(element?: ClusterNode): ClusterNode[] {
    if (element) return [];
    return this.#clusters.map((c) => this.#nodes.get(clusterKey(c)));
  }

  getTreeItem(node: ClusterNode): vscode.TreeItem {
    const c = this.#byKey.get(node.key);
    return toTreeItem(c ? clusterItem(c, Date.now()) : messageItem(`gone:${node.key}`, vscode.l10n.t('(gone)')));
  }

  getParent(): undefined {
    return undefined;
  }

  /**
   * Re-lists now (one listing at a time; a call during one lists once more after it). Fires only on change.
   * Clusters that vanished since the last listing stay as stopped rows unless `forget` is set.
   */
  refresh(forget = false): Promise<ClusterInfo[]> {
    if (forget) this.#forget = true;
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      try {
        do {
          this.#again = false;
          this.#apply(await this.list(this.params()));
        } while (this.#again);
      } catch (e) {
        this.log.warn(`ipp/clusters: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        this.#refreshing = undefined;
      }
      return this.#clusters;
    })();
    return this.#refreshing;
  }

  /** Drops a cluster from the rows kept after it vanished (its files were removed on purpose). */
  forget(key: string): void {
    this.#forgotten.add(key);
  }

  #apply(listed: ClusterInfo[]): void {
    const kept = this.#forget ? [] : this.#clusters.filter((c) => !this.#forgotten.has(clusterKey(c)));
    const clusters = withVanished(listed, kept);
    this.#forget = false;
    this.#forgotten.clear();
    const snapshot = JSON.stringify(clusters);
    if (snapshot === this.#snapshot) return;
    this.#snapshot = snapshot;
    this.#clusters = clusters;
    this.#byKey = new Map(clusters.map((c) => [clusterKey(c), c]));
    this.#nodes.retain([...this.#byKey.keys()]);
    this.#onDidChange.fire(undefined);
  }

  /** The view is shown (the tree lists and watches only then). */
  get visible(): boolean {
    return this.#visible;
  }

  /** Starts or stops watching as the view shows or hides. */
  setVisible(visible: boolean): void {
    if (visible === this.#visible) return;
    this.#visible = visible;
    this.#unwatch();
    if (!visible) return;
    this.#watch();
    // Timers that fire after the view hid (its event comes late) must not list: listing starts the server.
    this.#timer = setInterval(() => this.#visible && void this.refresh(), PID_RECHECK_MS);
    void this.refresh();
  }

  /** The settings changed: watch the new folders. */
  rewatch(): void {
    if (!this.#visible) return;
    this.setVisible(false);
    this.setVisible(true);
  }

  #watch(): void {
    const onEvent = (uri: vscode.Uri) => {
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => {
        // A new profile folder: watch its security folder too.
        if (!this.#visible) return;
        if (basename(dirname(uri.fsPath)) !== 'security') this.#rewatchFolders();
        void this.refresh();
      }, WATCH_DEBOUNCE_MS);
    };
    for (const folder of watchFolders(this.params())) {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), '*'));
      this.#watchers.push(w, w.onDidCreate(onEvent), w.onDidChange(onEvent), w.onDidDelete(onEvent));
    }
  }

  #rewatchFolders(): void {
    for (const d of this.#watchers.splice(0)) d.dispose();
    this.#watch();
  }

  #unwatch(): void {
    for (const d of this.#watchers.splice(0)) d.dispose();
    clearInterval(this.#timer);
    clearTimeout(this.#debounce);
    this.#timer = undefined;
  }

  dispose(): void {
    this.#unwatch();
    this.#onDidChange.dispose();
  }
}
