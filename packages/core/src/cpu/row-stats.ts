import type { RowMoments, RowPass, RowPassOptions, RowStats, RowStatsOptions } from '../backend/backend.ts';
import { accumulatorTask, groupRuns, rowPassRows, summedState } from './row-pass.ts';

export function emptyRowStats(rows: number): RowStats {
  return {
    rows,
    maxSO: new Float32Array(rows),
    argSO: new Int32Array(rows),
    maxU: new Float32Array(rows),
    argU: new Int32Array(rows),
    maxS: new Float32Array(rows),
    argS: new Int32Array(rows),
    label: new Float32Array(rows),
    sumS: new Float32Array(rows),
    sumU: new Float32Array(rows),
    lseSO: new Float64Array(rows),
    lseU: new Float64Array(rows),
    logSqSO: new Float64Array(rows),
    logSqU: new Float64Array(rows),
  };
}

export function emptyRowMoments(rows: number): RowMoments {
  return {
    rows,
    countS: new Int32Array(rows),
    countU: new Int32Array(rows),
    countO: new Int32Array(rows),
    sumS: new Float64Array(rows),
    sumU: new Float64Array(rows),
    sumO: new Float64Array(rows),
    sumSqS: new Float64Array(rows),
    sumSqU: new Float64Array(rows),
    sumSqO: new Float64Array(rows),
  };
}

/**
 * CPU twin of the row-statistics kernel (DESIGN.md §1). Maxima use strict `>` in index order, so the
 * lowest index wins ties and -Infinity logits never displace an empty group's -Infinity/-1. Sums and
 * log-sum-exps are accumulated in f64; z/T is rounded to f32 first, as the shader computes it. The
 * per-row maths is `rowPassRows` (row-pass.ts), which the worker pool runs on row ranges too.
 */
export function rowStatsCpu(z: Float32Array, rows: number, cols: number, options: RowStatsOptions): RowStats {
  return passRows(z, rows, cols, options, { moments: null, deviceStats: null }).stats;
}

/**
 * CPU twin of rowPass on the calling thread. With `deviceStats` (the WebGPU backend's statistics of these
 * rows) it adds only what the device kernel does not compute: NaN/+Infinity marks, moments, accumulators.
 */
export function rowPassCpu(
  z: Float32Array,
  rows: number,
  cols: number,
  options: RowPassOptions,
  deviceStats?: RowStats,
): RowPass {
  const moments = emptyRowMoments(rows);
  return { ...passRows(z, rows, cols, options, { moments, deviceStats: deviceStats ?? null }), moments };
}

function passRows(
  z: Float32Array,
  rows: number,
  cols: number,
  options: RowPassOptions,
  into: { moments: RowMoments | null; deviceStats: RowStats | null },
): Omit<RowPass, 'moments'> {
  const { moments, deviceStats } = into;
  const stats = deviceStats ?? emptyRowStats(rows);
  const tasks = (options.accumulators ?? []).map((job) => accumulatorTask(job, cols, [0]));
  rowPassRows(
    {
      z,
      cols,
      groups: options.groups,
      runs: groupRuns(options.groups),
      labels: options.labels ?? null,
      invT: Math.fround(1 / (options.temperature ?? 1)),
      computeStats: !deviceStats,
      stats,
      moments,
      keep: options.keep ?? null,
      accumulators: tasks,
    },
    0,
    rows,
  );
  return { stats, accumulated: tasks.map((t) => summedState(t)) };
}
