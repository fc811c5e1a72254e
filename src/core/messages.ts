/**
 * The table of what the language server says to a user: the messages of ipp/* errors, the problems
 * with a request's parameters, the text of remote-error diagnostics and of hovers, and core's errors
 * that reach a user through them (so far: connection files and connecting). English only for now; a
 * translation is another table with the same keys and the same `{0}`, `{1}` placeholders, and nothing
 * else in src/server holds user-facing text (test/unit/serverMessages.test.ts checks both). It sits at
 * the bottom of src/core (no imports), so every layer can use it; core's other errors can move here too.
 * Add a message: a key here, then `message('key', …args)` where it is used.
 */
export const MESSAGES = {
  // a connection file that cannot be used (src/core/protocol/connectionFile.ts): "<where> <problem>. <fix>"
  cfProblem: '{0} {1}. {2}',
  cfConnectionFile: 'connection file',
  cfField: '{0}: field "{1}"',
  cfFixRestart: 'Restart the cluster (ipcluster start) to rewrite it, or choose another connection file.',
  cfFixTruncated: 'It may be truncated or not a connection file: {0}',
  cfNotJson: 'is not valid JSON (error at line {0}, column {1})',
  cfNotObject: 'holds a JSON {0}, not an object',
  cfMissing: 'is missing',
  cfMustBeString: 'must be a string, not {0}',
  cfMustBePort: 'must be an integer port, not {0}',
  cfPortRange: 'is {0}, outside the port range 1-65535',
  cfInterface: 'is {0}, not <transport>://<address> such as "tcp://127.0.0.1"',
  cfTransport: 'uses transport "{0}"; only tcp and ipc are supported',
  cfScheme: 'is {0}, which is not supported',
  cfFixScheme: 'Use an hmac-<hash> scheme such as "hmac-sha256" in the controller\'s Session.signature_scheme.',
  cfPacker: 'is {0}; only "json" and "orjson" can be read outside Python',
  cfFixPacker: 'Start the controller with the default JSON packer (Session.packer = "json").',
  cfCurveType: 'must be a string or null, not {0}',
  cfCurveKey: 'is not a 40-character Z85 CurveZMQ public key',
  cfNoFile: 'does not exist',
  cfFixNoFile: 'Start the cluster (ipcluster start), or check the profile, cluster id and IPython directory.',
  cfDenied: 'cannot be read (permission denied)',
  cfFixDenied: 'Run as the user that started the cluster.',
  cfIsDir: 'is a directory, not a connection file',
  cfFixIsDir: 'Choose the ipcontroller-client.json inside it.',
  cfUnreadable: 'cannot be read ({0})',
  cfOwner:
    "{0} is owned by another user (uid {1}, you are uid {2}): it may have been planted to steer the connection (its ssh server, its addresses). Use only a connection file you or the cluster's owner wrote.",
  cfDirWritableOthers: "{0} is writable by other users (mode {1}), so they can replace {2}. Run: chmod go-w '{0}'",
  cfDirWritableGroup: "{0} is writable by its group (mode {1}), so they can replace {2}. Run: chmod go-w '{0}'",
  // connecting (src/core/client/connection.ts)
  noAnswer: 'no answer from the controller at {0} within {1} s: is it running, and is the key right?',
  refusedAt: 'the controller at {0} refused the connection: {1}',
  refused: 'the controller refused the connection: {0}',
  notConnectedState: 'not connected to a cluster (state: {0})',
  disposed: 'this client was disposed',
  // ipp/* errors (src/server/errors.ts)
  notConnected: 'Not connected to a cluster: send ipp/connect first.',
  unknownRun: 'Unknown run or task "{0}": it may have been purged; ipp/tasks lists the known runs.',
  invalidParam: 'Invalid params: "{0}" {1}.',
  invalidParams: 'Invalid params: {0}',
  reconnect: '{0} Reconnect with ipp/connect.',
  internalError: 'Internal error in the cluster language server: {0}',
  // what is wrong with a parameter (src/server/params.ts, requests.ts): "Invalid params: "field" <problem>."
  mustBeObject: 'must be an object',
  mustBeString: 'must be a string',
  mustBeIntegerAtLeast: 'must be an integer >= {0}',
  mustBeBoolean: 'must be a boolean',
  waitTimeoutOnlyWithWait: 'applies only with wait: true',
  mustBeMsgIds: 'must be a non-empty list of msg_ids',
  mustBeRuns: 'must be a list of runs',
  tooManyRuns: 'names more than {0} runs',
  noSuchSession: "names no session ('{0}'): ipp/connect with this sessionId opens one; ipp/sessions lists them",
  badSessionId: 'must be 1-128 letters, digits or _ . : @ -',
  mustBeEngineIds: 'must be a list of engine ids (integers)',
  mustBeStrings: 'must be a list of strings',
  mustBeTargets: 'must be "all", "balanced" or a non-empty list of engine ids',
  mustBeObjectOf: 'must be an object of {0}',
  notUsable: 'is not usable: {0}',
  mustNotBeEmpty: 'must not be empty',
  isRequired: 'is required',
  mustBeAbsolute: 'must be absolute paths',
  mustBeSeconds: 'must be seconds >= 0',
  unregisteredEngines: 'names engines that are not registered ({0}); ipp/engines lists them',
  // remote-error diagnostics (src/server/diagnostics.ts): "ZeroDivisionError: division by zero (on engines 0, 1)"
  diagnostic: '{0}: {1} ({2})',
  diagnosticNoValue: '{0} ({1})',
  onEngines: 'on {0}',
  enginesJoin: '{0} and {1}',
  engineN: 'engine {0}',
  enginesN: 'engines {0}',
  aLoadBalancedEngine: 'a load-balanced engine',
  oneLoadBalancedEngine: '1 load-balanced engine',
  nLoadBalancedEngines: '{0} load-balanced engines',
  moreCharacters: '{0}… [{1} more characters]',
  // hovers (src/server/hover.ts)
  hoverOnEngine: '`{0}` on engine {1}',
  hoverOnEngines: '`{0}` on engines {1}',
  charactersInAll: '{0}\n… ({1} characters in all)',
} as const;

export type MessageKey = keyof typeof MESSAGES;

/** The message `key`, with `{0}`, `{1}`… replaced by `args`. */
export function message(key: MessageKey, ...args: readonly (string | number)[]): string {
  return MESSAGES[key].replace(/\{(\d+)\}/g, (all, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : all));
}
