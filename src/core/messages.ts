/**
 * The table of what the language server says to a user: the messages of ipp/* errors, the problems
 * with a request's parameters, the text of remote-error diagnostics and of hovers. English only for
 * now; a translation is another table with the same keys and the same `{0}`, `{1}` placeholders, and
 * nothing else in src/server holds user-facing text (test/unit/serverMessages.test.ts checks both).
 * It sits at the bottom of src/core (no imports), so core's own user-facing errors can move here too.
 * Add a message: a key here, then `message('key', …args)` where it is used.
 */
export const MESSAGES = {
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
