/**
 * Remembers accepted signatures and rejects a second sight of one, as jupyter_client's
 * `Session.digest_history` does: at most `capacity` entries (65,536 by default); when full, a random
 * 10 % of the older ones are forgotten.
 */
export class ReplayGuard {
  #seen = new Set<string>();

  constructor(
    readonly capacity = 65536,
    private readonly random: () => number = Math.random,
  ) {}

  get size(): number {
    return this.#seen.size;
  }

  /** True if the signature was seen before; otherwise remembers it and returns false. */
  checkAndRemember(signature: string): boolean {
    if (this.#seen.has(signature)) return true;
    this.#seen.add(signature);
    if (this.#seen.size > this.capacity) this.#cull();
    return false;
  }

  #cull(): void {
    const drop = Math.max(1, Math.floor(this.capacity / 10));
    // Never forget the signature just added (the last in insertion order): it is the one most likely to
    // be replayed next. jupyter_client samples from all entries; this differs only in that.
    const all = [...this.#seen];
    all.pop();
    // Partial Fisher-Yates: choose `drop` random entries to forget.
    for (let i = 0; i < drop; i++) {
      const j = i + Math.floor(this.random() * (all.length - i));
      [all[i], all[j]] = [all[j], all[i]];
      this.#seen.delete(all[i]);
    }
  }
}
