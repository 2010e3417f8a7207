import { platform } from '#platform';
import type { DTypeName } from './dtype.ts';
import { inputError } from './fail.ts';
import { openBytes } from './input.ts';
import { checkRowRange, type TensorSource } from './tensor-source.ts';

/**
 * A data set split into shards (DESIGN.md §1.3), named the way a shell user names many files: a quoted
 * glob (`'logits-*.npy'`: `*`, `?`, `[abc]`, `[!abc]` within a name, `**` for any depth of directories;
 * names starting with a dot only match a pattern that starts with one), or `@list.txt`, a file of paths
 * one per line (blank lines and `#` comments skipped, relative paths taken from the list's directory).
 * A spec naming an existing file is that file, even if it looks like a pattern.
 */

const GLOB_CHARS = /[*?[]/;

/** A list file may not be absurdly large: it names files, it is not data. */
const MAX_LIST_BYTES = 16 << 20;

/** The files a spec names: a glob's matches in name order, a list's entries in its order, or the file itself. */
export async function expandInputs(spec: string): Promise<string[]> {
  if (await platform.isFile(spec)) return [spec];
  if (spec.startsWith('@')) return readList(spec.slice(1));
  if (GLOB_CHARS.test(spec)) {
    const found = await glob(spec);
    if (found.length === 0) {
      throw inputError(
        spec,
        'no file matches this pattern',
        'check the pattern and the directory',
        'file-access',
      );
    }
    return found;
  }
  return [spec];
}

async function readList(path: string): Promise<string[]> {
  const bytes = await openBytes(path);
  let text: string;
  try {
    if (bytes.size > MAX_LIST_BYTES) {
      throw inputError(
        path,
        `is ${bytes.size} bytes, too large for a list of files`,
        'list one path per line',
      );
    }
    text = new TextDecoder('utf-8', { fatal: true }).decode(await bytes.read(0, bytes.size));
  } catch (e) {
    if (e instanceof TypeError) throw inputError(path, 'is not UTF-8 text', 'list one path per line');
    throw e;
  } finally {
    await bytes.close();
  }
  const dir = platform.dirName(path);
  const paths = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => platform.resolvePath(dir, line));
  if (paths.length === 0) throw inputError(path, 'lists no files', 'write one path per line');
  return paths;
}

/** One path segment of a pattern as a regular expression over a name. */
function segmentPattern(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Every file matching a glob pattern, in name order. */
async function glob(pattern: string): Promise<string[]> {
  const segments = pattern.split('/');
  const absolute = pattern.startsWith('/');
  if (absolute) segments.shift();
  const fixed: string[] = [];
  while (segments.length > 1 && !GLOB_CHARS.test(segments[0]!)) fixed.push(segments.shift()!);
  const base = (absolute ? '/' : '') + fixed.join('/');
  const out: string[] = [];
  const join = (dir: string, name: string) =>
    dir === '' ? name : dir === '/' ? `/${name}` : `${dir}/${name}`;
  const walk = async (dir: string, rest: string[]): Promise<void> => {
    const [segment, ...more] = rest;
    if (segment === undefined) return;
    const entries = await platform.listDirectory(dir === '' ? '.' : dir);
    if (segment === '**') {
      if (more.length) await walk(dir, more);
      for (const e of entries)
        if (e.directory && !e.name.startsWith('.')) await walk(join(dir, e.name), rest);
      return;
    }
    const re = segmentPattern(segment);
    const dotOk = segment.startsWith('.');
    for (const e of entries) {
      if (!re.test(e.name) || (e.name.startsWith('.') && !dotOk)) continue;
      if (more.length === 0) {
        if (!e.directory) out.push(join(dir, e.name));
      } else if (e.directory) await walk(join(dir, e.name), more);
    }
  };
  await walk(base, segments);
  return [...new Set(out)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Shards read as one matrix, rows of the first shard first: a row range that crosses a shard boundary
 * is read from both. Every shard must have the same number of columns; the name says how many there are.
 */
export function concatSources(parts: readonly TensorSource[], name: string): TensorSource {
  if (parts.length === 0) throw new RangeError('concatSources: no shards');
  if (parts.length === 1) return parts[0]!;
  const cols = parts[0]!.cols;
  for (const p of parts) {
    if (p.cols !== cols) {
      throw inputError(
        p.name,
        `${p.cols} columns where ${parts[0]!.name} has ${cols}`,
        'every shard of a data set must come from the same model head',
        'shape',
      );
    }
  }
  const starts: number[] = [];
  let rows = 0;
  for (const p of parts) {
    starts.push(rows);
    rows += p.rows;
  }
  /** Rows [start, start+count) into `out`, shard by shard (the range is checked by the caller). */
  const read = async <T extends Float32Array | Float64Array>(
    out: T,
    start: number,
    count: number,
  ): Promise<T> => {
    const f64 = out instanceof Float64Array;
    for (let i = 0, at = 0; i < parts.length && count > 0; i++) {
      const p = parts[i]!;
      const from = start - starts[i]!;
      if (from >= p.rows) continue;
      const n = Math.min(count, p.rows - from);
      const piece = out.subarray(at * cols, (at + n) * cols);
      if (!f64 && p.readRowsInto) await p.readRowsInto(from, n, piece as Float32Array);
      else piece.set(f64 ? await p.readRowsF64(from, n) : await p.readRows(from, n));
      at += n;
      start += n;
      count -= n;
    }
    return out;
  };
  const checked = (start: number, count: number) => {
    checkRowRange(name, rows, start, count);
    return count * cols;
  };
  const dtypes = new Set(parts.map((p) => p.dtype));
  return {
    name,
    rows,
    cols,
    dtype: (dtypes.size === 1 ? parts[0]!.dtype : 'float32') as DTypeName,
    shape: parts[0]!.shape.length === 1 ? [rows] : [rows, cols],
    readRows: (start, count) => read(new Float32Array(checked(start, count)), start, count),
    readRowsF64: (start, count) => read(new Float64Array(checked(start, count)), start, count),
    async readRowsInto(start, count, out) {
      if (out.length !== checked(start, count)) {
        throw new RangeError(`${name}: ${out.length} values for ${count} rows of ${cols}`);
      }
      await read(out, start, count);
    },
    async close() {
      await Promise.all(parts.map((p) => p.close()));
    },
  };
}
