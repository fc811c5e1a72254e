/**
 * Event and Disposable, shaped like VS Code's but without importing it (as vscode-languageserver-node
 * does), so core models can emit events that the server and the extension both subscribe to.
 */
export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (value: T) => void) => Disposable;

/** Where a listener's error goes. Default: console.error. The server points it at its Logger. */
export type ListenerErrorHandler = (error: unknown) => void;

const defaultHandler: ListenerErrorHandler = (error) => {
  console.error(`[ipyparallel] an event listener threw (ignored): ${errorText(error)}`);
};
let listenerErrorHandler: ListenerErrorHandler = defaultHandler;

/** Sets where every Emitter reports a listener's error; undefined restores console.error. */
export function setListenerErrorHandler(handler: ListenerErrorHandler | undefined): void {
  listenerErrorHandler = handler ?? defaultHandler;
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}

/** Reports a listener's error without ever throwing (not even when the handler itself throws). */
function reportListenerError(error: unknown): void {
  try {
    listenerErrorHandler(error);
  } catch {
    try {
      defaultHandler(error);
    } catch {
      // nowhere left to report it: dropping it beats killing the session
    }
  }
}

export class Emitter<T> implements Disposable {
  #listeners = new Set<(value: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.#listeners.add(listener);
    return { dispose: () => this.#listeners.delete(listener) };
  };

  /**
   * Calls every listener. A throwing listener is reported (setListenerErrorHandler) and the others still
   * get the event; nothing is rethrown, since one bug must not end a session that holds other runs.
   */
  fire(value: T): void {
    for (const l of [...this.#listeners]) {
      try {
        l(value);
      } catch (e) {
        reportListenerError(e);
      }
    }
  }

  get hasListeners(): boolean {
    return this.#listeners.size > 0;
  }

  dispose(): void {
    this.#listeners.clear();
  }
}
