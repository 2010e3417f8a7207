import { reluBackwardKernel } from '@ftcal/kernels';
import type { GpuContext } from '../gpu/context.ts';
import { elementsPerChunk, flatGrid } from './flat-grid.ts';

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
  if (grad.length === 0) return out;
  return ctx.checked('reluBackward', async () => {
    const step = elementsPerChunk(ctx);
    for (let i0 = 0; i0 < grad.length; i0 += step) {
      const n = Math.min(step, grad.length - i0);
      const g = ctx.upload(grad.subarray(i0, i0 + n), 'grad');
      const h = ctx.upload(activation.subarray(i0, i0 + n), 'activation');
      const uniforms = reluBackwardOnDevice(ctx, g, h, n);
      out.set(await ctx.readF32(g, n), i0);
      g.destroy();
      h.destroy();
      uniforms.destroy();
    }
    return out;
  });
}
