import { type GpuContext, runRowChunks } from '@ftcal/core';
import { reluBackwardKernel } from '@ftcal/kernels';
import { flatGrid } from './flat-grid.ts';

/** GPU twin of `reluBackwardCpu`, elementwise (each value a row of one), in place on the gradient. */
export async function reluBackwardGpu(
  ctx: GpuContext,
  grad: Float32Array,
  activation: Float32Array,
): Promise<Float32Array> {
  const out = new Float32Array(grad.length);
  await runRowChunks(ctx, {
    op: 'reluBackward',
    rows: grad.length,
    rowBytes: [4, 4],
    record: ({ r0: i0, rows: n }, buffers, encoder) => {
      const g = buffers.upload(grad.subarray(i0, i0 + n), 'grad');
      const h = buffers.upload(activation.subarray(i0, i0 + n), 'activation');
      const grid = flatGrid(ctx, n, reluBackwardKernel.overrides.WG!);
      const uniforms = buffers.uniforms(reluBackwardKernel, { count: n, gridX: grid.x });
      ctx.dispatch(reluBackwardKernel, [g, h, uniforms], [grid.x, grid.y], {}, encoder);
      return async () => out.set(await ctx.readF32(g, n), i0);
    },
  });
  return out;
}
