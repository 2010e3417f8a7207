import { colSumKernel } from '@ftcal/kernels';
import { checkShape } from '../backend/validate.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { runRowChunks } from './row-runner.ts';

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
  const sums = new Float32Array(cols);
  await runRowChunks(ctx, {
    op: 'colSum',
    rows,
    rowBytes: [cols * 4],
    setup: (job) => job.storage(cols * 4, 'col-sums'),
    record: ({ r0, rows: n }, buffers, encoder, out) => {
      const buf = buffers.upload(x.subarray(r0 * cols, (r0 + n) * cols), 'col-sum-input');
      buffers.own(colSumOnDevice(ctx, buf, out, n, cols, r0 > 0, encoder));
      return undefined;
    },
    finish: async (out) => sums.set(await ctx.readF32(out, cols)),
  });
  return sums;
}
