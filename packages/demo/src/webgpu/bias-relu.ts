import { type GpuContext, runRowChunks } from '@ftcal/core';
import { biasReluKernel } from '@ftcal/kernels';
import type { BiasReluOptions } from '../training.ts';
import { flatGrid } from './flat-grid.ts';

/** GPU twin of `biasReluCpu`: each row chunk gets bias (then ReLU) added in place and read back. */
export async function biasReluGpu(
  ctx: GpuContext,
  x: Float32Array,
  rows: number,
  cols: number,
  bias: Float32Array,
  options: BiasReluOptions = {},
): Promise<Float32Array> {
  const out = new Float32Array(rows * cols);
  const relu = options.relu ?? true;
  await runRowChunks(ctx, {
    op: 'biasRelu',
    rows,
    rowBytes: [cols * 4],
    setup: (job) => job.upload(bias, 'bias'),
    record: ({ r0, rows: n }, buffers, encoder, biasBuf) => {
      const buf = buffers.upload(x.subarray(r0 * cols, (r0 + n) * cols), 'activations');
      const grid = flatGrid(ctx, n * cols, biasReluKernel.overrides.WG!);
      const uniforms = buffers.uniforms(biasReluKernel, { rows: n, cols, relu: relu ? 1 : 0, gridX: grid.x });
      ctx.dispatch(biasReluKernel, [buf, biasBuf, uniforms], [grid.x, grid.y], {}, encoder);
      return async () => out.set(await ctx.readF32(buf, n * cols), r0 * cols);
    },
  });
  return out;
}
