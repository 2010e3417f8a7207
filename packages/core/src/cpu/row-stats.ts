import type { RowStats, RowStatsOptions } from '../backend/backend.ts';
import { rowStatsRows } from './row-kernels.ts';

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
    lseSO: new Float32Array(rows),
    lseU: new Float32Array(rows),
  };
}

const f = Math.fround;

/**
 * CPU twin of the row-statistics kernel (DESIGN.md §1). Maxima use strict `>` in index order, so the
 * lowest index wins ties and -Infinity logits never displace an empty group's -Infinity/-1. Sums and
 * log-sum-exps are accumulated in f64; z/T is rounded to f32 first, as the shader computes it. The
 * per-row maths is `rowStatsRows` (row-kernels.ts), which the worker pool runs on row ranges too.
 */
export function rowStatsCpu(z: Float32Array, rows: number, cols: number, options: RowStatsOptions): RowStats {
  const { groups, labels } = options;
  const invT = f(1 / (options.temperature ?? 1));
  const out = emptyRowStats(rows);
  rowStatsRows({ z, cols, groups, labels: labels ?? null, invT, ...out }, 0, rows);
  return out;
}
