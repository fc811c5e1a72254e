/**
 * The default timeouts and limits, written once. The client's options, the server's settings and the
 * extension's settings (package.json's `default`s, checked by test/unit/defaults.test.ts) all take theirs
 * from here, so a default changes in one place.
 */
export const DEFAULTS = {
  /** ms to wait for the cluster to answer while connecting. */
  connectTimeoutMs: 10_000,
  /** ms to wait for the hub or an engine to answer a request. */
  requestTimeoutMs: 30_000,
  /** ms ipp/wait waits for a run when the request names no timeoutMs. */
  waitTimeoutMs: 30_000,
  /** ms for hover and completion requests to engines. */
  languageFeatureTimeoutMs: 1500,
  /** ms within which the server coalesces notifications. */
  notificationBatchMs: 50,
  /** Hub records returned by a history query that names no limit. */
  historyLimit: 100,
  /** Terminal tasks a client keeps before it forgets the oldest. */
  maxTasks: 20_000,
  /** ms an engine may stay idle with a task still marked running before the task ends. */
  idleGraceMs: 3000,
  /** ms a task may wait for its reply before the client asks the hub about it (the lost-reply sweep). */
  replySweepMs: 30_000,
  /** Output bytes each task keeps (its beginning and end, with a marker between). */
  maxOutputBytesPerTask: 32 * 1024 * 1024,
  /** Output bytes all tasks keep together; past it the oldest finished tasks are forgotten. */
  maxTotalOutputBytes: 512 * 1024 * 1024,
} as const;
