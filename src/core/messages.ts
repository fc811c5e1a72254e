/**
 * The table of what the language server says to a user: the messages of ipp/* errors, the problems
 * with a request's parameters, the text of remote-error diagnostics and of hovers, and every error of
 * core that reaches a user through them (connection files, connecting, ssh tunnels, names, signature
 * schemes, stale clusters, requests, runs and engines). English only for now; a translation is another
 * table with the same keys and the same `{0}`, `{1}` placeholders. test/unit/serverMessages.test.ts
 * checks both, and that no error in src/core or src/server is made with a literal message: an error
 * only logged is exempt by "Internal:" in its class's doc block, an assertion by `// internal: <why>`.
 * It sits at the bottom of src/core (no imports), so every layer can use it.
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
  cfKeyEmpty: "{0}: the key is empty, so messages are not signed; anyone who can reach the controller's ports can run code on its engines.",
  cfReadableOthers: "{0} is readable by other users (mode {1}); its key lets them run code on the cluster. Run: chmod 600 '{0}'",
  cfReadableGroup: "{0} is readable by its group (mode {1}); its key lets them run code on the cluster. Run: chmod 600 '{0}'",
  // how a connection is protected (src/core/client/security.ts)
  plainTcp:
    'the controller at {0} is reached over plain TCP on a non-loopback interface without CURVE: code and outputs cross the network unencrypted (the HMAC key only authenticates them). Use an SSH tunnel or enable CURVE.',
  // finding a Python with ipyparallel (src/core/python.ts)
  installHint:
    'Install ipyparallel for a Python 3 (Debian/Ubuntu, as root: apt-get install {0}; elsewhere: python3 -m pip install ipyparallel), or set {1} to an interpreter that has it.',
  // connecting (src/core/client/connection.ts)
  noAnswer: 'no answer from the controller at {0} within {1} s: is it running, and is the key right?',
  refusedAt: 'the controller at {0} refused the connection: {1}',
  refused: 'the controller refused the connection: {0}',
  notConnectedState: 'not connected to a cluster (state: {0})',
  disposed: 'this client was disposed',
  // ssh tunnels (src/core/transport/sshArgs.ts, sshTunnel.ts): "SSH tunnel to <server> failed: <why>"
  sshFailed: 'SSH tunnel to {0} failed: {1}',
  sshBadServer: 'invalid ssh server {0}: {1}. Expected [user@]host[:port], e.g. alice@login.example.org:22.',
  sshEmpty: 'it is empty',
  sshWhitespace: 'it contains whitespace',
  sshEmptyUser: 'the user before "@" is empty',
  sshEmptyHost: 'the host is empty',
  sshDash: 'it must not start with "-"',
  sshBadHost: 'the host may contain only letters, digits, ".", "-" and "_" (or be an IPv6 address, e.g. [::1])',
  sshBadUser: 'the user may contain only letters, digits, ".", "_", "-" (and "@" for e-mail style names)',
  sshBadPort: 'the port {0} is not a number from 1 to 65535',
  sshSettingSource: 'the ssh server setting (sshServer)',
  sshFieldSource: 'the "ssh" field of {0}',
  theConnectionFile: 'the connection file',
  sshFrom: '{0}: {1}',
  sshNoForward: 'an ssh tunnel needs at least one port to forward',
  // the hints after ssh's own words keep their leading space and the literal `<server>`, filled in after
  sshHintDenied:
    ' ssh runs in batch mode and never asks for a password: set up key-based login (ssh-copy-id, or load the key into ssh-agent) and check that `ssh <server>` works in a terminal without a prompt.',
  sshHintHostKey: " The server's host key is unknown or changed: connect once with `ssh <server>` in a terminal and accept (or fix) the key.",
  sshHintHostName: ' Check the host name (the connection file\'s "ssh" field or the ssh server setting).',
  sshHintPortTaken: ' A local port of the tunnel is taken by another program.',
  sshHintUnreachable: ' Check that the server is reachable and runs sshd on that port.',
  sshExitedCode: 'exited with code {0}',
  sshKilledBy: 'was killed by {0}',
  sshASignal: 'a signal',
  sshNoMessage: 'ssh {0} without a message.',
  sshNotFound: 'the ssh client "{0}" was not found',
  sshNotRunnable: 'the ssh client "{0}" could not be started ({1})',
  sshInstall: "{0}. Install OpenSSH's ssh client, or set the path to ssh in the settings.",
  sshNeedsTcp: 'an SSH tunnel needs a tcp controller, but {0} uses {1}',
  sshNotStartedYet: 'the SSH tunnel to {0} has not been started',
  sshDisposed: 'the SSH tunnel to {0} is disposed',
  sshPortsTimeout: 'the forwarded ports did not open within {0}',
  sshSaid: '; ssh said: {0}',
  sshSaidNothing: '; ssh wrote nothing (is it waiting on a slow network or a ProxyCommand?)',
  milliseconds: '{0} ms',
  seconds: '{0} s',
  // the zeromq addon (src/core/transport/errors.ts)
  zmqLoad:
    'the zeromq native addon could not be loaded ({0}). It ships prebuilt for linux, macOS and windows on x64/arm64; on another platform or Node version reinstall it (npm rebuild zeromq) or install a build toolchain so it can compile.',
  // signature schemes (src/core/protocol/signer.ts)
  schemeNotHmac: 'unsupported signature_scheme {0}: only hmac-<hash> schemes exist (e.g. "hmac-sha256")',
  schemeNoHash: 'unsupported signature_scheme {0}: this Node\'s crypto has no HMAC hash "{1}" (use e.g. "hmac-sha256")',
  // profile and cluster id names (src/core/protocol/discovery.ts)
  nameEmpty: 'The {0} must not be empty: only letters, digits, "_", "." and "-" are allowed.',
  nameNotPlain: 'The {0} {1} is not a plain name: only letters, digits, "_", "." and "-" are allowed. Check the {0} setting.',
  nameDotDot: 'The {0} {1} must not contain "..": only letters, digits, "_", "." and "-" are allowed, never "..". Check the {0} setting.',
  // stale clusters (src/core/protocol/clusterRecords.ts)
  clusterOfProfile: "Cluster '{0}' of profile '{1}'",
  defaultClusterId: '(default)',
  clusterStillRuns: '{0} still has running processes (pids {1}): its files are left alone. Stop them first.',
  clusterNotStale: '{0} is {1}, not stale: its files are left alone. Stop it first (ipcluster stop), or refresh the list.',
  notAClusterId: "'{0}' is not a cluster id: it names a path. Nothing was removed.",
  // requests, runs and engines (src/core/client/*.ts)
  cancelled: '{0} was cancelled',
  noAnswerWithin: '{0} got no answer within {1} s',
  didNotFinish: '{0} did not finish within {1} s',
  hubReportedError: 'the hub reported an error',
  executeCancelledEarly: 'execute was cancelled before it was sent',
  noEngines: 'no engines are registered with the controller',
  runNotTracked: 'no run or task {0} is tracked by this client',
  taskNotTracked: 'task {0} is not tracked by this client',
  engineNotRegistered: 'engine {0} is not registered with the controller',
  engineUnregistered: 'engine {0} unregistered',
  whilePending: '{0} while {1} was pending',
  closedWhileConnecting: 'the connection was closed while connecting',
  connectingFailed: 'connecting failed: {0}',
  requestFailed: '{0} failed: {1}',
  // why a connection or a task ended (src/core/client/connection.ts, liveness.ts, replySweep.ts, tasks.ts, reattach.ts)
  clientDisconnected: 'the client disconnected',
  clientDisposed: 'the client was disposed',
  shutDownByUs: 'the cluster was shut down by this client',
  shutDown: 'the cluster was shut down',
  controllerRestarted: 'the controller restarted (its connection file was rewritten)',
  reconnectingFailed: 'reconnecting failed: {0}',
  tunnelNotReestablished: 'the SSH tunnel through {0} could not be re-established',
  stoppedAnswering: 'the controller at {0} stopped answering',
  replyNeverCameNoRecord: 'its reply never came and the controller has no record of it',
  replyNeverCameEngineGone: 'its reply never came and {0} is no longer registered',
  abortedBeforeRun: 'aborted before it ran',
  noHubRecord: 'the controller has no record of this task (purged, or the controller restarted since it ran)',
  // what the cluster's ipyparallel can do (src/core/client/features.ts)
  versionUnreported: 'an ipyparallel version no engine has reported',
  versionOf: 'ipyparallel {0}',
  versionReportedBy: 'ipyparallel {0} (as reported by engine {1})',
  versionOrLater: 'ipyparallel {0} or later',
  featureNeeds: '{0} needs ipyparallel {1} or later; this cluster runs {2}. Upgrade ipyparallel on the cluster.',
  featureNeedsWhy: '{0} needs ipyparallel {1} or later ({2}); this cluster runs {3}. Upgrade ipyparallel on the cluster.',
  unanswered: '{0} got no answer within {1} s. {2} needs {3}; this cluster runs {4}.',
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
