import { colSumKernel } from '@ftcal/kernels';
import { checkShape } from '../backend/backend.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { rowsPerChunk } from './softmax.ts';

/** Records out (+)= column sums of a rows×cols device buffer; `accumulate` adds to what out holds. */
export function colSumOnDevice(
  ctx: GpuContext,
  x: GPUBuffer,
  out: GPUBuffer,
  rows: number,
  cols: number,
  accumulate: boolean,
  encoder?: GPUCommandEncoder,
): GPUBuffer {
  const grid = rowGrid(cols, ctx.limits.maxComputeWorkgroupsPerDimension);
  const uniforms = ctx.uniforms(colSumKernel, { rows, cols, accumulate: accumulate ? 1 : 0, gridX: grid.x });
  ctx.dispatch(colSumKernel, [x, out, uniforms], [grid.x, grid.y], {}, encoder);
  return uniforms;
}

export async function colSumGpu(
  ctx: GpuContext,
  x: Float32Array,
  rows: number,
  cols: number,
): Promise<Float32Array> {
  checkShape('colSum', x, rows, cols);
  if (rows === 0) return new Float32Array(cols);
  return ctx.checked('colSum', async () => {
    const out = ctx.storage(cols * 4, 'col-sums');
    const step = rowsPerChunk(ctx, cols);
    for (let r0 = 0; r0 < rows; r0 += step) {
      const n = Math.min(step, rows - r0);
      const buf = ctx.upload(x.subarray(r0 * cols, (r0 + n) * cols), 'col-sum-input');
      const uniforms = colSumOnDevice(ctx, buf, out, n, cols, r0 > 0);
      // WebGPU keeps a destroyed buffer alive until the work already submitted with it has run.
      buf.destroy();
      uniforms.destroy();
    }
    const sums = await ctx.readF32(out, cols);
    out.destroy();
    return sums;
  });
}
