/**
 * Removing secrets from text that may reach a log or a message: ipcluster's output, engine logs, error
 * text. One copy, used by the extension (ipcluster's output) and the integration test harness.
 */

/**
 * Removes secrets from log text: the exact keys we know, any `'key': b'...'`-style setting (engines log
 * their Session config, key included), and `"key": "..."` JSON fields. Logs must never carry the HMAC key.
 */
export function redact(text: string, keys: Iterable<string> = []): string {
  let out = text;
  for (const k of keys) if (k) out = out.split(k).join('<key>');
  out = out.replace(/(['"]key['"]\s*:\s*b?)(['"])[^'"\n]*\2/gi, '$1$2<key>$2');
  out = out.replace(/(Session\.key\s*=\s*b?)(['"])[^'"\n]*\2/g, '$1$2<key>$2');
  return out;
}
