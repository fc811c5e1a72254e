/**
 * When the language server dies, restart it, unless it died `maxRestarts + 1` times within the window
 * (as vscode-languageclient's default handler does): then give up and tell the user. Pure (a clock is
 * injected), so it is unit tested in plain Node.
 */
export class RestartPolicy {
  #crashes: number[] = [];

  constructor(
    readonly maxRestarts = 4,
    readonly windowMs = 3 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash; true when the server should be restarted. */
  shouldRestart(): boolean {
    const t = this.now();
    this.#crashes = this.#crashes.filter((c) => t - c < this.windowMs);
    this.#crashes.push(t);
    return this.#crashes.length <= this.maxRestarts;
  }

  get recentCrashes(): number {
    return this.#crashes.length;
  }

  /** Forget the crashes (after a restart the user asked for). */
  reset(): void {
    this.#crashes = [];
  }
}
