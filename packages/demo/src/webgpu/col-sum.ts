import { type GpuContext, rowGrid, runRowChunks } from '@ftcal/core';
import { colSumKernel } from '@ftcal/kernels';

/** GPU twin of `colSumCpu`: each row chunk adds its column sums to one device buffer, read once. */
export async function colSumGpu(
  ctx: GpuContext,
  x: Float32Array,
  rows: number,
  cols: number,
): Promise<Float32Array> {
  const sums = new Float32Array(cols);
  const grid = rowGrid(cols, ctx.limits.maxComputeWorkgroupsPerDimension);
  await runRowChunks(ctx, {
    op: 'colSum',
    rows,
    rowBytes: [cols * 4],
    setup: (job) => job.storage(cols * 4, 'col-sums'),
    record: ({ r0, rows: n }, buffers, encoder, out) => {
      const buf = buffers.upload(x.subarray(r0 * cols, (r0 + n) * cols), 'col-sum-input');
      const uniforms = buffers.uniforms(colSumKernel, {
        rows: n,
        cols,
        accumulate: r0 > 0 ? 1 : 0,
        gridX: grid.x,
      });
      ctx.dispatch(colSumKernel, [buf, out, uniforms], [grid.x, grid.y], {}, encoder);
      return undefined;
    },
    finish: async (out) => sums.set(await ctx.readF32(out, cols)),
  });
  return sums;
}
