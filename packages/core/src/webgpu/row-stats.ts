import { ROW_STATS_FIELDS, rowStatsKernel } from '@ftcal/kernels';
import { checkShape, checkTemperature, type RowStats, type RowStatsOptions } from '../backend/backend.ts';
import { emptyRowStats } from '../cpu/row-stats.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';

const WG = 128;

/**
 * Threads per row: about 16 columns per thread, a power of two from 1 (many short rows per workgroup)
 * up to the whole workgroup (one long row per workgroup).
 */
export function rowStatsLanes(cols: number): number {
  let lanes = 1;
  while (lanes < WG && lanes * 16 < cols) lanes *= 2;
  return lanes;
}

/** Rows per dispatch: the logits chunk and the 11-word-per-row output must each fit one binding. */
function rowsPerChunk(ctx: GpuContext, cols: number): number {
  return Math.max(1, Math.floor(ctx.maxBindingBytes / (Math.max(cols, ROW_STATS_FIELDS.length) * 4)));
}

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
  const lanes = rowStatsLanes(cols);
  const rowsPerGroup = WG / lanes;
  const fields = ROW_STATS_FIELDS.length;
  return ctx.checked('rowStats', async () => {
    const groupsBuf = ctx.upload(groups, 'groups');
    const noLabels = labels ? null : ctx.storage(4, 'no-labels');
    const step = rowsPerChunk(ctx, cols);
    for (let r0 = 0; r0 < rows; r0 += step) {
      const n = Math.min(step, rows - r0);
      const input = ctx.upload(z.subarray(r0 * cols, (r0 + n) * cols), 'logits');
      const labelBuf = labels ? ctx.upload(labels.subarray(r0, r0 + n), 'labels') : noLabels!;
      const output = ctx.storage(n * fields * 4, 'row-stats-out');
      const grid = rowGrid(Math.ceil(n / rowsPerGroup), ctx.limits.maxComputeWorkgroupsPerDimension);
      const uniforms = ctx.uniforms(rowStatsKernel, {
        rows: n,
        cols,
        invT: Math.fround(1 / t),
        hasLabels: labels ? 1 : 0,
        gridX: grid.x,
      });
      ctx.dispatch(rowStatsKernel, [input, groupsBuf, labelBuf, output, uniforms], [grid.x, grid.y], {
        WG,
        LANES: lanes,
      });
      const bytes = await ctx.read(output, n * fields * 4);
      const f32 = new Float32Array(bytes);
      const i32 = new Int32Array(bytes);
      ROW_STATS_FIELDS.forEach((name, f) => {
        const src = name.startsWith('arg') ? i32 : f32;
        out[name].set(src.subarray(f * n, (f + 1) * n), r0);
      });
      input.destroy();
      if (labels) labelBuf.destroy();
      output.destroy();
      uniforms.destroy();
    }
    groupsBuf.destroy();
    noLabels?.destroy();
    return out;
  });
}
