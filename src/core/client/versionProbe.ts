/**
 * The cluster's ipyparallel version, as far as a client can learn it. No message carries it (the
 * connection file, `cluster-<id>.json` and every header are the same in 7.x and 9.x: docs/ipyparallel-9.md),
 * so one idle engine is asked, with a silent user_expressions-only execute (the way hover evaluates: no
 * output, no task, no run). Engines are normally started from the controller's installation, so the
 * answer is normally the controller's version. Asked once per connection, and again when the engine that
 * answered leaves, or, after a failure, when the engines change (at most MAX_ATTEMPTS per engine set).
 */
import { Emitter, type Event } from '../event';
import type { Logger } from '../log';
import type { EnginesModel } from './engines';
import type { ClientState, ClusterVersion, ExpressionValue } from './types';

export const UNKNOWN_VERSION = 'unknown';

/** The expressions asked of the engine (module imports only: nothing is bound in the user's namespace). */
export const VERSION_EXPRESSIONS: Readonly<Record<string, string>> = {
  dist: "__import__('importlib.metadata').metadata.version('ipyparallel')",
  module: "__import__('ipyparallel').__version__",
  python: "__import__('platform').python_version()",
};

const MAX_ATTEMPTS = 3;
/** A version as Python's repr of a str: quoted, short, no spaces or quotes inside. */
const VERSION_REPR = /^'([0-9A-Za-z.+_-]{1,40})'$/;

/** `'9.2.0.dev0'` (the text/plain repr of a str) -> `9.2.0.dev0`; anything else -> undefined. */
export function versionFromExpression(value: ExpressionValue | undefined): string | undefined {
  if (value?.status !== 'ok') return undefined;
  const text = value.data['text/plain'];
  if (typeof text !== 'string' || text.length > 64) return undefined;
  return VERSION_REPR.exec(text)?.[1];
}

/** The ClusterVersion in an engine's answer; the distribution's version wins over `__version__`. */
export function versionFromAnswer(engineId: number, values: Record<string, ExpressionValue>): ClusterVersion {
  const version: ClusterVersion = { ipyparallel: versionFromExpression(values.dist) ?? versionFromExpression(values.module) ?? UNKNOWN_VERSION, engineId };
  const python = versionFromExpression(values.python);
  if (python) version.python = python;
  return version;
}

export interface VersionProbeDeps {
  engines: EnginesModel;
  logger: Logger;
  /** Evaluates the expressions on one engine (resolves with that engine's values). */
  ask(engineId: number, expressions: Record<string, string>): Promise<Record<string, ExpressionValue>>;
}

export class VersionProbe {
  readonly #deps: VersionProbeDeps;
  #connected = false;
  #version: ClusterVersion | undefined;
  #asking = false;
  /** Bumped on every connection change: an answer for an older connection is dropped. */
  #generation = 0;
  /** The engine ids when the last failed attempt was made, and how many attempts failed for them. */
  #failedFor = '';
  #failures = 0;
  readonly #onDidChange = new Emitter<ClusterVersion | undefined>();
  readonly onDidChange: Event<ClusterVersion | undefined> = this.#onDidChange.event;

  constructor(deps: VersionProbeDeps) {
    this.#deps = deps;
  }

  /** The version learned on this connection; `unknown` when it could not be learned (yet); undefined when not connected. */
  get version(): ClusterVersion | undefined {
    if (!this.#connected) return undefined;
    return this.#version ?? (this.#asking ? undefined : { ipyparallel: UNKNOWN_VERSION });
  }

  /** The client's state changed: a new connection forgets the old answer and asks again. */
  stateChanged(state: ClientState): void {
    const connected = state === 'connected';
    if (connected === this.#connected) return;
    this.#connected = connected;
    this.#generation++;
    this.#version = undefined;
    this.#asking = false;
    this.#failedFor = '';
    this.#failures = 0;
    this.#onDidChange.fire(this.version);
    if (connected) this.#maybeAsk();
  }

  /** The engines changed: ask if nobody answered yet, or if the engine that answered left. */
  enginesChanged(): void {
    if (!this.#connected || this.#asking) return;
    const answered = this.#version?.engineId;
    if (answered !== undefined && this.#deps.engines.get(answered)) return;
    if (answered !== undefined) {
      this.#version = undefined;
      this.#onDidChange.fire(this.version);
    }
    this.#maybeAsk();
  }

  #maybeAsk(): void {
    const engines = this.#deps.engines.list();
    const ids = engines.map((e) => e.id).join(',');
    if (ids === this.#failedFor && this.#failures >= MAX_ATTEMPTS) return;
    // An idle engine answers at once; a busy one only after its cell, so it is not asked.
    const engine = engines.find((e) => e.status === 'idle') ?? engines.find((e) => e.status === 'unknown');
    if (!engine) return;
    const generation = this.#generation;
    this.#asking = true;
    this.#deps.ask(engine.id, { ...VERSION_EXPRESSIONS }).then(
      (values) => {
        if (generation !== this.#generation) return;
        this.#asking = false;
        this.#version = versionFromAnswer(engine.id, values);
        this.#deps.logger.info(`engine ${engine.id} runs ipyparallel ${this.#version.ipyparallel} (Python ${this.#version.python ?? 'unknown'})`);
        this.#onDidChange.fire(this.version);
      },
      (e: Error) => {
        if (generation !== this.#generation) return;
        this.#asking = false;
        this.#failures = ids === this.#failedFor ? this.#failures + 1 : 1;
        this.#failedFor = ids;
        this.#deps.logger.debug(`asking engine ${engine.id} for its ipyparallel version: ${e.message}`);
        this.#onDidChange.fire(this.version);
      },
    );
  }

  dispose(): void {
    this.#generation++;
    this.#onDidChange.dispose();
  }
}
