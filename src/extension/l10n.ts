/**
 * Runtime strings for users, ready for translation: `l10n.t('Connected to {0}', name)`, as `vscode.l10n.t`.
 * Modules that import `vscode` may call `vscode.l10n.t` directly; this one serves the modules the unit
 * tests load in plain Node (status text, tree items, errors). activate() hands it `vscode.l10n.t`;
 * until then (and in unit tests) it formats the English message. Every message is a string literal at
 * the call, so scripts/l10n.mjs can list them in l10n/bundle.l10n.json, the file translators start from.
 */
export type L10nArg = string | number | boolean;
type Translate = (message: string, ...args: L10nArg[]) => string;

/** `{0}`, `{1}`… replaced by the arguments, as vscode.l10n.t does for English. */
export function formatMessage(message: string, args: readonly L10nArg[]): string {
  return message.replace(/\{(\d+)\}/g, (all, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : all));
}

const state: { translate: Translate } = { translate: (message, ...args) => formatMessage(message, args) };

export const l10n = {
  t: (message: string, ...args: L10nArg[]): string => state.translate(message, ...args),
  /** Called once by activate() with `vscode.l10n.t`. */
  use(translate: Translate): void {
    state.translate = translate;
  },
};
