/**
 * Where JSON text stops being valid, as a line and column. Node's JSON.parse messages quote the text
 * around the bad token (`Unexpected token 'b', "{"key": b"3f2a…"... is not valid JSON`), which for a
 * connection file is a piece of the key; so errors about a file's JSON carry only this position.
 */

export interface TextPosition {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
}

/** The offset of the first character that makes `text` invalid JSON (text.length for a truncated text), or -1 when it is valid. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  // An explicit stack of open containers, so deep nesting cannot overflow the call stack.
  const stack: ('{' | '[')[] = [];
  const string = (): boolean => {
    i++; // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) return (i++, true);
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return ((i = Math.min(i + 2, text.length)), false);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return ((i = Math.min(i + 1, text.length)), false);
      } else i++;
    }
    return false;
  };
  const scalar = (): boolean => {
    const c = text[i];
    if (c === '"') return string();
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) return ((i += lit.length), true);
    }
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) {
      if (c === '-') i++; // like V8: the error is after a lone minus sign
      return false;
    }
    i += m[0].length;
    return true;
  };
  /** `"name" :` before a member's value. */
  const memberKey = (): boolean => {
    if (text[i] !== '"' || !string()) return false;
    ws();
    if (text[i] !== ':') return false;
    i++;
    ws();
    return true;
  };
  // value := scalar | '{' members '}' | '[' elements ']'
  ws();
  for (;;) {
    // expect a value
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      ws();
      if (text[i] === (c === '{' ? '}' : ']')) {
        stack.pop();
        i++;
      } else if (c === '{' && !memberKey()) return Math.min(i, text.length);
      else continue;
    } else if (!scalar()) return Math.min(i, text.length);
    // after a value: close containers or go on to the next member
    for (;;) {
      ws();
      const top = stack[stack.length - 1];
      if (top === undefined) return i === text.length ? -1 : i;
      const close = top === '{' ? '}' : ']';
      if (text[i] === close) {
        stack.pop();
        i++;
        continue;
      }
      if (text[i] !== ',') return Math.min(i, text.length);
      i++;
      ws();
      if (top === '{' && !memberKey()) return Math.min(i, text.length);
      break;
    }
  }
}

/** The line and column of `offset` in `text`. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let start = 0;
  for (let j = text.indexOf('\n'); j !== -1 && j < offset; j = text.indexOf('\n', j + 1)) {
    line++;
    start = j + 1;
  }
  return { line, column: offset - start + 1 };
}
