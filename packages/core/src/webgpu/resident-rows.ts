import {
  ROW_STATS_FIELDS,
  rowStatsKernel,
  rowStatsSubgroupKernel,
  rowStatsSubgroupVec4Kernel,
  softmaxKernel,
  softmaxSubgroupKernel,
  softmaxSubgroupVec4Kernel,
} from '@ftcal/kernels';
import type { RowStats } from '../backend/backend.ts';
import { checkScoreOptions } from '../backend/validate.ts';
import { emptyRowStats } from '../cpu/row-stats.ts';
import { InputError } from '../errors.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { lanesLayout, pickRowKernel, type RowKernelFamily } from './kernel-variants.ts';
import { GpuBuffers, planRowChunks, type RowChunk } from './row-runner.ts';

export const SOFTMAX_KERNELS: RowKernelFamily = {
  vec4: softmaxSubgroupVec4Kernel,
  scalar: softmaxSubgroupKernel,
  fallback: softmaxKernel,
  fallbackLayout: lanesLayout,
};

export const ROW_STATS_KERNELS: RowKernelFamily = {
  vec4: rowStatsSubgroupVec4Kernel,
  scalar: rowStatsSubgroupKernel,
  fallback: rowStatsKernel,
  fallbackLayout: lanesLayout,
};

/**
 * Row-wise logits already on the device: `rows`×`cols` f32 row-major in `logits` (from byte 0), one
 * u32 group per class in `groups` (0 seen, 1 absent, 2 other; DESIGN.md §1), and for rowStats one i32
 * label per row in `labels`.
 */
export interface ResidentRows {
  logits: GPUBuffer;
  groups: GPUBuffer;
  rows: number;
  cols: number;
}

/** Temporaries of a recorded op, to release once the encoder's work has been submitted. */
export interface RecordedRows {
  chunks: RowChunk[];
  release(): void;
}

/** The resident API checks its own arguments: device buffers too small for the shape are the caller's. */
function shapeError(problem: string): InputError {
  return new InputError({ code: 'shape', problem });
}

function checkResident(what: string, ctx: GpuContext, input: ResidentRows, outBytes: number): void {
  const { rows, cols } = input;
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 1) {
    throw shapeError(`${what}: rows must be a non-negative and cols a positive integer (${rows}×${cols})`);
  }
  if (input.logits.size < rows * cols * 4) {
    throw shapeError(
      `${what}: logits buffer holds ${input.logits.size} bytes, ${rows}×${cols} need ${rows * cols * 4}`,
    );
  }
  if (input.groups.size < cols * 4) {
    throw shapeError(`${what}: groups buffer holds ${input.groups.size} bytes for ${cols} classes`);
  }
  if (outBytes > ctx.limits.maxBufferSize) {
    throw shapeError(
      `${what}: the output needs ${outBytes} bytes, over one buffer (${ctx.limits.maxBufferSize})`,
    );
  }
}

const binding = (buffer: GPUBuffer, offset: number, size: number): GPUBufferBinding => ({
  buffer,
  offset,
  size: Math.max(4, size),
});

/**
 * Records an op's chunks through `record` into `out` (the caller's, or a fresh buffer of `outBytes`),
 * with its temporaries in one GpuBuffers. A recording that throws frees them, and `out` when it was
 * made here, so a failed record leaks nothing.
 */
function recordChunks(
  ctx: GpuContext,
  chunks: RowChunk[],
  given: GPUBuffer | undefined,
  outBytes: number,
  label: string,
  record: (out: GPUBuffer, temps: GpuBuffers) => void,
): RecordedRows & { out: GPUBuffer } {
  const temps = new GpuBuffers(ctx);
  const out = given ?? ctx.storage(outBytes, label);
  try {
    record(out, temps);
  } catch (e) {
    temps.free();
    if (!given) out.destroy();
    throw e;
  }
  return { out, chunks, release: () => temps.free() };
}

export interface ResidentSoftmaxOptions {
  /** Bias added to absent-class logits before the temperature; default 0. */
  gamma?: number;
  /** Default 1. */
  temperature?: number;
  /** Log-probabilities instead of probabilities. */
  log?: boolean;
  /** Where to write rows×cols f32 (row-major); default a fresh buffer the caller then owns. */
  out?: GPUBuffer;
  /** Run the no-subgroup variant even where the device has subgroups (benchmarks compare the two). */
  fallback?: boolean;
}

/**
 * Records the softmax of resident logits into `encoder`, chunked over rows with binding offsets so
 * inputs larger than one storage binding (up to maxBufferSize) need no copies; one subgroup per row
 * where the device has subgroups, else 1–128 threads per row (pickRowKernel). Run it inside
 * ctx.checked; call `release()` after submitting. The output buffer is the caller's to destroy.
 */
