import { l2NormalizeKernel } from '@ftcal/kernels';
import { checkShape } from '../backend/backend.ts';
import { InputError } from '../errors.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';

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
  checkShape('l2Normalize', x, rows, cols);
  const out = new Float32Array(rows * cols);
  if (rows === 0) return out;
  const step = Math.floor(ctx.maxBindingBytes / (cols * 4));
  if (step < 1) {
    throw new InputError(
      `l2Normalize: one row of ${cols} features (${cols * 4} bytes) exceeds a GPU storage binding ` +
        `(${ctx.maxBindingBytes} bytes); run with --device cpu`,
    );
  }
  const constants = { WG: workgroupFor(cols) };
  return ctx.checked('l2Normalize', async () => {
    for (let r0 = 0; r0 < rows; r0 += step) {
      const n = Math.min(step, rows - r0);
      const input = ctx.upload(x.subarray(r0 * cols, (r0 + n) * cols), 'features');
      const output = ctx.storage(n * cols * 4, 'l2-normalize-out');
      const grid = rowGrid(n, ctx.limits.maxComputeWorkgroupsPerDimension);
      const uniforms = ctx.uniforms(l2NormalizeKernel, { rows: n, cols, gridX: grid.x });
      try {
        ctx.dispatch(l2NormalizeKernel, [input, output, uniforms], [grid.x, grid.y], constants);
        out.set(await ctx.readF32(output, n * cols), r0 * cols);
      } finally {
        input.destroy();
        output.destroy();
        uniforms.destroy();
      }
    }
    return out;
  });
}
