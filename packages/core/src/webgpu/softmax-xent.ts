import { softmaxXentKernel } from '@ftcal/kernels';
import { checkShape, type SoftmaxXentResult } from '../backend/backend.ts';
import { checkLabels } from '../cpu/softmax-xent.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { rowsPerChunk } from './softmax.ts';

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
  return ctx.checked('softmaxXent', async () => {
    const step = rowsPerChunk(ctx, cols);
    let total = 0;
    for (let r0 = 0; r0 < rows; r0 += step) {
      const n = Math.min(step, rows - r0);
      const zBuf = ctx.upload(z.subarray(r0 * cols, (r0 + n) * cols), 'logits');
      const yBuf = ctx.upload(labels.subarray(r0, r0 + n), 'labels');
      const gBuf = ctx.storage(n * cols * 4, 'xent-grad');
      const pBuf = ctx.storage(partialCount(n) * 4, 'xent-partial');
      const uniforms = softmaxXentOnDevice(ctx, zBuf, yBuf, gBuf, pBuf, n, cols, Math.fround(1 / rows));
      grad.set(await ctx.readF32(gBuf, n * cols), r0 * cols);
      for (const s of await ctx.readF32(pBuf, partialCount(n))) total += s;
      for (const b of [zBuf, yBuf, gBuf, pBuf, uniforms]) b.destroy();
    }
    return { loss: total / rows, grad };
  });
}
