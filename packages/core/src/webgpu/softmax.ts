import type { SoftmaxOptions } from '../backend/backend.ts';
import type { GpuContext } from '../gpu/context.ts';
import { recordSoftmax } from './resident-rows.ts';
import { runRowChunks } from './row-runner.ts';

/** Softmax of host logits: each row chunk is uploaded and run through recordSoftmax. */
export async function softmaxGpu(
  ctx: GpuContext,
  z: Float32Array,
  rows: number,
  cols: number,
  options: SoftmaxOptions = {},
): Promise<Float32Array> {
  const groups = options.groups ?? new Uint32Array(cols);
  const out = new Float32Array(rows * cols);
  await runRowChunks(ctx, {
    op: 'softmax',
    rows,
    rowBytes: [cols * 4],
    setup: (job) => job.upload(groups, 'groups'),
    record: ({ r0, rows: n }, buffers, encoder, groupsBuf) => {
      const logits = buffers.upload(z.subarray(r0 * cols, (r0 + n) * cols), 'logits');
      const recorded = buffers.adopt(
        recordSoftmax(
          ctx,
          encoder,
          { logits, groups: groupsBuf, rows: n, cols },
          { gamma: options.gamma ?? 0, temperature: options.temperature ?? 1, log: options.log ?? false },
        ),
      );
      buffers.own(recorded.out);
      return async () => out.set(await ctx.readF32(recorded.out, n * cols), r0 * cols);
    },
  });
  return out;
}
