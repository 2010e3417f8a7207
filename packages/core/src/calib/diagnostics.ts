import type { RowMoments } from '../backend/backend.ts';
import { InputError } from '../errors.ts';
import { thresholdOf } from './accuracy.ts';
import { ABSENT, type ClassGroups, SEEN } from './groups.ts';
import type { DataStats } from './stats.ts';

/** Mean and population standard deviation (divide by n) of the finite values; NaN for both when n = 0. */
export interface Summary {
  count: number;
  mean: number;
  std: number;
}

export interface ByClassGroup {
  seen: Summary;
  absent: Summary;
  other: Summary;
}

export interface MaxLogitSummary {
  /** max over S, max over U, max over S∪O, one value per row. */
  seen: Summary;
  absent: Summary;
  seenOrOther: Summary;
}

/** Diagnostics for rows of every label (`all`) and for rows labelled in S and in U (absent without labels). */
export interface ByLabelGroup<T> {
  all: T;
  seen?: T;
  absent?: T;
}

/**
 * Where the damage shows (DESIGN.md §1): the logits of each class group, the per-row maxima, and the
 * thresholds t_i = maxSO_i − maxU_i (a row goes to U iff γ > t_i), by the label group of the row; and the
 * L2 norm of each head weight row by class group. Non-finite values (-Infinity logits, thresholds of rows
 * with no finite maximum on one side) are left out and the counts say how many values remain.
 */
export interface Diagnostics {
  logits: ByLabelGroup<ByClassGroup>;
  maxLogits: ByLabelGroup<MaxLogitSummary>;
  thresholds: ByLabelGroup<Summary>;
  /** Null without head weights. */
  weightNorms: ByClassGroup | null;
  conventions: { std: 'population (divide by n)'; nonFinite: 'left out' };
}

/** Head weights in nn.Linear layout: C rows (one per class) of D values. */
export interface HeadWeights {
  /** Where the weights came from, for messages. */
  name?: string;
  data: Float32Array;
  rows: number;
  cols: number;
}

/** Count, sum and sum of squares of one class group's finite logits over the given rows, in row order. */
function summaryOfMoments(
  count: Int32Array,
  sum: Float64Array,
  sumSq: Float64Array,
  rows: number[],
): Summary {
  let n = 0;
  let s = 0;
  let q = 0;
  for (const r of rows) {
    n += count[r]!;
    s += sum[r]!;
    q += sumSq[r]!;
  }
  if (n === 0) return { count: 0, mean: Number.NaN, std: Number.NaN };
  const mean = s / n;
  return { count: n, mean, std: Math.sqrt(Math.max(0, q / n - mean * mean)) };
}

function logitMoments(m: RowMoments, rows: number[]): ByClassGroup {
  return {
    seen: summaryOfMoments(m.countS, m.sumS, m.sumSqS, rows),
    absent: summaryOfMoments(m.countU, m.sumU, m.sumSqU, rows),
    other: summaryOfMoments(m.countO, m.sumO, m.sumSqO, rows),
  };
}

/** Two-pass summary of a list (exact mean first, then squared deviations), for per-row quantities. */
function summaryOf(values: Float64Array): Summary {
  let n = 0;
  let s = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    n++;
    s += v;
  }
  if (n === 0) return { count: 0, mean: Number.NaN, std: Number.NaN };
  const mean = s / n;
  let q = 0;
  for (const v of values) if (Number.isFinite(v)) q += (v - mean) * (v - mean);
  return { count: n, mean, std: Math.sqrt(q / n) };
}

export function weightNorms(weights: HeadWeights, groups: ClassGroups): ByClassGroup {
  if (weights.rows !== groups.numClasses || weights.data.length !== weights.rows * weights.cols) {
    throw new InputError({
      code: 'shape',
      file: weights.name ?? 'head weights',
      problem: `shape ${weights.rows}×${weights.cols} does not match ${groups.numClasses} classes`,
      fix: 'pass the C×D weight of the classifier head (nn.Linear layout)',
    });
  }
  const norms = { seen: [] as number[], absent: [] as number[], other: [] as number[] };
  for (let c = 0; c < weights.rows; c++) {
    let sq = 0;
    for (let d = 0; d < weights.cols; d++) sq += weights.data[c * weights.cols + d]! ** 2;
    const g = groups.codes[c] === SEEN ? 'seen' : groups.codes[c] === ABSENT ? 'absent' : 'other';
    norms[g].push(Math.sqrt(sq));
  }
  return {
    seen: summaryOf(Float64Array.from(norms.seen)),
    absent: summaryOf(Float64Array.from(norms.absent)),
    other: summaryOf(Float64Array.from(norms.other)),
  };
}

export function diagnostics(data: DataStats, weights?: HeadWeights): Diagnostics {
  const { stats, labels, groups, moments } = data;
  const rowsOf = (g: number | null): number[] => {
    const out: number[] = [];
    for (let r = 0; r < stats.rows; r++) if (g === null || groups.codes[labels![r]!] === g) out.push(r);
    return out;
  };
  const perRow = (rows: number[], f: (r: number) => number) => summaryOf(Float64Array.from(rows, f));
  const maxOf = (rows: number[]): MaxLogitSummary => ({
    seen: perRow(rows, (r) => stats.maxS[r]!),
    absent: perRow(rows, (r) => stats.maxU[r]!),
    seenOrOther: perRow(rows, (r) => stats.maxSO[r]!),
  });
  const tOf = (rows: number[]) => perRow(rows, (r) => thresholdOf(stats.maxSO[r]!, stats.maxU[r]!));
  const all = rowsOf(null);
  const maxLogits: ByLabelGroup<MaxLogitSummary> = { all: maxOf(all) };
  const thresholds: ByLabelGroup<Summary> = { all: tOf(all) };
  const logits: ByLabelGroup<ByClassGroup> = { all: logitMoments(moments, all) };
  if (labels) {
    const seenRows = rowsOf(SEEN);
    const absentRows = rowsOf(ABSENT);
    maxLogits.seen = maxOf(seenRows);
    maxLogits.absent = maxOf(absentRows);
    thresholds.seen = tOf(seenRows);
    thresholds.absent = tOf(absentRows);
    logits.seen = logitMoments(moments, seenRows);
    logits.absent = logitMoments(moments, absentRows);
  }
  return {
    logits,
    maxLogits,
    thresholds,
    weightNorms: weights ? weightNorms(weights, groups) : null,
    conventions: { std: 'population (divide by n)', nonFinite: 'left out' },
  };
}
