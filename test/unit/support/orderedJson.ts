/**
 * A tiny JSON reader/writer that keeps what `JSON.parse` loses: key order (JS objects put integer-like keys
 * such as "0", "1" first) and the exact text of numbers (Python writes `5.0`, JS would write `5`).
 * The captured examples are stored decoded; this lets a test rebuild the exact bytes each side sent.
 */

export type OrderedJson =
  | { kind: 'object'; entries: [string, OrderedJson][] }
  | { kind: 'array'; items: OrderedJson[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'literal'; text: 'true' | 'false' | 'null' };

/** `compact`: JSON.stringify. `python`: json.dumps defaults (", " and ": ") with ensure_ascii=False. */
export type JsonStyle = 'compact' | 'python';

const STRING = /"(?:[^"\\]|\\.)*"/suy;
const LITERAL = /true|false|null/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseOrdered(text: string): OrderedJson {
  let i = 0;
  const match = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (m) i += m[0].length;
    return m?.[0];
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`orderedJson: ${what} at offset ${i}`);
  };
  const value = (): OrderedJson => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, OrderedJson][] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', entries };
      }
      for (;;) {
        ws();
        const key = value();
        if (key.kind !== 'string') fail('object key is not a string');
        ws();
        if (text[i++] !== ':') fail('expected ":"');
        entries.push([(key as { value: string }).value, value()]);
        ws();
        const sep = text[i++];
        if (sep === '}') return { kind: 'object', entries };
        if (sep !== ',') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const items: OrderedJson[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', items };
      }
      for (;;) {
        items.push(value());
        ws();
        const sep = text[i++];
        if (sep === ']') return { kind: 'array', items };
        if (sep !== ',') fail('expected "," or "]"');
      }
    }
    if (c === '"') {
      const str = match(STRING);
      if (str === undefined) return fail('unterminated string');
      return { kind: 'string', value: JSON.parse(str) as string };
    }
    const lit = match(LITERAL);
    if (lit !== undefined) return { kind: 'literal', text: lit as 'true' | 'false' | 'null' };
    const num = match(NUMBER);
    if (num !== undefined) return { kind: 'number', text: num };
    return fail('unexpected character');
  };
  const result = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return result;
}

export function stringifyOrdered(node: OrderedJson, style: JsonStyle): string {
  const [itemSep, keySep] = style === 'python' ? [', ', ': '] : [',', ':'];
  switch (node.kind) {
    case 'object':
      return `{${node.entries.map(([k, v]) => JSON.stringify(k) + keySep + stringifyOrdered(v, style)).join(itemSep)}}`;
    case 'array':
      return `[${node.items.map((v) => stringifyOrdered(v, style)).join(itemSep)}]`;
    case 'string':
      // JSON.stringify escapes exactly what json.dumps(ensure_ascii=False) escapes (quote, backslash, C0
      // controls with the same short forms and lowercase \u00xx), and leaves other characters raw.
      return JSON.stringify(node.value);
    case 'number':
    case 'literal':
      return node.text;
  }
}

/** The member of an object node, or undefined. */
export function member(node: OrderedJson, key: string): OrderedJson | undefined {
  if (node.kind !== 'object') return undefined;
  return node.entries.find(([k]) => k === key)?.[1];
}
