import { softmaxXentKernel } from '@ftcal/kernels';
import type { SoftmaxXentResult } from '../backend/backend.ts';
import { checkShape } from '../backend/validate.ts';
import { checkLabels } from '../cpu/softmax-xent.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { runRowChunks } from './row-runner.ts';

/**
 * Records the cross-entropy pass on device buffers: `grad` gets (softmax − onehot)·gradScale and
 * `partial` one loss sum per workgroup of WG rows (partialCount(rows) values).
 */
export function softmaxXentOnDevice(
  ctx: GpuContext,
  z: GPUBuffer,
  labels: GPUBuffer,
  grad: GPUBuffer,
  partial: GPUBuffer,
  rows: number,
  cols: number,
  gradScale: number,
  encoder?: GPUCommandEncoder,
): GPUBuffer {
  const grid = rowGrid(partialCount(rows), ctx.limits.maxComputeWorkgroupsPerDimension);
  const uniforms = ctx.uniforms(softmaxXentKernel, { rows, cols, gradScale, gridX: grid.x });
  ctx.dispatch(softmaxXentKernel, [z, labels, grad, partial, uniforms], [grid.x, grid.y], {}, encoder);
  return uniforms;
}

/** Number of per-workgroup loss sums the kernel writes for `rows` rows. */
export function partialCount(rows: number): number {
  return Math.ceil(rows / softmaxXentKernel.overrides.WG!);
}

export async function softmaxXentGpu(
  ctx: GpuContext,
  z: Float32Array,
  rows: number,
  cols: number,
  labels: Int32Array,
): Promise<SoftmaxXentResult> {
  checkShape('softmaxXent', z, rows, cols);
  checkLabels('softmaxXent', labels, rows, cols);
  const grad = new Float32Array(rows * cols);
  if (rows === 0) return { loss: Number.NaN, grad };
  let total = 0;
  await runRowChunks(ctx, {
    op: 'softmaxXent',
    rows,
    rowBytes: [cols * 4, 4],
    record: ({ r0, rows: n }, buffers, encoder) => {
      const zBuf = buffers.upload(z.subarray(r0 * cols, (r0 + n) * cols), 'logits');
      const yBuf = buffers.upload(labels.subarray(r0, r0 + n), 'labels');
      const gBuf = buffers.storage(n * cols * 4, 'xent-grad');
      const pBuf = buffers.storage(partialCount(n) * 4, 'xent-partial');
      buffers.own(softmaxXentOnDevice(ctx, zBuf, yBuf, gBuf, pBuf, n, cols, Math.fround(1 / rows), encoder));
      return async () => {
        grad.set(await ctx.readF32(gBuf, n * cols), r0 * cols);
        for (const s of await ctx.readF32(pBuf, partialCount(n))) total += s;
      };
    },
  });
  return { loss: total / rows, grad };
}
