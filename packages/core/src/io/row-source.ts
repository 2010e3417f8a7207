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
  /** The same rows into `out` (count·cols values), where the source can fill a caller's buffer. */
  readRowsInto?(start: number, count: number, out: Float32Array): Promise<void>;
  /** Releases the file handle, if any. Safe to call twice. */
  close(): Promise<void>;
}

export function arraySource(data: Float32Array, rows: number, cols: number, name = '<memory>'): RowSource {
  if (data.length !== rows * cols) throw new RangeError(`${name}: ${data.length} values for ${rows}×${cols}`);
  const view = (start: number, count: number) => {
    if (start < 0 || count < 0 || start + count > rows) {
      throw new RangeError(`${name}: rows [${start}, ${start + count}) outside 0..${rows}`);
    }
    return data.subarray(start * cols, (start + count) * cols);
  };
  return {
    name,
    rows,
    cols,
    readRows: async (start, count) => view(start, count),
    async readRowsInto(start, count, out) {
      out.set(view(start, count));
    },
    async close() {},
  };
}

/**
 * How rowChunks hands out chunks: 'fresh' reads each into a new array (the source's readRows);
 * 'plain' and 'shared' read into two buffers kept for the whole stream (in a SharedArrayBuffer for
 * 'shared', which the CPU pool's workers read in place), so a long stream neither allocates nor faults in
 * new memory per chunk. A kept buffer is refilled two chunks later: a consumer must be done with a chunk
 * when it asks for the next-but-one.
 */
export type ChunkBuffers = 'fresh' | 'plain' | 'shared';

/** Yields consecutive row chunks of at most `chunkRows` rows, reading chunk k+1 while k is processed. */
export async function* rowChunks(
  source: RowSource,
  chunkRows: number,
  options: { reuse?: ChunkBuffers } = {},
): AsyncGenerator<{ start: number; count: number; data: Float32Array }> {
  const step = Math.max(1, Math.floor(chunkRows));
  const reuse = source.readRowsInto ? (options.reuse ?? 'fresh') : 'fresh';
  const kept: Float32Array[] = [];
  const read = (start: number, i: number): Promise<Float32Array> => {
    const count = Math.min(step, source.rows - start);
    if (reuse === 'fresh') return source.readRows(start, count);
    const n = Math.min(step, source.rows) * source.cols;
    kept[i] ??= new Float32Array(reuse === 'shared' ? new SharedArrayBuffer(n * 4) : new ArrayBuffer(n * 4));
    const out = kept[i]!.subarray(0, count * source.cols);
    return source.readRowsInto!(start, count, out).then(() => out);
  };
  let next: Promise<Float32Array> | null = source.rows > 0 ? read(0, 0) : null;
  for (let start = 0, i = 0; start < source.rows; start += step, i ^= 1) {
    const count = Math.min(step, source.rows - start);
    const data = await next!;
    const after = start + step;
    next = after < source.rows ? read(after, i ^ 1) : null;
    yield { start, count, data };
  }
}
