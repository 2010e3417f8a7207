/**
 * Helpers for per-row column sets (RowStats, RowMoments): objects of typed arrays, one entry per row,
 * with a `rows` count. Rows are independent, so column sets are copied, sliced, compacted and
 * concatenated column by column.
 */

export type Column = Float32Array | Float64Array | Int32Array | Uint32Array;

/** The typed-array columns of a column set, by name (its `rows` count left out). */
export function columnsOf(set: object): [string, Column][] {
  return Object.entries(set).filter(([key]) => key !== 'rows') as [string, Column][];
}

/** Copies every column of `src` into the same column of `dst`, starting at row `offset`. */
export function copyColumns<T extends object>(dst: T, src: T, offset: number): void {
  const to = dst as Record<string, Column>;
  for (const [key, col] of columnsOf(src)) to[key]!.set(col as never, offset);
}

/** The rows with keep[r] = 1 of every column, in order, in the columns of `empty(kept rows)`. */
export function compactColumns<T extends object>(src: T, keep: Uint8Array, empty: (rows: number) => T): T {
  let n = 0;
  for (let r = 0; r < keep.length; r++) n += keep[r]!;
  const out = empty(n);
  const to = out as Record<string, Column>;
  for (const [key, from] of columnsOf(src)) {
    const dst = to[key]!;
    for (let r = 0, j = 0; r < keep.length; r++) if (keep[r]) dst[j++] = from[r]!;
  }
  return out;
}

/** Views of rows [r0, r1) of every column. */
export function sliceColumns<T extends object>(set: T, r0: number, r1: number): T {
  const out: Record<string, Column> = {};
  for (const [key, col] of columnsOf(set)) out[key] = col.subarray(r0, r1);
  return out as T;
}

/** Columns shaped like `like`'s, `rows` long, made by `alloc` (shared memory, say); no `rows` entry. */
export function columnsLike<T extends object>(
  like: T,
  rows: number,
  alloc: (ctor: new (n: number) => Column, rows: number) => Column,
): Omit<T, 'rows'> {
  const out: Record<string, Column> = {};
  for (const [key, col] of columnsOf(like))
    out[key] = alloc(col.constructor as new (n: number) => Column, rows);
  return out as Omit<T, 'rows'>;
}
