/**
 * A matrix read by row ranges: the unit the engine streams. File readers (npy, npz, safetensors, csv)
 * implement it over a file handle so a 20 GB file never sits in memory; `arraySource` wraps an array.
 */
export interface RowSource {
  /** Where the rows come from, for messages ("logits.npy", "model.safetensors:logits", "<memory>"). */
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  /** Rows [start, start+count) as row-major f32 (count·cols values). */
  readRows(start: number, count: number): Promise<Float32Array>;
  /** Releases the file handle, if any. Safe to call twice. */
  close(): Promise<void>;
}

export function arraySource(data: Float32Array, rows: number, cols: number, name = '<memory>'): RowSource {
  if (data.length !== rows * cols) throw new RangeError(`${name}: ${data.length} values for ${rows}×${cols}`);
  return {
    name,
    rows,
    cols,
    async readRows(start, count) {
      if (start < 0 || count < 0 || start + count > rows) {
        throw new RangeError(`${name}: rows [${start}, ${start + count}) outside 0..${rows}`);
      }
      return data.subarray(start * cols, (start + count) * cols);
    },
    async close() {},
  };
}

/** Yields consecutive row chunks of at most `chunkRows` rows, reading chunk k+1 while k is processed. */
export async function* rowChunks(
  source: RowSource,
  chunkRows: number,
): AsyncGenerator<{ start: number; count: number; data: Float32Array }> {
  const step = Math.max(1, Math.floor(chunkRows));
  let next: Promise<Float32Array> | null =
    source.rows > 0 ? source.readRows(0, Math.min(step, source.rows)) : null;
  for (let start = 0; start < source.rows; start += step) {
    const count = Math.min(step, source.rows - start);
    const data = await next!;
    const after = start + step;
    next = after < source.rows ? source.readRows(after, Math.min(step, source.rows - after)) : null;
    yield { start, count, data };
  }
}
