import { checkShape, checkTemperature, groupsOrSeen, type SoftmaxOptions } from '../backend/backend.ts';
import type { GpuContext } from '../gpu/context.ts';
import { recordSoftmax } from './resident-rows.ts';

/** Rows per dispatch so that one chunk of logits fits a single storage binding. */
export function rowsPerChunk(ctx: GpuContext, cols: number): number {
  return Math.max(1, Math.floor(ctx.maxBindingBytes / (cols * 4)));
}

/** Softmax of host logits: uploads binding-sized row chunks and runs recordSoftmax on each. */
export async function softmaxGpu(
  ctx: GpuContext,
  z: Float32Array,
  rows: number,
  cols: number,
  options: SoftmaxOptions = {},
): Promise<Float32Array> {
  checkShape('softmax', z, rows, cols);
  const t = options.temperature ?? 1;
  checkTemperature(t);
  const out = new Float32Array(rows * cols);
  if (rows === 0) return out;
  const groups = groupsOrSeen(options.groups, cols);
  return ctx.checked('softmax', async () => {
    const groupsBuf = ctx.upload(groups, 'groups');
    const step = rowsPerChunk(ctx, cols);
    for (let r0 = 0; r0 < rows; r0 += step) {
      const n = Math.min(step, rows - r0);
      const input = ctx.upload(z.subarray(r0 * cols, (r0 + n) * cols), 'logits');
      const encoder = ctx.device.createCommandEncoder({ label: 'softmax' });
      const recorded = recordSoftmax(
        ctx,
        encoder,
        { logits: input, groups: groupsBuf, rows: n, cols },
        { gamma: options.gamma ?? 0, temperature: t, log: options.log ?? false },
      );
      ctx.device.queue.submit([encoder.finish()]);
      out.set(await ctx.readF32(recorded.out, n * cols), r0 * cols);
      recorded.release();
      input.destroy();
      recorded.out.destroy();
    }
    groupsBuf.destroy();
    return out;
  });
}