export function recordSoftmax(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  input: ResidentRows,
  options: ResidentSoftmaxOptions = {},
): RecordedRows & { out: GPUBuffer } {
  const { rows, cols } = input;
  const bytes = rows * cols * 4;
  checkResident('softmax', ctx, input, bytes);
  checkScoreOptions('softmax', options);
  const t = options.temperature ?? 1;
  if (options.out && options.out.size < bytes) {
    throw shapeError(`softmax: out buffer holds ${options.out.size} bytes, ${rows}×${cols} need ${bytes}`);
  }
  const rowBytes = cols * 4;
  const chunks = planRowChunks(
    rows,
    [rowBytes],
    ctx.maxBindingBytes,
    ctx.limits.minStorageBufferOffsetAlignment,
    'softmax',
  );
  const { kernel, rowsPerWorkgroup, constants } = pickRowKernel(ctx, SOFTMAX_KERNELS, cols, options.fallback);
  return recordChunks(ctx, chunks, options.out, bytes, 'softmax-out', (out, temps) => {
    for (const { r0, rows: n } of chunks) {
      const grid = rowGrid(Math.ceil(n / rowsPerWorkgroup), ctx.limits.maxComputeWorkgroupsPerDimension);
      const uniforms = temps.uniforms(kernel, {
        rows: n,
        cols,
        gamma: options.gamma ?? 0,
        invT: Math.fround(1 / t),
        logOut: options.log ? 1 : 0,
        gridX: grid.x,
      });
      ctx.dispatch(
        kernel,
        [
          binding(input.logits, r0 * rowBytes, n * rowBytes),
          input.groups,
          binding(out, r0 * rowBytes, n * rowBytes),
          uniforms,
        ],
        [grid.x, grid.y],
        constants,
        encoder,
      );
    }
  });
}

const FIELDS = ROW_STATS_FIELDS.length;

export interface ResidentRowStatsOptions {
  /** One i32 label per row (−1: none); without it the label fields are NaN. */
  labels?: GPUBuffer;
  /** Default 1. */
  temperature?: number;
  /** Where to write the statistics (rowStatsBytes(rows) bytes); default a fresh buffer the caller owns. */
  out?: GPUBuffer;
  /** Run the no-subgroup variant even where the device has subgroups (benchmarks compare the two). */
  fallback?: boolean;
}

/** Bytes of a resident rowStats output: one 4-byte word per ROW_STATS_FIELDS entry per row. */
export function rowStatsBytes(rows: number): number {
  return rows * FIELDS * 4;
}

/**
 * Records DESIGN.md §1's row statistics of resident logits into `encoder`, one subgroup per row where
 * the device has subgroups, else the fallback's 1–128 threads per row (pickRowKernel). The output
 * holds, per chunk in row order, the kernel's field-major block: field f of row r0 + i is word
 * r0·11 + f·n + i for a chunk of n rows starting at r0 (decode with readRowStats). Run it inside
 * ctx.checked; call `release()` after submitting.
 */
export function recordRowStats(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  input: ResidentRows,
  options: ResidentRowStatsOptions = {},
): RecordedRows & { out: GPUBuffer } {
  const { rows, cols } = input;
  const outBytes = rowStatsBytes(rows);
  checkResident('rowStats', ctx, input, outBytes);
  checkScoreOptions('rowStats', options);
  const t = options.temperature ?? 1;
  if (options.labels && options.labels.size < rows * 4) {
    throw shapeError(`rowStats: labels buffer holds ${options.labels.size} bytes for ${rows} rows`);
  }
  if (options.out && options.out.size < outBytes) {
    throw shapeError(`rowStats: out buffer holds ${options.out.size} bytes, ${rows} rows need ${outBytes}`);
  }
  const { kernel, rowsPerWorkgroup, constants } = pickRowKernel(
    ctx,
    ROW_STATS_KERNELS,
    cols,
    options.fallback,
  );
  const rowBytes = cols * 4;
  const chunks = planRowChunks(
    rows,
    options.labels ? [rowBytes, FIELDS * 4, 4] : [rowBytes, FIELDS * 4],
    ctx.maxBindingBytes,
    ctx.limits.minStorageBufferOffsetAlignment,
    'rowStats',
  );
  return recordChunks(ctx, chunks, options.out, outBytes, 'row-stats-out', (out, temps) => {
    const labels = options.labels;
    const noLabels = labels ? null : temps.storage(4, 'no-labels');
    for (const { r0, rows: n } of chunks) {
      const grid = rowGrid(Math.ceil(n / rowsPerWorkgroup), ctx.limits.maxComputeWorkgroupsPerDimension);
      const uniforms = temps.uniforms(kernel, {
        rows: n,
        cols,
        invT: Math.fround(1 / t),
        hasLabels: labels ? 1 : 0,
        gridX: grid.x,
      });
      ctx.dispatch(
        kernel,
        [
          binding(input.logits, r0 * rowBytes, n * rowBytes),
          input.groups,
          labels ? binding(labels, r0 * 4, n * 4) : noLabels!,
          binding(out, r0 * FIELDS * 4, n * FIELDS * 4),
          uniforms,
        ],
        [grid.x, grid.y],
        constants,
        encoder,
      );
    }
  });
}

/**
 * Copies the statistics of a recorded rowStats back to the host, into `into` at row `intoRow`
 * (default a fresh RowStats). Submit the encoder first.
 */
export async function readRowStats(
  ctx: GpuContext,
  recorded: { out: GPUBuffer; chunks: readonly RowChunk[] },
  into?: RowStats,
  intoRow = 0,
): Promise<RowStats> {
  const total = recorded.chunks.reduce((s, c) => s + c.rows, 0);
  const stats = into ?? emptyRowStats(total);
  if (total === 0) return stats;
  const bytes = await ctx.read(recorded.out, rowStatsBytes(total));
  for (const { r0, rows: n } of recorded.chunks) {
    const f32 = new Float32Array(bytes, r0 * FIELDS * 4, n * FIELDS);
    const i32 = new Int32Array(bytes, r0 * FIELDS * 4, n * FIELDS);
    ROW_STATS_FIELDS.forEach((name, f) => {
      const src = name.startsWith('arg') ? i32 : f32;
      stats[name].set(src.subarray(f * n, (f + 1) * n), intoRow + r0);
    });
  }
  return stats;
}
