import { softmaxKernel } from '@ftcal/kernels';
import { checkShape, checkTemperature, groupsOrSeen, type SoftmaxOptions } from '../backend/backend.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';

/** Rows per dispatch so that one chunk of logits fits a single storage binding. */
export function rowsPerChunk(ctx: GpuContext, cols: number): number {
  return Math.max(1, Math.floor(ctx.maxBindingBytes / (cols * 4)));
}

export async function softmaxGpu(
  ctx: GpuContext,
  z: Float32Array,
  rows: number,
  cols: number,
  options: SoftmaxOptions = {},
): Promise<Float32Array> {
  checkShape('softmax', z, rows, cols);
  const t = options.temperature ?? 1;
  checkTemperature(t);
  const out = new Float32Array(rows * cols);
  if (rows === 0) return out;
  const groups = groupsOrSeen(options.groups, cols);
  return ctx.checked('softmax', async () => {
    const groupsBuf = ctx.upload(groups, 'groups');
    const step = rowsPerChunk(ctx, cols);
    for (let r0 = 0; r0 < rows; r0 += step) {
      const n = Math.min(step, rows - r0);
      const input = ctx.upload(z.subarray(r0 * cols, (r0 + n) * cols), 'logits');
      const output = ctx.storage(n * cols * 4, 'softmax-out');
      const grid = rowGrid(n, ctx.limits.maxComputeWorkgroupsPerDimension);
      const uniforms = ctx.uniforms(softmaxKernel, {
        rows: n,
        cols,
        gamma: options.gamma ?? 0,
        invT: Math.fround(1 / t),
        logOut: options.log ? 1 : 0,
        gridX: grid.x,
      });
      ctx.dispatch(softmaxKernel, [input, groupsBuf, output, uniforms], [grid.x, grid.y]);
      out.set(await ctx.readF32(output, n * cols), r0 * cols);
      input.destroy();
      output.destroy();
      uniforms.destroy();
    }
    groupsBuf.destroy();
    return out;
  });
}
