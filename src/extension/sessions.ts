/**
 * Several clusters at once, the extension's side (no `vscode`, unit tested in plain Node): which
 * language-server session is active, the session id a cluster gets, whether a notification belongs to
 * the active session, and the text of the Switch Active Cluster quick pick. The model (model.ts) mirrors
 * the active session only; notifications of the others are left out of it (see docs/server-protocol.md
 * "Several clusters at once").
 */
import { DEFAULT_SESSION_ID, type ConnectParams, type SessionInfo, type SessionParams } from '../shared/protocol';
import { l10n } from './l10n';
import { clusterName } from './statusText';

/** What the server accepts as a session id: 1-128 letters, digits or `_ . : @ -`. */
const ID_CHARS = /[^A-Za-z0-9_.:@-]/g;

/** A connect target's cluster name: `gpu` for its connection file, `myprofile:abc` for a profile and cluster id. */
export function targetName(params: ConnectParams): string {
  if ('connectionFile' in params) return clusterName(params.connectionFile);
  const profile = params.profile ?? 'default';
  return params.clusterId ? `${profile}:${params.clusterId}` : profile;
}

/**
 * The session id of a cluster: `c:` and its name (`c:default`, `c:gpu`, `c:myprofile:abc`), made a
 * valid id, and different from every id in `taken` (`c:gpu-2`, ...). Never `default` (the first session's).
 */
export function sessionIdFor(name: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  used.add(DEFAULT_SESSION_ID);
  const base = `c:${name}`.replace(ID_CHARS, '_').slice(0, 120);
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  return id;
}

/** The session a notification is of (none named: the default one). */
export function sessionOf(p: SessionParams | undefined): string {
  return p?.sessionId ?? DEFAULT_SESSION_ID;
}

/** The extension's record of the server's sessions: the active one, and the open ones with their files. */
export class Sessions {
  #active = DEFAULT_SESSION_ID;
  /** Open sessions other than the default one, by id: their connection files. */
  readonly #others = new Map<string, string>();
  #defaultFile: string | undefined;

  get active(): string {
    return this.#active;
  }
  /** More than one cluster is open: the views and the status bar name the active one. */
  get several(): boolean {
    return this.#others.size > 0;
  }
  /** The connection file of the active session, when known. */
  get activeFile(): string | undefined {
    return this.#active === DEFAULT_SESSION_ID ? this.#defaultFile : this.#others.get(this.#active);
  }
  /** The open sessions with their connection files: the default one first (when connected), then the others as opened. */
  open(): { sessionId: string; connectionFile: string | undefined }[] {
    const others = [...this.#others].map(([sessionId, connectionFile]) => ({ sessionId, connectionFile: connectionFile || undefined }));
    return this.#defaultFile ? [{ sessionId: DEFAULT_SESSION_ID, connectionFile: this.#defaultFile }, ...others] : others;
  }
  /** True when a notification is of the active session (so it may change the model). */
  isActive(p: SessionParams | undefined): boolean {
    return sessionOf(p) === this.#active;
  }
  /** A new session id for a connect target (see sessionIdFor). */
  newId(params: ConnectParams): string {
    return sessionIdFor(targetName(params), this.#others.keys());
  }
  /** The open session connected to this file, if any. */
  findByFile(connectionFile: string): string | undefined {
    for (const [id, file] of this.#others) if (file === connectionFile) return id;
    return this.#defaultFile === connectionFile ? DEFAULT_SESSION_ID : undefined;
  }
  /** `sessionId` connected to `connectionFile`, and is active. */
  opened(sessionId: string, connectionFile: string): void {
    if (sessionId === DEFAULT_SESSION_ID) this.#defaultFile = connectionFile;
    else this.#others.set(sessionId, connectionFile);
    this.#active = sessionId;
  }
  activated(sessionId: string): void {
    this.#active = sessionId;
  }
  /** A session was closed (the default one is never closed, only disconnected): the default one is active if it was. */
  closed(sessionId: string): void {
    if (sessionId === DEFAULT_SESSION_ID) this.#defaultFile = undefined;
    this.#others.delete(sessionId);
    if (this.#active === sessionId) this.#active = DEFAULT_SESSION_ID;
  }
  /** Re-reads the open sessions from ipp/sessions. */
  sync(list: readonly SessionInfo[]): void {
    this.#others.clear();
    this.#defaultFile = undefined;
    for (const s of list) {
      const open = s.state !== 'disconnected' && s.state !== 'closed';
      if (s.sessionId !== DEFAULT_SESSION_ID) this.#others.set(s.sessionId, s.connectionFile ?? '');
      else if (open) this.#defaultFile = s.connectionFile;
      if (s.active) this.#active = s.sessionId;
    }
  }
  /** The server went away, and every session with it. */
  reset(): void {
    this.#others.clear();
    this.#defaultFile = undefined;
    this.#active = DEFAULT_SESSION_ID;
  }
}

export interface SessionPickText {
  sessionId: string;
  label: string;
  description: string;
  detail?: string;
  active: boolean;
}

/** The items of Switch Active Cluster: one per session that is connected (or connecting), the active one marked. */
export function sessionPickTexts(list: readonly SessionInfo[]): SessionPickText[] {
  return list
    .filter((s) => s.state !== 'disconnected' && s.state !== 'closed')
    .map((s) => {
      const engines = s.engines === 1 ? l10n.t('1 engine') : l10n.t('{0} engines', s.engines);
      const state = s.state === 'connected' ? engines : `${s.state} · ${engines}`;
      return {
        sessionId: s.sessionId,
        label: clusterName(s.connectionFile),
        description: s.active ? l10n.t('{0} · active', state) : state,
        ...(s.connectionFile ? { detail: s.connectionFile } : {}),
        active: s.active,
      };
    });
}
