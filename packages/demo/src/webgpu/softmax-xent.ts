import { type GpuContext, rowGrid, runRowChunks } from '@ftcal/core';
import { softmaxXentKernel } from '@ftcal/kernels';
import type { SoftmaxXentResult } from '../training.ts';

/**
 * GPU twin of `softmaxXentCpu`, in f32: per row chunk the kernel writes (softmax − onehot)/rows and one
 * loss sum per workgroup of WG rows, which are added here.
 */
export async function softmaxXentGpu(
  ctx: GpuContext,
  z: Float32Array,
  rows: number,
  cols: number,
  labels: Int32Array,
): Promise<SoftmaxXentResult> {
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
      const parts = Math.ceil(n / softmaxXentKernel.overrides.WG!);
      const pBuf = buffers.storage(parts * 4, 'xent-partial');
      const grid = rowGrid(parts, ctx.limits.maxComputeWorkgroupsPerDimension);
      const uniforms = buffers.uniforms(softmaxXentKernel, {
        rows: n,
        cols,
        gradScale: Math.fround(1 / rows),
        gridX: grid.x,
      });
      ctx.dispatch(softmaxXentKernel, [zBuf, yBuf, gBuf, pBuf, uniforms], [grid.x, grid.y], {}, encoder);
      return async () => {
        grad.set(await ctx.readF32(gBuf, n * cols), r0 * cols);
        for (const s of await ctx.readF32(pBuf, parts)) total += s;
      };
    },
  });
  return { loss: total / rows, grad };
}
