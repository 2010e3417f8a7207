import type { OptionRef } from '../errors.ts';
import { inputError } from './fail.ts';
import { type ByteInput, extensionOf, inputName, readWhole, utf8Text } from './input.ts';

/**
 * Class groups (DESIGN.md §1, §3): which head outputs are seen (fine-tuned) and which are absent. From
 * JSON `{"seen": [...], "absent": [...]}`, or a text file of the seen classes (one per line, or comma
 * or space separated); entries are indices or, with a class-names file, names. `absent: null` means
 * "every class not seen", the default the engine applies.
 */
export interface GroupLists {
  seen: number[];
  absent: number[] | null;
}

export interface GroupsFileOptions {
  /** C, the number of head outputs: indices must be below it. Defaults to the class-names count. */
  numClasses?: number;
  /**
   * Class names (index = position), or a file with one name per line: its path (Node), a Blob or File,
   * or its bytes.
   */
  classNames?: ByteInput | readonly string[];
}

const MAX_TEXT_BYTES = 64 << 20;

const groupsError = (file: string, problem: string, fix: string, option?: OptionRef) =>
  inputError(file, problem, fix, 'groups', option);

async function readText(input: ByteInput): Promise<string> {
  const { name, bytes } = await readWhole(input, (file, size) => {
    if (size > MAX_TEXT_BYTES)
      throw groupsError(file, `is ${size} bytes, too large for a class list`, 'check the path');
  });
  const text = utf8Text(bytes);
  if (text === null) throw groupsError(name, 'is not UTF-8 text', 'save it as UTF-8 text');
  return text;
}

/** One class name per line; blank lines are allowed only at the end. */
export async function readClassNames(input: ByteInput): Promise<string[]> {
  const file = inputName(input);
  const lines = (await readText(input)).split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const names: string[] = [];
  const at = new Map<string, number>();
  lines.forEach((line, k) => {
    const name = line.trim();
    if (name === '')
      throw groupsError(file, `line ${k + 1} is empty`, 'write one class name per line, in index order');
    const before = at.get(name);
    if (before !== undefined) {
      throw groupsError(
        file,
        `class name '${name}' appears on lines ${before + 1} and ${k + 1}`,
        'make the names unique',
      );
    }
    at.set(name, k);
    names.push(name);
  });
  if (names.length === 0)
    throw groupsError(file, 'holds no class names', 'write one class name per line, in index order');
  return names;
}

interface Resolver {
  file: string;
  names: readonly string[] | null;
  namesFile: string;
  numClasses: number | undefined;
  index: Map<string, number> | null;
}

function resolve(r: Resolver, entry: unknown, group: string): number {
  if (typeof entry === 'number') {
    if (!Number.isInteger(entry) || entry < 0) {
      throw groupsError(
        r.file,
        `${group} entry ${entry} is not a class index`,
        'class indices are integers from 0',
      );
    }
    if (r.numClasses !== undefined && entry >= r.numClasses) {
      throw groupsError(
        r.file,
        `${group} class ${entry} is out of range: the head has ${r.numClasses} classes (0..${r.numClasses - 1})`,
        'fix the index or check the logits file',
      );
    }
    return entry;
  }
  if (typeof entry === 'string') {
    if (!r.index) {
      throw groupsError(
        r.file,
        `${group} entry '${entry}' is a name but no class-names file was given`,
        'pass {option} (one name per line) or use indices',
        { name: 'classNames' },
      );
    }
    const k = r.index.get(entry);
    if (k === undefined)
      throw groupsError(
        r.file,
        `${group} class '${entry}' is not in ${r.namesFile}`,
        'fix the spelling or the class-names file',
      );
    return k;
  }
  throw groupsError(
    r.file,
    `${group} entry ${JSON.stringify(entry)} is neither an index nor a name`,
    'list class indices or names',
  );
}

function resolveGroup(r: Resolver, entries: readonly unknown[], group: string): number[] {
  const out = entries.map((e) => resolve(r, e, group));
  const seen = new Set<number>();
  for (const k of out) {
    if (seen.has(k)) throw groupsError(r.file, `${group} lists class ${k} twice`, 'list each class once');
    seen.add(k);
  }
  if (out.length === 0)
    throw groupsError(r.file, `the ${group} group is empty`, `list at least one ${group} class`);
  return out.sort((a, b) => a - b);
}

