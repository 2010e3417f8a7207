import { reluBackwardKernel } from '@ftcal/kernels';
import type { GpuContext } from '../gpu/context.ts';
import { flatGrid } from './flat-grid.ts';
import { runRowChunks } from './row-runner.ts';

/** Records grad = activation > 0 ? grad : 0 in place on a device buffer of `count` values. */
export function reluBackwardOnDevice(
  ctx: GpuContext,
  grad: GPUBuffer,
  activation: GPUBuffer,
  count: number,
  encoder?: GPUCommandEncoder,
): GPUBuffer {
  const grid = flatGrid(ctx, count, reluBackwardKernel.overrides.WG!);
  const uniforms = ctx.uniforms(reluBackwardKernel, { count, gridX: grid.x });
  ctx.dispatch(reluBackwardKernel, [grad, activation, uniforms], [grid.x, grid.y], {}, encoder);
  return uniforms;
}

export async function reluBackwardGpu(
  ctx: GpuContext,
  grad: Float32Array,
  activation: Float32Array,
): Promise<Float32Array> {
  if (grad.length !== activation.length) {
    throw new RangeError(`reluBackward: ${grad.length} gradients for ${activation.length} activations`);
  }
  const out = new Float32Array(grad.length);
  // Elementwise: each value is a row of one.
  await runRowChunks(ctx, {
    op: 'reluBackward',
    rows: grad.length,
    rowBytes: [4, 4],
    record: ({ r0: i0, rows: n }, buffers, encoder) => {
      const g = buffers.upload(grad.subarray(i0, i0 + n), 'grad');
      const h = buffers.upload(activation.subarray(i0, i0 + n), 'activation');
      buffers.own(reluBackwardOnDevice(ctx, g, h, n, encoder));
      return async () => out.set(await ctx.readF32(g, n), i0);
    },
  });
  return out;
}
