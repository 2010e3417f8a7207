import { biasReluKernel } from '@ftcal/kernels';
import type { BiasReluOptions } from '../backend/backend.ts';
import { checkShape } from '../backend/validate.ts';
import type { GpuContext } from '../gpu/context.ts';
import { flatGrid } from './flat-grid.ts';
import { runRowChunks } from './row-runner.ts';

/** Records x += bias (then ReLU) in place on a device buffer of rows×cols values. */
export function biasReluOnDevice(
  ctx: GpuContext,
  x: GPUBuffer,
  bias: GPUBuffer,
  rows: number,
  cols: number,
  relu: boolean,
  encoder?: GPUCommandEncoder,
): GPUBuffer {
  const wg = biasReluKernel.overrides.WG!;
  const grid = flatGrid(ctx, rows * cols, wg);
  const uniforms = ctx.uniforms(biasReluKernel, { rows, cols, relu: relu ? 1 : 0, gridX: grid.x });
  ctx.dispatch(biasReluKernel, [x, bias, uniforms], [grid.x, grid.y], {}, encoder);
  return uniforms;
}

export async function biasReluGpu(
  ctx: GpuContext,
  x: Float32Array,
  rows: number,
  cols: number,
  bias: Float32Array,
  options: BiasReluOptions = {},
): Promise<Float32Array> {
  checkShape('biasRelu', x, rows, cols);
  if (bias.length !== cols)
    throw new RangeError(`biasRelu: bias has ${bias.length} values for ${cols} columns`);
  const out = new Float32Array(rows * cols);
  await runRowChunks(ctx, {
    op: 'biasRelu',
    rows,
    rowBytes: [cols * 4],
    setup: (job) => job.upload(bias, 'bias'),
    record: ({ r0, rows: n }, buffers, encoder, biasBuf) => {
      const buf = buffers.upload(x.subarray(r0 * cols, (r0 + n) * cols), 'activations');
      buffers.own(biasReluOnDevice(ctx, buf, biasBuf, n, cols, options.relu ?? true, encoder));
      return async () => out.set(await ctx.readF32(buf, n * cols), r0 * cols);
    },
  });
  return out;
}
