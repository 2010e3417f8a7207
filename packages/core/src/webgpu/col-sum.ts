import { colSumKernel } from '@ftcal/kernels';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import type { GpuBuffers } from './row-runner.ts';

/** A byte range of a device buffer (the whole buffer when offset and size are left out). */
export type GpuRange = GPUBuffer | GPUBufferBinding;

/**
 * Records out[c] (+)= Σ_r x[r, c] over `rows`×`cols` row-major f32 (kernels/col_sum.wgsl; twin colSumCpu)
 * into `encoder`, with its uniforms in `temps`. `accumulate` adds to what `out` holds, so sums over several
 * row chunks meet in one buffer.
 */
export function recordColSum(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  temps: GpuBuffers,
  x: GpuRange,
  out: GpuRange,
  shape: { rows: number; cols: number; accumulate?: boolean },
): void {
  const grid = rowGrid(shape.cols, ctx.limits.maxComputeWorkgroupsPerDimension);
  const uniforms = temps.uniforms(colSumKernel, {
    rows: shape.rows,
    cols: shape.cols,
    accumulate: shape.accumulate ? 1 : 0,
    gridX: grid.x,
  });
  ctx.dispatch(colSumKernel, [x, out, uniforms], [grid.x, grid.y], {}, encoder);
}
