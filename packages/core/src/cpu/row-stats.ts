import { checkShape, checkTemperature, type RowStats, type RowStatsOptions } from '../backend/backend.ts';

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
 * log-sum-exps are accumulated in f64; z/T is rounded to f32 first, as the shader computes it.
 */
export function rowStatsCpu(z: Float32Array, rows: number, cols: number, options: RowStatsOptions): RowStats {
  checkShape('rowStats', z, rows, cols);
  const { groups, labels } = options;
  if (groups.length !== cols)
    throw new RangeError(`rowStats: groups has ${groups.length} entries for ${cols} classes`);
  if (labels && labels.length !== rows)
    throw new RangeError(`rowStats: ${labels.length} labels for ${rows} rows`);
  const t = options.temperature ?? 1;
  checkTemperature(t);
  const invT = f(1 / t);
  const out = emptyRowStats(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let maxSO = Number.NEGATIVE_INFINITY;
    let argSO = -1;
    let maxU = Number.NEGATIVE_INFINITY;
    let argU = -1;
    let maxS = Number.NEGATIVE_INFINITY;
    let argS = -1;
    let sumS = 0;
    let sumU = 0;
    // The first member of a group is always taken, then only a strictly larger value replaces it:
    // ties (including all -Infinity) go to the lowest class index, and an empty group keeps -1.
    for (let c = 0; c < cols; c++) {
      const v = z[base + c]!;
      const g = groups[c];
      if (g === 1) {
        sumU += v;
        if (argU < 0 || v > maxU) {
          maxU = v;
          argU = c;
        }
        continue;
      }
      if (g === 0) {
        sumS += v;
        if (argS < 0 || v > maxS) {
          maxS = v;
          argS = c;
        }
      }
      if (argSO < 0 || v > maxSO) {
        maxSO = v;
        argSO = c;
      }
    }
    let lseSO = Number.NEGATIVE_INFINITY;
    let lseU = Number.NEGATIVE_INFINITY;
    const mSO = f(maxSO * invT);
    const mU = f(maxU * invT);
    let accSO = 0;
    let accU = 0;
    if (mSO !== Number.NEGATIVE_INFINITY || mU !== Number.NEGATIVE_INFINITY) {
      for (let c = 0; c < cols; c++) {
        const s = f(z[base + c]! * invT);
        if (groups[c] === 1) accU += Math.exp(s - mU);
        else accSO += Math.exp(s - mSO);
      }
    }
    if (mSO !== Number.NEGATIVE_INFINITY) lseSO = mSO + Math.log(accSO);
    if (mU !== Number.NEGATIVE_INFINITY) lseU = mU + Math.log(accU);
    out.maxSO[r] = maxSO;
    out.argSO[r] = argSO;
    out.maxU[r] = maxU;
    out.argU[r] = argU;
    out.maxS[r] = maxS;
    out.argS[r] = argS;
    out.sumS[r] = sumS;
    out.sumU[r] = sumU;
    out.lseSO[r] = lseSO;
    out.lseU[r] = lseU;
    const y = labels ? labels[r]! : -1;
    out.label[r] = y >= 0 && y < cols ? z[base + y]! : Number.NaN;
  }
  return out;
}
