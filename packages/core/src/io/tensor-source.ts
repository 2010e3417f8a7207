import type { ByteSource } from './bytes.ts';
import { type DType, type DTypeName, decodeInto, isHostFloat32 } from './dtype.ts';
import type { RowSource } from './row-source.ts';

/** A RowSource that also says what the file held: its element type and its shape (1-D or 2-D). */
export interface TensorSource extends RowSource {
  readonly dtype: DTypeName;
  readonly shape: readonly number[];
  /** Rows as f64: exact for every dtype (64-bit integers up to 2^53), so labels need no f32 rounding. */
  readRowsF64(start: number, count: number): Promise<Float64Array>;
}

/** Where a dense array sits inside a byte source. A 1-D shape (N) reads as N rows of one column. */
export interface DenseLayout {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly fortranOrder: boolean;
  readonly dataOffset: number;
}

/** Raw bytes decoded per read step: bounds the scratch memory of one readRows call besides its output. */
const READ_CHUNK = 8 << 20;
/** Column runs of a Fortran-order read in flight at once. */
const MAX_RUNS_IN_FLIGHT = 64;

export function checkRowRange(name: string, rows: number, start: number, count: number): void {
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(count) ||
    start < 0 ||
    count < 0 ||
    start + count > rows
  ) {
    throw new RangeError(`${name}: rows [${start}, ${start + count}) outside 0..${rows}`);
  }
}

/** Reads rows of a C- or Fortran-order array by ranges; `bytes` is owned and closed by the source. */
export function denseSource(bytes: ByteSource, layout: DenseLayout, name = bytes.name): TensorSource {
  const { dtype: dt, shape, fortranOrder, dataOffset } = layout;
  const rows = shape[0] ?? 1;
  const cols = shape.length > 1 ? shape[1]! : 1;
  const isz = dt.itemsize;

  async function readC(out: Float32Array | Float64Array, start: number, count: number): Promise<void> {
    const total = count * cols * isz;
    const base = dataOffset + start * cols * isz;
    if (out instanceof Float32Array && isHostFloat32(dt)) {
      // The file already holds host-order f32: read straight into the output, no scratch at all.
      await bytes.readInto(base, new Uint8Array(out.buffer, out.byteOffset, total));
      return;
    }
    const step = Math.max(1, Math.floor(READ_CHUNK / isz)) * isz;
    for (let off = 0; off < total; off += step) {
      const raw = await bytes.read(base + off, Math.min(step, total - off));
      decodeInto(raw, dt, out, off / isz);
    }
  }

  /** Element (r, c) sits at (c·rows + r): a row range is one contiguous run per column. */
  async function readFortran(out: Float32Array | Float64Array, start: number, count: number): Promise<void> {
    const runBytes = count * isz;
    const batch = Math.max(1, Math.min(cols, MAX_RUNS_IN_FLIGHT, Math.floor(READ_CHUNK / runBytes)));
    for (let c0 = 0; c0 < cols; c0 += batch) {
      const jobs: Promise<void>[] = [];
      for (let c = c0; c < Math.min(cols, c0 + batch); c++) {
        jobs.push(
          bytes
            .read(dataOffset + (c * rows + start) * isz, runBytes)
            .then((raw) => decodeInto(raw, dt, out, c, cols)),
        );
      }
      await Promise.all(jobs);
    }
  }

  async function fill<T extends Float32Array | Float64Array>(
    make: (n: number) => T,
    start: number,
    count: number,
  ) {
    // Checked before allocating: a bad range must not become a huge allocation.
    checkRowRange(name, rows, start, count);
    const out = make(count * cols);
    if (count === 0 || cols === 0) return out;
    if (fortranOrder && cols > 1) await readFortran(out, start, count);
    else await readC(out, start, count);
    return out;
  }

  return {
    name,
    rows,
    cols,
    dtype: dt.name,
    shape: [...shape],
    readRows: (start, count) => fill((n) => new Float32Array(n), start, count),
    async readRowsInto(start, count, out) {
      if (out.length !== count * cols) {
        throw new RangeError(`${name}: ${out.length} values for ${count} rows of ${cols}`);
      }
      await fill(() => out, start, count);
    },
    readRowsF64: (start, count) => fill((n) => new Float64Array(n), start, count),
    close: () => bytes.close(),
  };
}
