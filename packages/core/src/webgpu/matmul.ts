import {
  type KernelDescriptor,
  MATMUL_TILE,
  MATMUL_TILE_128,
  matmulSmallKernel,
  matmulSmallSubgroupKernel,
  matmulTiled128Kernel,
  matmulTiledKernel,
  matmulTiledVec4Kernel,
} from '@ftcal/kernels';
import type { MatmulOptions } from '../backend/backend.ts';
import { sharesB } from '../backend/validate.ts';
import { InputError } from '../errors.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { canRun, type DeviceTraits, subgroupWorkgroup } from './kernel-variants.ts';
import { GpuBuffers, rowTooWide } from './row-runner.ts';

/**
 * The matmul algorithms: `small` (GEMV-like, K split over a workgroup or, with subgroups, a subgroup),
 * `tiled` (64×64 tiles, scalar loads), `tiled-vec4` (the same with vec4 loads) and `tiled128` (128×128
 * tiles on the whole tiles of C, `tiled-vec4` on the edge strips).
 */
export type MatmulVariant = 'small' | 'tiled' | 'tiled-vec4' | 'tiled128';

/** One matmul as the kernels see it: C[b] = op(A[b])·op(B[b]) (+ bias) for b < batch. */
export interface MatmulProblem {
  m: number;
  n: number;
  k: number;
  /** Default 1. */
  batch?: number;
  transA?: boolean;
  transB?: boolean;
  /** B holds one K×N matrix used by every batch entry. */
  sharedB?: boolean;
}

/** Buffers already on the device, row-major f32 in the layouts of MatmulOptions; bias holds N values. */
export interface MatmulBuffers {
  a: GPUBuffer;
  b: GPUBuffer;
  c: GPUBuffer;
  bias?: GPUBuffer;
}

/**
 * The small variant runs while op(A) or op(B) is this thin, where a 64-wide tile is mostly padding. On
 * llvmpipe (CPU time, K=N=2048) it beat the tiled kernel at M=8 and lost from M=16 on.
 */
const SMALL_SIDE = 8;
const SMALL_SLOTS = 8;

/**
 * The 128×128 kernel needs this many whole tiles of C (over all batch entries): with fewer, its few
 * 256-thread workgroups leave a large GPU's cores idle where the 64×64 kernel has four times as many.
 */
const TILED128_MIN_TILES = 64;

/**
 * vec4 global loads need every stored row of A and B to be a multiple of 4 floats long, so that each
 * 4-run a thread loads is 16-byte aligned and lies wholly inside or outside the matrix.
 */
export function vec4Loadable(p: MatmulProblem): boolean {
  const aRow = p.transA ? p.m : p.k;
  const bRow = p.transB ? p.k : p.n;
  return aRow % 4 === 0 && bRow % 4 === 0;
}

/** Whether a device can run the 128×128 kernel: 256-invocation workgroups and 32 KiB of workgroup memory. */
export function runsTiled128(device: DeviceTraits): boolean {
  return (
    device.limits.maxComputeWorkgroupStorageSize >= MATMUL_TILE_128.workgroupBytes &&
    device.limits.maxComputeInvocationsPerWorkgroup >= 256 &&
    device.limits.maxComputeWorkgroupSizeX >= 256
  );
}

/**
 * The kernel a matmul of this shape runs on: `small` when M or N is at most 8, then, when vec4 loads are
 * valid, `tiled128` where the device allows it and C has at least 64 whole 128×128 tiles, else
 * `tiled-vec4`; `tiled` for the rest. Without a device, `tiled128` is never picked.
 */
export function pickMatmulVariant(p: MatmulProblem, device?: DeviceTraits): MatmulVariant {
  if (Math.min(p.m, p.n) <= SMALL_SIDE) return 'small';
  if (!vec4Loadable(p)) return 'tiled';
  const tiles =
    Math.floor(p.m / MATMUL_TILE_128.rows) * Math.floor(p.n / MATMUL_TILE_128.cols) * (p.batch ?? 1);
  if (device && runsTiled128(device) && tiles >= TILED128_MIN_TILES) return 'tiled128';
  return 'tiled-vec4';
}

