import { l2NormalizeKernel, l2NormalizeSubgroupKernel, l2NormalizeSubgroupVec4Kernel } from '@ftcal/kernels';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { pickRowKernel, type RowKernelFamily } from './kernel-variants.ts';
import { runRowChunks } from './row-runner.ts';

export const L2_NORMALIZE_KERNELS: RowKernelFamily = {
  vec4: l2NormalizeSubgroupVec4Kernel,
  scalar: l2NormalizeSubgroupKernel,
  fallback: l2NormalizeKernel,
  // One workgroup per row; narrow rows leave most of a 256-thread workgroup idle at every barrier.
  fallbackLayout: (cols) => ({
    constants: { WG: cols <= 64 ? 64 : cols <= 512 ? 128 : 256 },
    rowsPerWorkgroup: 1,
  }),
};

/**
 * GPU twin of `l2NormalizeCpu`: one subgroup per row where the device has subgroups, else one workgroup
 * per row; rows split into chunks that fit one binding.
 */
export async function l2NormalizeGpu(
  ctx: GpuContext,
  x: Float32Array,
  rows: number,
  cols: number,
): Promise<Float32Array> {
  const out = new Float32Array(rows * cols);
  const { kernel, rowsPerWorkgroup, constants } = pickRowKernel(ctx, L2_NORMALIZE_KERNELS, cols);
  await runRowChunks(ctx, {
    op: 'l2Normalize',
    rows,
    rowBytes: [cols * 4],
    record: ({ r0, rows: n }, buffers, encoder) => {
      const input = buffers.upload(x.subarray(r0 * cols, (r0 + n) * cols), 'features');
      const output = buffers.storage(n * cols * 4, 'l2-normalize-out');
      const grid = rowGrid(Math.ceil(n / rowsPerWorkgroup), ctx.limits.maxComputeWorkgroupsPerDimension);
      const uniforms = buffers.uniforms(kernel, { rows: n, cols, gridX: grid.x });
      ctx.dispatch(kernel, [input, output, uniforms], [grid.x, grid.y], constants, encoder);
      return async () => out.set(await ctx.readF32(output, n * cols), r0 * cols);
    },
  });
  return out;
}
