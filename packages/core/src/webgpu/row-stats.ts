import { ROW_STATS_FIELDS } from '@ftcal/kernels';
import { checkShape, checkTemperature, type RowStats, type RowStatsOptions } from '../backend/backend.ts';
import { emptyRowStats } from '../cpu/row-stats.ts';
import type { GpuContext } from '../gpu/context.ts';
import { readRowStats, recordRowStats } from './resident-rows.ts';

export { rowStatsLanes } from './resident-rows.ts';

/** Rows per dispatch: the logits chunk and the 11-word-per-row output must each fit one binding. */
function rowsPerChunk(ctx: GpuContext, cols: number): number {
  return Math.max(1, Math.floor(ctx.maxBindingBytes / (Math.max(cols, ROW_STATS_FIELDS.length) * 4)));
}

/** Row statistics of host logits: uploads binding-sized row chunks and runs recordRowStats on each. */
export async function rowStatsGpu(
  ctx: GpuContext,
  z: Float32Array,
  rows: number,
  cols: number,
  options: RowStatsOptions,
): Promise<RowStats> {
  checkShape('rowStats', z, rows, cols);
  const { groups, labels } = options;
  if (groups.length !== cols)
    throw new RangeError(`rowStats: groups has ${groups.length} entries for ${cols} classes`);
  if (labels && labels.length !== rows)
    throw new RangeError(`rowStats: ${labels.length} labels for ${rows} rows`);
  const t = options.temperature ?? 1;
  checkTemperature(t);
  const out = emptyRowStats(rows);
  if (rows === 0) return out;
  return ctx.checked('rowStats', async () => {
    const groupsBuf = ctx.upload(groups, 'groups');
    const step = rowsPerChunk(ctx, cols);
    for (let r0 = 0; r0 < rows; r0 += step) {
      const n = Math.min(step, rows - r0);
      const input = ctx.upload(z.subarray(r0 * cols, (r0 + n) * cols), 'logits');
      const labelBuf = labels ? ctx.upload(labels.subarray(r0, r0 + n), 'labels') : undefined;
      const encoder = ctx.device.createCommandEncoder({ label: 'rowStats' });
      const recorded = recordRowStats(
        ctx,
        encoder,
        { logits: input, groups: groupsBuf, rows: n, cols },
        { temperature: t, ...(labelBuf ? { labels: labelBuf } : {}) },
      );
      ctx.device.queue.submit([encoder.finish()]);
      await readRowStats(ctx, recorded, out, r0);
      recorded.release();
      input.destroy();
      labelBuf?.destroy();
      recorded.out.destroy();
    }
    groupsBuf.destroy();
    return out;
  });
}
