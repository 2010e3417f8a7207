import { InputError } from '../errors.ts';
import { type RowSource, rowChunks } from '../io/row-source.ts';
import { chunkRowsFor } from './stats.ts';

/** A chunk of kept rows: row-major logits and, when labelled, their labels. */
export interface LogitChunk {
  z: Float32Array;
  rows: number;
  labels: Int32Array | null;
}

/**
 * Repeated passes over the kept rows of a data set (DESIGN.md §2): methods that iterate (nll,
 * temperature) keep the logits resident when they fit `residentBytes`, and otherwise re-stream the source
 * for every pass. Rows dropped by the statistics pass (`keep`) are dropped here too, so every pass sees
 * exactly the rows the statistics describe.
 */
export interface LogitPasses {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly resident: boolean;
  forEach(fn: (chunk: LogitChunk) => Promise<void> | void): Promise<void>;
}

export interface PassOptions {
  labels?: Int32Array | null;
  /** 1 per kept source row (DataStats.keep); null or absent keeps every row. */
  keep?: Uint8Array | null;
  chunkRows?: number;
  /** Keep the logits in memory when they take at most this many bytes. Default 1 GiB; 0 always streams. */
  residentBytes?: number;
}

function compactChunk(
  data: Float32Array,
  count: number,
  cols: number,
  start: number,
  keep: Uint8Array | null,
  labels: Int32Array | null,
): LogitChunk {
  const chunkLabels = labels ? labels.subarray(start, start + count) : null;
  if (!keep) return { z: data, rows: count, labels: chunkLabels };
  let kept = 0;
  for (let r = 0; r < count; r++) kept += keep[start + r]!;
  if (kept === count) return { z: data, rows: count, labels: chunkLabels };
  const z = new Float32Array(kept * cols);
  const y = chunkLabels ? new Int32Array(kept) : null;
  for (let r = 0, j = 0; r < count; r++) {
    if (!keep[start + r]) continue;
    z.set(data.subarray(r * cols, (r + 1) * cols), j * cols);
    if (y) y[j] = chunkLabels![r]!;
    j++;
  }
  return { z, rows: kept, labels: y };
}

export async function logitPasses(source: RowSource, options: PassOptions = {}): Promise<LogitPasses> {
  const labels = options.labels ?? null;
  const keep = options.keep ?? null;
  const cols = source.cols;
  if (labels && labels.length !== source.rows) {
    throw new InputError({
      code: 'shape',
      file: source.name,
      problem: `${source.rows} rows of logits but ${labels.length} labels`,
      fix: 'pass the labels of the same rows',
    });
  }
  if (keep && keep.length !== source.rows) {
    throw new RangeError(`${source.name}: keep mask has ${keep.length} entries for ${source.rows} rows`);
  }
  let rows = source.rows;
  if (keep) {
    rows = 0;
    for (let r = 0; r < keep.length; r++) rows += keep[r]!;
  }
  const chunkRows = chunkRowsFor(cols, options.chunkRows);
  const stream = async (fn: (chunk: LogitChunk) => Promise<void> | void) => {
    for await (const { start, count, data } of rowChunks(source, chunkRows)) {
      const chunk = compactChunk(data, count, cols, start, keep, labels);
      if (chunk.rows > 0) await fn(chunk);
    }
  };
  const residentBytes = options.residentBytes ?? 2 ** 30;
  if (rows * cols * 4 > residentBytes) {
    return { name: source.name, rows, cols, resident: false, forEach: stream };
  }
  const chunks: LogitChunk[] = [];
  // A RowSource may hand back views of a buffer it reuses; resident chunks must own their data.
  await stream((c) => {
    chunks.push({ ...c, z: c.z.slice() });
  });
  return {
    name: source.name,
    rows,
    cols,
    resident: true,
    async forEach(fn) {
      for (const c of chunks) await fn(c);
    },
  };
}
