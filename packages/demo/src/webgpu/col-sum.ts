import { type GpuContext, recordColSum, runRowChunks } from '@ftcal/core';

/** GPU twin of `colSumCpu`: each row chunk adds its column sums to one device buffer, read once. */
export async function colSumGpu(
  ctx: GpuContext,
  x: Float32Array,
  rows: number,
  cols: number,
): Promise<Float32Array> {
  const sums = new Float32Array(cols);
  await runRowChunks(ctx, {
    op: 'colSum',
    rows,
    rowBytes: [cols * 4],
    setup: (job) => job.storage(cols * 4, 'col-sums'),
    record: ({ r0, rows: n }, buffers, encoder, out) => {
      const buf = buffers.upload(x.subarray(r0 * cols, (r0 + n) * cols), 'col-sum-input');
      recordColSum(ctx, encoder, buffers, buf, out, { rows: n, cols, accumulate: r0 > 0 });
      return undefined;
    },
    finish: async (out) => sums.set(await ctx.readF32(out, cols)),
  });
  return sums;
}