function pow2AtLeast(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** The small kernel's block of C: as many of the thin side as fit in 8 slots, the rest along the other. */
function smallBlock(m: number, n: number): { rows: number; cols: number } {
  if (m <= n) {
    const rows = pow2AtLeast(Math.min(m, SMALL_SLOTS));
    return { rows, cols: SMALL_SLOTS / rows };
  }
  const cols = pow2AtLeast(Math.min(n, SMALL_SLOTS));
  return { rows: SMALL_SLOTS / cols, cols };
}

/** The problem with its defaults filled in; throws unless every size is a positive integer. */
function completeProblem(problem: MatmulProblem): Required<MatmulProblem> {
  const p = {
    m: problem.m,
    n: problem.n,
    k: problem.k,
    batch: problem.batch ?? 1,
    transA: problem.transA ?? false,
    transB: problem.transB ?? false,
    sharedB: problem.sharedB ?? false,
  };
  for (const name of ['m', 'n', 'k', 'batch'] as const) {
    const v = p[name];
    if (!Number.isInteger(v) || v < 1) {
      throw new InputError({
        code: 'shape',
        problem: `matmul: ${name} must be a positive integer, got ${v}`,
      });
    }
  }
  return p;
}

/** Bytes of A, B and C a problem binds. */
function bindingBytes(p: Required<MatmulProblem>): { a: number; b: number; c: number } {
  return {
    a: p.batch * p.m * p.k * 4,
    b: (p.sharedB ? 1 : p.batch) * p.k * p.n * 4,
    c: p.batch * p.m * p.n * 4,
  };
}

/** One dispatch of a variant, repeated over the batch: kernel, constants, grid and extra uniforms. */
interface MatmulDispatch {
  kernel: KernelDescriptor;
  constants: Record<string, number>;
  grid: { x: number; y: number };
  uniforms: Record<string, number>;
}

/** The dispatches that compute all of C with `variant`. */
function planDispatches(
  ctx: GpuContext,
  variant: MatmulVariant,
  p: Required<MatmulProblem>,
): MatmulDispatch[] {
  const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  const trans = { TRANS_A: p.transA ? 1 : 0, TRANS_B: p.transB ? 1 : 0 };
  if (variant === 'small') {
    const block = smallBlock(p.m, p.n);
    const blocks = Math.ceil(p.m / block.rows) * Math.ceil(p.n / block.cols);
    const shape = { ...trans, BR: block.rows, BC: block.cols };
    if (canRun(ctx, matmulSmallSubgroupKernel)) {
      const { WG, items } = subgroupWorkgroup(ctx);
      const grid = rowGrid(Math.ceil(blocks / items), maxDim);
      const constants = { ...shape, WG, BLOCKS: items };
      return [{ kernel: matmulSmallSubgroupKernel, constants, grid, uniforms: { gridX: grid.x } }];
    }
    const grid = rowGrid(blocks, maxDim);
    return [{ kernel: matmulSmallKernel, constants: shape, grid, uniforms: { gridX: grid.x } }];
  }
  const tiled = (kernel: KernelDescriptor, rowOff: number, colOff: number, rows: number, cols: number) => ({
    kernel,
    constants: trans,
    grid: { x: Math.ceil(cols / MATMUL_TILE.cols), y: Math.ceil(rows / MATMUL_TILE.rows) },
    uniforms: { rowOff, colOff },
  });
  if (variant !== 'tiled128') {
    const kernel = variant === 'tiled' ? matmulTiledKernel : matmulTiledVec4Kernel;
    return [tiled(kernel, 0, 0, p.m, p.n)];
  }
  const tilesM = Math.floor(p.m / MATMUL_TILE_128.rows);
  const tilesN = Math.floor(p.n / MATMUL_TILE_128.cols);
  const rows = tilesM * MATMUL_TILE_128.rows;
  const cols = tilesN * MATMUL_TILE_128.cols;
  const plan: MatmulDispatch[] = [];
  if (tilesM * tilesN > 0) {
    const grid = rowGrid(tilesM * tilesN, maxDim);
    const uniforms = { tilesM, tilesN, gridX: grid.x };
    plan.push({ kernel: matmulTiled128Kernel, constants: trans, grid, uniforms });
  }
  // The strips below and right of the whole tiles, on the 64×64 kernel.
  if (rows < p.m) plan.push(tiled(matmulTiledVec4Kernel, rows, 0, p.m - rows, p.n));
  if (cols < p.n && rows > 0) plan.push(tiled(matmulTiledVec4Kernel, 0, cols, rows, p.n - cols));
  return plan;
}

/** Temporaries of a recorded matmul, to release once the encoder's work has been submitted. */
export interface RecordedMatmul {
  variant: MatmulVariant;
  release(): void;
}

export interface RecordOptions {
  /** Kernel to use instead of the picker's choice. */
  variant?: MatmulVariant;
  /**
   * Batch entries per dispatch; default and maximum: the device's workgroups per dimension. Smaller
   * values only let tests reach the multi-dispatch path without 65536 batch entries.
   */
  batchPerDispatch?: number;
}

/**
 * Records C = op(A)·op(B) (+ bias) on resident buffers into `encoder`, without chunking: every operand
 * must fit one storage binding (matmulGpu splits larger ones). The variant is the picker's for this
 * shape on this device unless `options.variant` names one. Run it inside ctx.checked so a bad dispatch
 * throws; call `release()` after submitting.
 */
export function recordMatmul(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  buffers: MatmulBuffers,
  problem: MatmulProblem,
  options: RecordOptions = {},
): RecordedMatmul {
  const variant = options.variant ?? pickMatmulVariant(problem, ctx);
  const p = completeProblem(problem);
  if ((variant === 'tiled-vec4' || variant === 'tiled128') && !vec4Loadable(p)) {
    throw new RangeError(
      `matmul: ${variant} needs the stored rows of A and B to be multiples of 4 floats (m=${p.m}, n=${p.n}, k=${p.k})`,
    );
  }
  if (variant === 'tiled128' && !runsTiled128(ctx)) {
    throw new RangeError(
      `matmul: tiled128 needs 256-invocation workgroups and ${MATMUL_TILE_128.workgroupBytes} bytes of workgroup memory; the device allows ${ctx.limits.maxComputeInvocationsPerWorkgroup} and ${ctx.limits.maxComputeWorkgroupStorageSize}`,
    );
  }
  const bytes = bindingBytes(p);
  for (const [name, size] of Object.entries(bytes)) {
    if (size > ctx.maxBindingBytes) {
      throw new RangeError(
        `matmul: ${name.toUpperCase()} needs ${size} bytes, over one storage binding (${ctx.maxBindingBytes}); use matmulGpu, which splits it`,
      );
    }
  }
  const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  const plan = planDispatches(ctx, variant, p);
  for (const { grid } of plan) {
    if (grid.x > maxDim || grid.y > maxDim) {
      throw new RangeError(
        `matmul: ${p.m}×${p.n} needs a ${grid.x}×${grid.y} grid, over ${maxDim} per dimension`,
      );
    }
  }
  const temps = new GpuBuffers(ctx);
  try {
    const bias = buffers.bias ?? temps.storage(4, 'matmul-no-bias');
    const bound = [
      { buffer: buffers.a, size: bytes.a },
      { buffer: buffers.b, size: bytes.b },
      { buffer: bias, size: buffers.bias ? p.n * 4 : 4 },
      { buffer: buffers.c, size: bytes.c },
    ];
    const perDispatch = Math.min(maxDim, options.batchPerDispatch ?? maxDim);
    for (let z0 = 0; z0 < p.batch; z0 += perDispatch) {
      for (const { kernel, constants, grid, uniforms } of plan) {
        const params = temps.uniforms(kernel, {
          M: p.m,
          N: p.n,
          K: p.k,
          aStride: p.m * p.k,
          bStride: p.sharedB ? 0 : p.k * p.n,
          cStride: p.m * p.n,
          hasBias: buffers.bias ? 1 : 0,
          batch0: z0,
          ...uniforms,
        });
        ctx.dispatch(
          kernel,
          [...bound, params],
          [grid.x, grid.y, Math.min(perDispatch, p.batch - z0)],
          constants,
          encoder,
        );
      }
    }
  } catch (e) {
    temps.free();
    throw e;
  }
  return { variant, release: () => temps.free() };
}

/** Sizes of the pieces a matmul is split into so that each piece of A, B and C fits one binding. */
export interface MatmulChunks {
  /** Batch entries per piece. */
  batch: number;
  /** Rows of C per piece. */
  rows: number;
  /** Columns of C per piece. */
  cols: number;
}

/**
 * Splits over columns of C only when one B matrix is too large, then over rows of C, then over batch
 * entries. Partial row and column counts are kept to multiples of 64 (one tile, and a multiple of 4 so
 * vec4 loads stay valid). K is never split: one K-long row of A must fit a binding.
 */
export function planMatmulChunks(
  p: Required<MatmulProblem>,
  maxBindingBytes: number,
  maxDim: number,
): MatmulChunks {
  const floats = Math.floor(maxBindingBytes / 4);
  // K is never split, so one K-long row of op(A) (and column of op(B)) must fit a binding.
  if (p.k > floats) throw rowTooWide('matmul', 1, p.k * 4, maxBindingBytes);
  const fit = (want: number, limit: number, tile: number) =>
    want <= limit ? want : Math.max(1, limit >= tile ? limit - (limit % tile) : limit);
  const cols = fit(p.n, Math.min(Math.floor(floats / p.k), maxDim * MATMUL_TILE.cols), MATMUL_TILE.cols);
  const rows = fit(
    p.m,
    Math.min(Math.floor(floats / p.k), Math.floor(floats / cols), maxDim * MATMUL_TILE.rows),
    MATMUL_TILE.rows,
  );
  let batch = Math.min(p.batch, Math.floor(floats / (rows * p.k)), Math.floor(floats / (rows * cols)));
  if (!p.sharedB) batch = Math.min(batch, Math.floor(floats / (p.k * cols)));
  return { batch: Math.max(1, batch), rows, cols };
}

/** Stored A of entries [b0, b0+bc), restricted to rows [r0, r0+rows) of op(A): bc × (rows×K, K×rows when transA). */
function sliceA(
  a: Float32Array,
  p: Required<MatmulProblem>,
  b0: number,
  bc: number,
  r0: number,
  rows: number,
) {
  const { m, k } = p;
  if (rows === m) return a.subarray(b0 * m * k, (b0 + bc) * m * k);
  const out = new Float32Array(bc * rows * k);
  for (let e = 0; e < bc; e++) {
    const src = (b0 + e) * m * k;
    const dst = e * rows * k;
    if (!p.transA) out.set(a.subarray(src + r0 * k, src + (r0 + rows) * k), dst);
    else
      for (let q = 0; q < k; q++)
        out.set(a.subarray(src + q * m + r0, src + q * m + r0 + rows), dst + q * rows);
  }
  return out;
}

/** Stored B of entries [b0, b0+bc) (one matrix when shared), restricted to columns [c0, c0+cols) of op(B). */
function sliceB(
  b: Float32Array,
  p: Required<MatmulProblem>,
  b0: number,
  bc: number,
  c0: number,
  cols: number,
) {
  const { n, k } = p;
  const first = p.sharedB ? 0 : b0;
  const entries = p.sharedB ? 1 : bc;
  if (cols === n) return b.subarray(first * k * n, (first + entries) * k * n);
  const out = new Float32Array(entries * k * cols);
  for (let e = 0; e < entries; e++) {
    const src = (first + e) * k * n;
    const dst = e * k * cols;
    if (p.transB) out.set(b.subarray(src + c0 * k, src + (c0 + cols) * k), dst);
    else
      for (let q = 0; q < k; q++)
        out.set(b.subarray(src + q * n + c0, src + q * n + c0 + cols), dst + q * cols);
  }
  return out;
}

/**
 * C = op(A)·op(B) + bias on the GPU from host arrays (the Backend.matmul contract), split into pieces
 * that fit one storage binding each. `variant` forces a kernel (tests); by default each piece's shape
 * picks it.
 */
export async function matmulGpu(
  ctx: GpuContext,
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  options: MatmulOptions = {},
  variant?: MatmulVariant,
): Promise<Float32Array> {
  const batch = options.batch ?? 1;
  const p = completeProblem({
    m,
    n,
    k,
    batch,
    transA: options.transA ?? false,
    transB: options.transB ?? false,
    sharedB: sharesB(b, n, k, batch),
  });
  const chunks = planMatmulChunks(p, ctx.maxBindingBytes, ctx.limits.maxComputeWorkgroupsPerDimension);
  const out = new Float32Array(p.batch * m * n);
  return ctx.checked('matmul', async () => {
    // Buffers live per column range (B, bias) and per piece (A, C); every one is freed, failure or not.
    for (let c0 = 0; c0 < n; c0 += chunks.cols) {
      const cols = Math.min(chunks.cols, n - c0);
      const columns = new GpuBuffers(ctx);
      try {
        const bias = options.bias && columns.upload(options.bias.subarray(c0, c0 + cols), 'matmul-bias');
        // A shared B is the same for every batch and row piece of this column range: upload it once.
        const sharedB = p.sharedB ? columns.upload(sliceB(b, p, 0, 1, c0, cols), 'matmul-b') : undefined;
        for (let b0 = 0; b0 < p.batch; b0 += chunks.batch) {
          const bc = Math.min(chunks.batch, p.batch - b0);
          const entries = new GpuBuffers(ctx);
          try {
            const bBuf = sharedB ?? entries.upload(sliceB(b, p, b0, bc, c0, cols), 'matmul-b');
            for (let r0 = 0; r0 < m; r0 += chunks.rows) {
              const rows = Math.min(chunks.rows, m - r0);
              const piece: Required<MatmulProblem> = { ...p, m: rows, n: cols, batch: bc };
              const pieceC = await matmulPiece(
                ctx,
                piece,
                sliceA(a, p, b0, bc, r0, rows),
                bBuf,
                bias,
                variant,
              );
              if (rows === m && cols === n) {
                out.set(pieceC, b0 * m * n);
              } else {
                for (let e = 0; e < bc; e++)
                  for (let i = 0; i < rows; i++) {
                    const src = (e * rows + i) * cols;
                    out.set(pieceC.subarray(src, src + cols), ((b0 + e) * m + r0 + i) * n + c0);
                  }
              }
            }
          } finally {
            entries.free();
          }
        }
      } finally {
        columns.free();
      }
    }
    return out;
  });
}

/** One piece of a split matmul: uploads its A, records, submits and reads its C back. */
async function matmulPiece(
  ctx: GpuContext,
  piece: Required<MatmulProblem>,
  a: Float32Array,
  b: GPUBuffer,
  bias: GPUBuffer | undefined,
  variant: MatmulVariant | undefined,
): Promise<Float32Array> {
  const buffers = new GpuBuffers(ctx);
  try {
    const aBuf = buffers.upload(a, 'matmul-a');
    const cBuf = buffers.storage(piece.batch * piece.m * piece.n * 4, 'matmul-c');
    const encoder = ctx.device.createCommandEncoder({ label: 'matmul' });
    buffers.adopt(
      recordMatmul(
        ctx,
        encoder,
        { a: aBuf, b, c: cBuf, ...(bias ? { bias } : {}) },
        piece,
        variant ? { variant } : {},
      ),
    );
    ctx.device.queue.submit([encoder.finish()]);
    return await ctx.readF32(cBuf, piece.batch * piece.m * piece.n);
  } finally {
    buffers.free();
  }
}
