import { sgdMomentumKernel } from '@ftcal/kernels';
import type { SgdMomentumOptions, SgdMomentumResult } from '../backend/backend.ts';
import { checkSgd } from '../cpu/sgd-momentum.ts';
import type { GpuContext } from '../gpu/context.ts';
import { flatGrid } from './flat-grid.ts';
import { runRowChunks } from './row-runner.ts';

/** Records one SGD-with-momentum step in place on device buffers of `count` parameters. */
export function sgdMomentumOnDevice(
  ctx: GpuContext,
  params: GPUBuffer,
  velocity: GPUBuffer,
  grads: GPUBuffer,
  count: number,
  options: SgdMomentumOptions,
  encoder?: GPUCommandEncoder,
): GPUBuffer {
  const grid = flatGrid(ctx, count, sgdMomentumKernel.overrides.WG!);
  const uniforms = ctx.uniforms(sgdMomentumKernel, {
    count,
    gridX: grid.x,
    lr: options.lr,
    momentum: options.momentum ?? 0,
    weightDecay: options.weightDecay ?? 0,
  });
  ctx.dispatch(sgdMomentumKernel, [params, velocity, grads, uniforms], [grid.x, grid.y], {}, encoder);
  return uniforms;
}

/** Host-array form: uploads, steps in place on the device, and returns the updated copies. */
export async function sgdMomentumGpu(
  ctx: GpuContext,
  params: Float32Array,
  grads: Float32Array,
  velocity: Float32Array,
  options: SgdMomentumOptions,
): Promise<SgdMomentumResult> {
  checkSgd(params, grads, velocity, options);
  const w = new Float32Array(params.length);
  const v = new Float32Array(params.length);
  // Elementwise: each parameter is a row of one.
  await runRowChunks(ctx, {
    op: 'sgdMomentum',
    rows: params.length,
    rowBytes: [4, 4, 4],
    record: ({ r0: i0, rows: n }, buffers, encoder) => {
      const wBuf = buffers.upload(params.subarray(i0, i0 + n), 'params');
      const vBuf = buffers.upload(velocity.subarray(i0, i0 + n), 'velocity');
      const gBuf = buffers.upload(grads.subarray(i0, i0 + n), 'grads');
      buffers.own(sgdMomentumOnDevice(ctx, wBuf, vBuf, gBuf, n, options, encoder));
      return async () => {
        w.set(await ctx.readF32(wBuf, n), i0);
        v.set(await ctx.readF32(vBuf, n), i0);
      };
    },
  });
  return { params: w, velocity: v };
}
