import { watch, watchFile, unwatchFile, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../log';

export interface ConnectionWatcherOptions {
  /** Stat polling interval, the fallback when fs.watch misses events (network file systems). Default 1000 ms. */
  pollMs?: number;
  /** Quiet time after the last event before reporting (the controller writes, then chmods). Default 150 ms. */
  debounceMs?: number;
}

/**
 * Watches a connection file for being rewritten, replaced or deleted: fs.watch on its directory (fast,
 * survives the file being replaced) plus stat polling as a fallback. Reports at most once per burst of
 * events; the client re-reads the file and decides whether anything that matters changed.
 */
export class ConnectionWatcher {
  #dirWatcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #disposed = false;
  readonly #listener: (curr: Stats, prev: Stats) => void;

  constructor(
    readonly file: string,
    private readonly onChange: () => void,
    private readonly logger: Logger,
    private readonly options: ConnectionWatcherOptions = {},
  ) {
    this.#listener = (curr, prev) => {
      if (curr.mtimeMs !== prev.mtimeMs || curr.ino !== prev.ino || curr.size !== prev.size) this.#schedule();
    };
    watchFile(file, { interval: options.pollMs ?? 1000, persistent: false }, this.#listener);
    try {
      const name = basename(file);
      this.#dirWatcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) this.#schedule();
      });
      this.#dirWatcher.on('error', (e) => {
        this.logger.debug(`watching ${dirname(file)}: ${e.message}; polling only`);
        this.#dirWatcher?.close();
        this.#dirWatcher = undefined;
      });
    } catch (e) {
      this.logger.debug(`cannot watch ${dirname(file)} (${(e as Error).message}); polling only`);
    }
  }

  #schedule(): void {
    if (this.#disposed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#disposed) this.onChange();
    }, this.options.debounceMs ?? 150);
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#timer) clearTimeout(this.#timer);
    unwatchFile(this.file, this.#listener);
    this.#dirWatcher?.close();
    this.#dirWatcher = undefined;
  }
}
