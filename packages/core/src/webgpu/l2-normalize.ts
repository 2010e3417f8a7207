import { l2NormalizeKernel } from '@ftcal/kernels';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { runRowChunks } from './row-runner.ts';

/** Narrow rows leave most of a 256-thread workgroup idle at every barrier; a smaller one does less. */
function workgroupFor(cols: number): number {
  return cols <= 64 ? 64 : cols <= 512 ? 128 : 256;
}

/** GPU twin of `l2NormalizeCpu`: one workgroup per row, rows split into chunks that fit one binding. */
export async function l2NormalizeGpu(
  ctx: GpuContext,
  x: Float32Array,
  rows: number,
  cols: number,
): Promise<Float32Array> {
  const out = new Float32Array(rows * cols);
  const constants = { WG: workgroupFor(cols) };
  await runRowChunks(ctx, {
    op: 'l2Normalize',
    rows,
    rowBytes: [cols * 4],
    record: ({ r0, rows: n }, buffers, encoder) => {
      const input = buffers.upload(x.subarray(r0 * cols, (r0 + n) * cols), 'features');
      const output = buffers.storage(n * cols * 4, 'l2-normalize-out');
      const grid = rowGrid(n, ctx.limits.maxComputeWorkgroupsPerDimension);
      const uniforms = buffers.uniforms(l2NormalizeKernel, { rows: n, cols, gridX: grid.x });
      ctx.dispatch(l2NormalizeKernel, [input, output, uniforms], [grid.x, grid.y], constants, encoder);
      return async () => out.set(await ctx.readF32(output, n * cols), r0 * cols);
    },
  });
  return out;
}
