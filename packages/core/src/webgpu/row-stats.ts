import { ROW_STATS_FIELDS } from '@ftcal/kernels';
import type { RowStats, RowStatsOptions } from '../backend/backend.ts';
import { emptyRowStats } from '../cpu/row-stats.ts';
import type { GpuContext } from '../gpu/context.ts';
import { readRowStats, recordRowStats } from './resident-rows.ts';
import { runRowChunks } from './row-runner.ts';

/** Row statistics of host logits: each row chunk is uploaded and run through recordRowStats. */
export async function rowStatsGpu(
  ctx: GpuContext,
  z: Float32Array,
  rows: number,
  cols: number,
  options: RowStatsOptions,
): Promise<RowStats> {
  const { groups, labels } = options;
  const t = options.temperature ?? 1;
  const out = emptyRowStats(rows);
  await runRowChunks(ctx, {
    op: 'rowStats',
    rows,
    // Logits in, the statistics out, and a label per row when there are labels.
    rowBytes: labels ? [cols * 4, ROW_STATS_FIELDS.length * 4, 4] : [cols * 4, ROW_STATS_FIELDS.length * 4],
    setup: (job) => job.upload(groups, 'groups'),
    record: ({ r0, rows: n }, buffers, encoder, groupsBuf) => {
      const logits = buffers.upload(z.subarray(r0 * cols, (r0 + n) * cols), 'logits');
      const labelBuf = labels ? buffers.upload(labels.subarray(r0, r0 + n), 'labels') : undefined;
      const recorded = buffers.adopt(
        recordRowStats(
          ctx,
          encoder,
          { logits, groups: groupsBuf, rows: n, cols },
          { temperature: t, ...(labelBuf ? { labels: labelBuf } : {}) },
        ),
      );
      buffers.own(recorded.out);
      return async () => {
        await readRowStats(ctx, recorded, out, r0);
      };
    },
  });
  return out;
}