/** Tokens of a text class list: `#` starts a comment; digits are indices, anything else a name. */
function textEntries(text: string): (number | string)[] {
  const out: (number | string)[] = [];
  for (const line of text.split(/\r?\n/)) {
    const body = line.replace(/#.*$/, '');
    // Names may hold spaces only when listed one per line; otherwise commas and spaces separate.
    const tokens = body.includes(',')
      ? body.split(',')
      : /^\s*\d+(\s+\d+)*\s*$/.test(body)
        ? body.split(/\s+/)
        : [body];
    for (const t of tokens.map((s) => s.trim()).filter(Boolean)) out.push(/^\d+$/.test(t) ? Number(t) : t);
  }
  return out;
}

export function parseGroups(
  text: string,
  file: string,
  options: { names?: readonly string[] | null; namesFile?: string; numClasses?: number; json?: boolean } = {},
): GroupLists {
  const names = options.names ?? null;
  const numClasses = options.numClasses ?? names?.length;
  if (names && options.numClasses !== undefined && names.length !== options.numClasses) {
    throw groupsError(
      options.namesFile ?? file,
      `lists ${names.length} class names but the head has ${options.numClasses} classes`,
      'give one name per head output',
    );
  }
  const r: Resolver = {
    file,
    names,
    namesFile: options.namesFile ?? 'the class names',
    numClasses,
    index: names ? new Map(names.map((n, k) => [n, k])) : null,
  };
  const json = options.json ?? text.trimStart().startsWith('{');
  if (!json) return { seen: resolveGroup(r, textEntries(text), 'seen'), absent: null };

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw groupsError(
      file,
      `is not valid JSON (${(err as Error).message})`,
      'write {"seen": [...], "absent": [...]}',
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw groupsError(file, 'is not a JSON object', 'write {"seen": [...], "absent": [...]}');
  }
  const obj = value as Record<string, unknown>;
  const extra = Object.keys(obj).filter((k) => k !== 'seen' && k !== 'absent');
  if (extra.length)
    throw groupsError(
      file,
      `has unknown key${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`,
      'use only "seen" and "absent"',
    );
  if (!Array.isArray(obj.seen))
    throw groupsError(file, 'has no "seen" list', 'write {"seen": [...], "absent": [...]}');
  const seen = resolveGroup(r, obj.seen, 'seen');
  if (obj.absent === undefined || obj.absent === null) return { seen, absent: null };
  if (!Array.isArray(obj.absent))
    throw groupsError(file, '"absent" is not a list', 'write "absent": [...] or leave it out');
  const absent = resolveGroup(r, obj.absent, 'absent');
  const inSeen = new Set(seen);
  const both = absent.filter((k) => inSeen.has(k));
  if (both.length) {
    const label = (k: number) => (names ? `${k} (${names[k]})` : `${k}`);
    throw groupsError(
      file,
      `class ${label(both[0]!)} is both seen and absent${both.length > 1 ? ` (and ${both.length - 1} more)` : ''}`,
      'put each class in one group',
    );
  }
  return { seen, absent };
}

/**
 * Reads a class-groups file (JSON or a text list of seen classes): a path (Node), a Blob or File, or its
 * bytes. A `.json` name means JSON; otherwise a text that starts with `{` is.
 */
export async function readGroupsFile(input: ByteInput, options: GroupsFileOptions = {}): Promise<GroupLists> {
  const file = inputName(input);
  const text = await readText(input);
  let names: readonly string[] | null = null;
  let namesFile: string | undefined;
  if (Array.isArray(options.classNames)) {
    names = options.classNames;
  } else if (options.classNames !== undefined) {
    const namesInput = options.classNames as ByteInput;
    namesFile = inputName(namesInput);
    names = await readClassNames(namesInput);
  }
  return parseGroups(text, file, {
    names,
    namesFile,
    numClasses: options.numClasses,
    json: extensionOf(file) === '.json' ? true : undefined,
  });
}
