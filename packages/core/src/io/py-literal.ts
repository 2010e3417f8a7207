/**
 * The subset of Python literals that a .npy header uses: dicts, tuples, lists, quoted strings, integers
 * (with Python 2's `L` suffix), True, False and None. Anything else is a syntax error: numpy reads the
 * header with `ast.literal_eval`, and a reader that guessed more would accept files numpy rejects.
 */
export type PyValue = string | number | boolean | null | PyValue[] | PyTuple | Map<PyValue, PyValue>;
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export class PySyntaxError extends Error {}

const MAX_DEPTH = 16;

export function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new PySyntaxError(`${what} at character ${i}`);
  };
  const skip = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const expect = (ch: string) => {
    skip();
    if (text[i] !== ch) fail(`expected '${ch}'`);
    i++;
  };

  function items(close: string, depth: number): { list: PyValue[]; trailingComma: boolean } {
    const list: PyValue[] = [];
    let trailingComma = false;
    for (;;) {
      skip();
      if (text[i] === close) break;
      list.push(value(depth + 1));
      skip();
      if (text[i] === ',') {
        i++;
        trailingComma = true;
        continue;
      }
      trailingComma = false;
      if (text[i] !== close) fail(`expected ',' or '${close}'`);
    }
    i++;
    return { list, trailingComma };
  }

  function str(): string {
    const quote = text[i]!;
    i++;
    let out = '';
    while (i < text.length && text[i] !== quote) {
      const ch = text[i]!;
      if (ch === '\n') fail('newline inside a string');
      if (ch === '\\') {
        const next = text[i + 1];
        if (next === undefined) fail('unterminated escape');
        const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r' };
        if (simple[next!] === undefined) fail(`unsupported escape \\${next}`);
        out += simple[next!];
        i += 2;
        continue;
      }
      out += ch;
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    return out;
  }

  function value(depth: number): PyValue {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    skip();
    const ch = text[i];
    if (ch === undefined) return fail('unexpected end');
    if (ch === "'" || ch === '"') return str();
    if (ch === '{') {
      i++;
      const map = new Map<PyValue, PyValue>();
      for (;;) {
        skip();
        if (text[i] === '}') break;
        const key = value(depth + 1);
        if (typeof key !== 'string' && typeof key !== 'number') fail('dict keys must be strings or numbers');
        if (map.has(key)) fail(`duplicate key ${JSON.stringify(key)}`);
        expect(':');
        map.set(key, value(depth + 1));
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
      }
      i++;
      return map;
    }
    if (ch === '(') {
      i++;
      const { list, trailingComma } = items(')', depth);
      // (x) is just x in Python; only (x,) is a one-element tuple.
      if (list.length === 1 && !trailingComma) return list[0]!;
      return new PyTuple(list);
    }
    if (ch === '[') {
      i++;
      return items(']', depth).list;
    }
    const word = /^[A-Za-z_]\w*/.exec(text.slice(i, i + 8));
    if (word) {
      i += word[0].length;
      if (word[0] === 'True') return true;
      if (word[0] === 'False') return false;
      if (word[0] === 'None') return null;
      return fail(`unknown name '${word[0]}'`);
    }
    const num = /^[+-]?\d+[lL]?/.exec(text.slice(i, i + 400));
    if (num) {
      i += num[0].length;
      if (/^[.eExX_\d]/.test(text[i] ?? '')) fail('only integers are allowed');
      const digits = num[0].replace(/[lL]$/, '');
      const n = Number(digits);
      if (!Number.isSafeInteger(n)) fail(`integer ${digits} is too large`);
      return n;
    }
    return fail(`unexpected '${ch}'`);
  }

  const result = value(0);
  skip();
  if (i !== text.length) fail('trailing characters after the literal');
  return result;
}
