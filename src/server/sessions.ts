/**
 * Several clusters at once: one session per cluster, keyed by the `sessionId` every ipp/* request may
 * carry. The default session is the server itself (a client that names no session uses only it); other
 * sessions are ClusterServers of their own (client, runs, notifications tagged with their id) that share
 * the server's connection and documents. One of them is active: requests without a sessionId, hover and
 * completion go to it.
 *
 * Why one server holding several sessions, not one server per cluster: the LSP features (hover,
 * completion, diagnostics) are registered once per document, so one server answers them from the active
 * cluster; and an editor starts and watches one process, whatever the number of clusters.
 */
import { DEFAULT_SESSION_ID, type SessionInfo } from '../shared/protocol';
import { invalidParams } from './errors';
import type { FeatureHost } from './features';
import type { RequestHost } from './host';
import { message } from '../core/messages';

/** What the hub needs of a session: a RequestHost (and FeatureHost, for hover) it can also dispose. */
export interface SessionHost extends RequestHost, FeatureHost {
  readonly sessionId: string;
  dispose(): void;
}

const SESSION_ID = /^[\w.:@-]{1,128}$/;

export class Sessions {
  readonly #others = new Map<string, SessionHost>();
  #activeId = DEFAULT_SESSION_ID;

  constructor(
    private readonly primary: SessionHost,
    private readonly create: (sessionId: string) => SessionHost,
  ) {}

  /** The session a request names (or the active one); InvalidParams for an id no ipp/connect opened. */
  host(sessionId: string | undefined): SessionHost {
    const id = sessionId ?? this.#activeId;
    if (id === DEFAULT_SESSION_ID) return this.primary;
    const found = this.#others.get(id);
    if (!found) throw invalidParams('sessionId', message('noSuchSession', id.slice(0, 128)));
    return found;
  }

  /** The session ipp/connect uses: the one named (opened now if new), or the active one. */
  forConnect(sessionId: string | undefined): SessionHost {
    const id = sessionId ?? this.#activeId;
    if (id === DEFAULT_SESSION_ID) return this.primary;
    if (!SESSION_ID.test(id)) throw invalidParams('sessionId', message('badSessionId'));
    let s = this.#others.get(id);
    if (!s) {
      s = this.create(id);
      this.#others.set(id, s);
    }
    return s;
  }

  get activeId(): string {
    return this.#activeId;
  }

  /** The active session (hover and completion ask its engines). */
  active(): SessionHost {
    return this.host(undefined);
  }

  activate(sessionId: string): void {
    this.host(sessionId); // throws for an unknown id
    this.#activeId = sessionId;
  }

  /** Closes and forgets a session other than the default one (after ipp/disconnect); the default becomes active if it was. */
  async remove(sessionId: string): Promise<void> {
    const s = this.#others.get(sessionId);
    if (!s) return;
    this.#others.delete(sessionId);
    if (this.#activeId === sessionId) this.#activeId = DEFAULT_SESSION_ID;
    await s.closeClient();
    s.flushNotifications();
    s.dispose();
  }

  all(): SessionHost[] {
    return [this.primary, ...this.#others.values()];
  }

  list(): SessionInfo[] {
    return this.all().map((s) => {
      const status = s.status();
      const info: SessionInfo = { sessionId: s.sessionId, active: s.sessionId === this.#activeId, state: status.state, engines: status.engines };
      if (status.connectionFile) info.connectionFile = status.connectionFile;
      return info;
    });
  }

  /** Closes every session's client (server shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all(this.all().map((s) => s.closeClient().catch((e: Error) => s.logger.warn(`closing session ${s.sessionId}: ${e.message}`))));
  }

  dispose(): void {
    for (const s of this.#others.values()) s.dispose();
    this.#others.clear();
  }
}
