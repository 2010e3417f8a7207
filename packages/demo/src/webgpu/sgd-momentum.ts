import { type GpuContext, runRowChunks } from '@ftcal/core';
import { sgdMomentumKernel } from '@ftcal/kernels';
import type { SgdMomentumOptions, SgdMomentumResult } from '../training.ts';
import { flatGrid } from './flat-grid.ts';

/**
 * GPU twin of `sgdMomentumCpu`, elementwise (each parameter a row of one): steps the uploaded
 * parameters and velocity in place and returns the updated copies.
 */
export async function sgdMomentumGpu(
  ctx: GpuContext,
  params: Float32Array,
  grads: Float32Array,
  velocity: Float32Array,
  options: SgdMomentumOptions,
): Promise<SgdMomentumResult> {
  const w = new Float32Array(params.length);
  const v = new Float32Array(params.length);
  await runRowChunks(ctx, {
    op: 'sgdMomentum',
    rows: params.length,
    rowBytes: [4, 4, 4],
    record: ({ r0: i0, rows: n }, buffers, encoder) => {
      const wBuf = buffers.upload(params.subarray(i0, i0 + n), 'params');
      const vBuf = buffers.upload(velocity.subarray(i0, i0 + n), 'velocity');
      const gBuf = buffers.upload(grads.subarray(i0, i0 + n), 'grads');
      const grid = flatGrid(ctx, n, sgdMomentumKernel.overrides.WG!);
      const uniforms = buffers.uniforms(sgdMomentumKernel, {
        count: n,
        gridX: grid.x,
        lr: options.lr,
        momentum: options.momentum ?? 0,
        weightDecay: options.weightDecay ?? 0,
      });
      ctx.dispatch(sgdMomentumKernel, [wBuf, vBuf, gBuf, uniforms], [grid.x, grid.y], {}, encoder);
      return async () => {
        w.set(await ctx.readF32(wBuf, n), i0);
        v.set(await ctx.readF32(vBuf, n), i0);
      };
    },
  });
  return { params: w, velocity: v };
}
