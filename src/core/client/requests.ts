import type { Message } from '../protocol/message';
import { AbortedError, ClientError, HubError, TimeoutError } from './errors';
import { clampOptionalTimeoutMs } from '../timeouts';
import { message } from '../messages';

export interface PendingOptions {
  /** What is being waited for, for error messages ("queue_request to the hub"). */
  what: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The engine the request went to: it fails with EngineGoneError when that engine unregisters. */
  engineUuid?: string;
  /** Builds the error thrown on timeout (default: a TimeoutError naming `what` and the delay). */
  onTimeout?: () => Error;
}

interface Entry {
  what: string;
  engineUuid?: string;
  resolve(message: Message): void;
  reject(error: Error): void;
}

/** Seconds for messages: "10", "2.5". */
export function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

/** The error a failed request settles with when a signal fires (its reason when that is an Error). */
export function abortError(signal: AbortSignal, what: string): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof ClientError) return reason;
  return new AbortedError(message('cancelled', what));
}

/**
 * The table of requests waiting for a reply, keyed by the request's msg_id (replies carry it as
 * parent_header.msg_id). Every entry has a timeout and honours an AbortSignal, because the cluster
 * never answers bad or lost messages; entries can be failed per engine or all at once.
 */
export class PendingRequests {
  readonly #entries = new Map<string, Entry>();

  get size(): number {
    return this.#entries.size;
  }

  has(msgId: string): boolean {
    return this.#entries.has(msgId);
  }

  /**
   * Registers a request before it is sent. The promise resolves with the reply message (hub_error
   * replies reject with HubError) and rejects on timeout, abort, or fail*().
   */
  add(msgId: string, options: PendingOptions): Promise<Message> {
    const { signal } = options;
    const timeoutMs = clampOptionalTimeoutMs(options.timeoutMs);
    if (signal?.aborted) return Promise.reject(abortError(signal, options.what));
    return new Promise<Message>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => settle(() => reject(abortError(signal as AbortSignal, options.what)));
      const settle = (fn: () => void): void => {
        if (!this.#entries.delete(msgId)) return;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      this.#entries.set(msgId, {
        what: options.what,
        engineUuid: options.engineUuid,
        resolve: (m) => settle(() => resolve(m)),
        reject: (e) => settle(() => reject(e)),
      });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          settle(() => reject(options.onTimeout?.() ?? new TimeoutError(message('noAnswerWithin', options.what, seconds(timeoutMs)))));
        }, timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Settles the request this reply answers. Returns false when no request is waiting for it. */
  settle(reply: Message): boolean {
    const id = reply.parent.msg_id;
    if (typeof id !== 'string') return false;
    const entry = this.#entries.get(id);
    if (!entry) return false;
    if (reply.header.msg_type === 'hub_error') entry.reject(hubError(reply.content));
    else entry.resolve(reply);
    return true;
  }

  /** Fails one request (e.g. when sending it was impossible). */
  fail(msgId: string, error: Error): void {
    this.#entries.get(msgId)?.reject(error);
  }

  /** Fails every request addressed to an engine. */
  failEngine(engineUuid: string, error: (what: string) => Error): void {
    for (const entry of [...this.#entries.values()]) {
      if (entry.engineUuid === engineUuid) entry.reject(error(entry.what));
    }
  }

  /** Fails every pending request. */
  failAll(error: (what: string) => Error): void {
    for (const entry of [...this.#entries.values()]) entry.reject(error(entry.what));
  }
}

/** A HubError from wrapped-exception content ({ename, evalue, traceback}). */
export function hubError(content: Record<string, unknown>): HubError {
  const tb = Array.isArray(content.traceback) ? content.traceback.map(String) : [];
  return new HubError(String(content.ename ?? 'HubError'), String(content.evalue ?? message('hubReportedError')), tb);
}

/** The content of a hub reply, or HubError when its status is not ok. */
export function okContent(reply: Message): Record<string, unknown> {
  if (reply.content.status !== 'ok') throw hubError(reply.content);
  return reply.content;
}

/** Races a promise against a timeout and an AbortSignal; `onCancel` runs when either wins. */
export function withDeadline<T>(
  promise: Promise<T>,
  options: { timeoutMs?: number; signal?: AbortSignal },
  what: string,
  onCancel?: () => void,
): Promise<T> {
  const { signal } = options;
  const timeoutMs = clampOptionalTimeoutMs(options.timeoutMs);
  if (signal?.aborted) {
    onCancel?.();
    return Promise.reject(abortError(signal, what));
  }
  const hasTimeout = timeoutMs !== undefined;
  if (!hasTimeout && !signal) return promise;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      cleanup();
      onCancel?.();
      reject(abortError(signal as AbortSignal, what));
    };
    if (hasTimeout) {
      timer = setTimeout(() => {
        cleanup();
        onCancel?.();
        reject(new TimeoutError(message('didNotFinish', what, seconds(timeoutMs))));
      }, timeoutMs);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e: unknown) => {
        cleanup();
        reject(e);
      },
    );
  });
}
