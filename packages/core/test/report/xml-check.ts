/**
 * A small strict XML reader for the tests: enough to prove an SVG document is well-formed (one root,
 * balanced tags, quoted attributes, only known entities, no stray `<` or `&`) and to hand back its
 * elements for geometry checks. It accepts a subset of XML, which is all the report writes.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  /** Decoded text directly inside the element. */
  text: string;
  children: XmlElement[];
}

const ENTITY = /^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;
const NAME = /^[A-Za-z_][\w.:-]*/;

function decode(raw: string, where: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '<') throw new Error(`raw '<' in ${where}`);
    if (c !== '&') {
      out += c;
      continue;
    }
    const m = ENTITY.exec(raw.slice(i));
    if (!m) throw new Error(`bad entity in ${where}: ${raw.slice(i, i + 12)}`);
    const e = m[1]!;
    out +=
      e === 'amp'
        ? '&'
        : e === 'lt'
          ? '<'
          : e === 'gt'
            ? '>'
            : e === 'quot'
              ? '"'
              : e === 'apos'
                ? "'"
                : String.fromCodePoint(
                    e.startsWith('#x') ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)),
                  );
    i += m[0].length - 1;
  }
  return out;
}

export function parseXml(source: string): XmlElement {
  let s = source.replace(/^<\?xml[^?]*\?>\s*/, '');
  const root: XmlElement = { name: '#document', attrs: {}, text: '', children: [] };
  const stack: XmlElement[] = [root];
  while (s.length > 0) {
    const lt = s.indexOf('<');
    const chunk = lt < 0 ? s : s.slice(0, lt);
    if (chunk) {
      const top = stack[stack.length - 1]!;
      if (top === root && chunk.trim())
        throw new Error(`text outside the root element: ${chunk.slice(0, 30)}`);
      top.text += decode(chunk, `text of <${top.name}>`);
    }
    if (lt < 0) break;
    s = s.slice(lt);
    if (s.startsWith('<!--')) {
      const end = s.indexOf('-->');
      if (end < 0) throw new Error('unterminated comment');
      s = s.slice(end + 3);
      continue;
    }
    if (s.startsWith('</')) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(s);
      if (!m) throw new Error(`bad closing tag: ${s.slice(0, 30)}`);
      const open = stack.pop()!;
      if (open.name !== m[1]) throw new Error(`</${m[1]}> closes <${open.name}>`);
      s = s.slice(m[0].length);
      continue;
    }
    s = s.slice(1);
    const name = NAME.exec(s)?.[0];
    if (!name) throw new Error(`bad tag: <${s.slice(0, 30)}`);
    s = s.slice(name.length);
    const el: XmlElement = { name, attrs: {}, text: '', children: [] };
    for (;;) {
      const ws = /^\s*/.exec(s)![0];
      s = s.slice(ws.length);
      if (s.startsWith('/>') || s.startsWith('>')) break;
      if (!ws) throw new Error(`<${name}>: attributes must be separated by space`);
      const a = /^([A-Za-z_][\w.:-]*)="([^"]*)"/.exec(s);
      if (!a) throw new Error(`<${name}>: bad attribute at ${s.slice(0, 30)}`);
      if (a[1]! in el.attrs) throw new Error(`<${name}>: duplicate attribute ${a[1]}`);
      el.attrs[a[1]!] = decode(a[2]!, `attribute ${a[1]} of <${name}>`);
      s = s.slice(a[0].length);
    }
    const parent = stack[stack.length - 1]!;
    if (parent === root && root.children.length > 0) throw new Error('more than one root element');
    parent.children.push(el);
    if (s.startsWith('/>')) s = s.slice(2);
    else {
      s = s.slice(1);
      stack.push(el);
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) throw new Error('no root element');
  return root.children[0]!;
}

export function* walk(el: XmlElement): Generator<XmlElement> {
  yield el;
  for (const c of el.children) yield* walk(c);
}

/** Every number in the geometry attributes, which must all parse as finite numbers. */
const GEOMETRY = [
  'x',
  'y',
  'x1',
  'y1',
  'x2',
  'y2',
  'cx',
  'cy',
  'r',
  'width',
  'height',
  'd',
  'viewBox',
  'transform',
];

export function geometryNumbers(el: XmlElement): { where: string; value: number }[] {
  const out: { where: string; value: number }[] = [];
  for (const e of walk(el)) {
    for (const key of GEOMETRY) {
      const v = e.attrs[key];
      if (v === undefined) continue;
      if (/nan|infinity/i.test(v))
        out.push({ where: `<${e.name} ${key}="${v.slice(0, 40)}">`, value: Number.NaN });
      for (const token of v.match(/-?[\d.]+(?:e[-+]?\d+)?/gi) ?? []) {
        out.push({ where: `<${e.name} ${key}>`, value: Number(token) });
      }
    }
  }
  return out;
}

/** Vertices of an "M x,y L x,y … Z" path, as the report writes them. */
export function pathPoints(d: string): [number, number][] {
  return [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}
