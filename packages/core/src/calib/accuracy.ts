import type { RowStats } from '../backend/backend.ts';
import { InputError } from '../errors.ts';
import { ABSENT, type ClassGroups, SEEN } from './groups.ts';
import { checkGamma } from './option-checks.ts';

/**
 * DESIGN.md §3 accuracy table, in percent. "A/B" is the accuracy over rows labelled in A of the argmax
 * restricted to the classes in B; "Y" as a column set means all C head outputs (O included).
 * A label group with no rows gives NaN for its entries (never a division by zero); H is NaN when either
 * side is NaN and 0 when both are 0.
 */
export interface AccuracyTable {
  'Y/Y': number;
  'S/Y': number;
  'U/Y': number;
  'S/S': number;
  'U/U': number;
  H: number;
}

/** Statistics with labels: what every accuracy, the curve and the methods are computed from. */
export interface LabelledStats {
  /** Where the rows came from, for messages (DataStats has it). */
  source?: string;
  stats: RowStats;
  labels: Int32Array | null;
  groups: ClassGroups;
}

/** Integer counts behind an accuracy table; identical on every backend. */
interface AccuracyCounts {
  /** Rows labelled in S and in U. */
  seenRows: number;
  absentRows: number;
  /** Correct under the full head (Y) at γ, by label group. */
  seenCorrect: number;
  absentCorrect: number;
  /** Correct when the argmax is restricted to the row's own label group (S/S, U/U); independent of γ. */
  seenCorrectWithinS: number;
  absentCorrectWithinU: number;
}

/**
 * Per-row facts the tie rule needs, derived once from the statistics (DESIGN.md §1):
 * the threshold t_i = maxSO_i − maxU_i in float64 (exact for f32 inputs of similar magnitude; a row goes to
 * U iff γ > t_i), the label group, and whether the row is correct when it goes to U (argU = y) or stays in
 * S∪O (argSO = y). Non-finite cases are explicit: no finite U logit (maxU = -∞, also when both maxima are
 * -∞) gives t = +∞, the row never goes to U; maxSO = -∞ with a finite maxU gives t = -∞, it always does.
 */
export interface RowOutcomes {
  rows: number;
  threshold: Float64Array;
  /** 0 = labelled in S, 1 = labelled in U. */
  labelGroup: Uint8Array;
  correctIfU: Uint8Array;
  correctIfSO: Uint8Array;
  correctWithinGroup: Uint8Array;
}

/** `what` (a metric, a method) was asked of rows without labels. */
export function missingLabels(what: string, file: string | undefined): InputError {
  return new InputError({
    code: 'labels',
    ...(file !== undefined && { file }),
    problem: `no labels for ${what}`,
    fix: 'pass the labels of these rows',
  });
}

export function requireLabels(data: LabelledStats, what: string): Int32Array {
  if (!data.labels) throw missingLabels(what, data.source);
  if (data.labels.length !== data.stats.rows) {
    throw new RangeError(`${what}: ${data.labels.length} labels for ${data.stats.rows} rows of statistics`);
  }
  return data.labels;
}

/** t_i = maxSO_i − maxU_i with the non-finite conventions of RowOutcomes. */
export function thresholdOf(maxSO: number, maxU: number): number {
  if (maxU === Number.NEGATIVE_INFINITY || Number.isNaN(maxU)) return Number.POSITIVE_INFINITY;
  if (maxSO === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  return maxSO - maxU;
}

/** Thresholds of every row, labelled or not. */
export function thresholds(stats: RowStats): Float64Array {
  const t = new Float64Array(stats.rows);
  for (let r = 0; r < stats.rows; r++) t[r] = thresholdOf(stats.maxSO[r]!, stats.maxU[r]!);
  return t;
}

export function rowOutcomes(data: LabelledStats, what = 'accuracy'): RowOutcomes {
  const labels = requireLabels(data, what);
  const { stats, groups } = data;
  const rows = stats.rows;
  const out: RowOutcomes = {
    rows,
    threshold: thresholds(stats),
    labelGroup: new Uint8Array(rows),
    correctIfU: new Uint8Array(rows),
    correctIfSO: new Uint8Array(rows),
    correctWithinGroup: new Uint8Array(rows),
  };
  for (let r = 0; r < rows; r++) {
    const y = labels[r]!;
    const g = groups.codes[y];
    if (g !== SEEN && g !== ABSENT) {
      throw new InputError({
        code: 'labels',
        file: data.source ?? what,
        problem: `label ${y} at row ${r} is not in S or U`,
        fix: 'drop rows labelled in O first',
      });
    }
    out.labelGroup[r] = g;
    out.correctIfU[r] = stats.argU[r] === y ? 1 : 0;
    out.correctIfSO[r] = stats.argSO[r] === y ? 1 : 0;
    out.correctWithinGroup[r] = (g === SEEN ? stats.argS[r] : stats.argU[r]) === y ? 1 : 0;
  }
  return out;
}

function countsAt(o: RowOutcomes, gamma: number): AccuracyCounts {
  checkGamma(gamma);
  const c: AccuracyCounts = {
    seenRows: 0,
    absentRows: 0,
    seenCorrect: 0,
    absentCorrect: 0,
    seenCorrectWithinS: 0,
    absentCorrectWithinU: 0,
  };
  for (let r = 0; r < o.rows; r++) {
    const correct = gamma > o.threshold[r]! ? o.correctIfU[r]! : o.correctIfSO[r]!;
    if (o.labelGroup[r] === SEEN) {
      c.seenRows++;
      c.seenCorrect += correct;
      c.seenCorrectWithinS += o.correctWithinGroup[r]!;
    } else {
      c.absentRows++;
      c.absentCorrect += correct;
      c.absentCorrectWithinU += o.correctWithinGroup[r]!;
    }
  }
  return c;
}

/** 100·k/n, NaN for an empty group. */
export function percent(k: number, n: number): number {
  return n === 0 ? Number.NaN : (100 * k) / n;
}

export function harmonicMean(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
  return a + b === 0 ? 0 : (2 * a * b) / (a + b);
}

function tableOfCounts(c: AccuracyCounts): AccuracyTable {
  const sy = percent(c.seenCorrect, c.seenRows);
  const uy = percent(c.absentCorrect, c.absentRows);
  return {
    'Y/Y': percent(c.seenCorrect + c.absentCorrect, c.seenRows + c.absentRows),
    'S/Y': sy,
    'U/Y': uy,
    'S/S': percent(c.seenCorrectWithinS, c.seenRows),
    'U/U': percent(c.absentCorrectWithinU, c.absentRows),
    H: harmonicMean(sy, uy),
  };
}

/**
 * The accuracy table at bias γ, from statistics alone, with DESIGN.md §1's tie rule: a row goes to U only
 * if maxU + γ > maxSO strictly (evaluated as γ > t_i), and inside a group the lowest index wins (argU,
 * argSO). The temperature does not change an argmax, so the table holds for every T > 0.
 */
export function accuracyAt(data: LabelledStats, gamma: number): AccuracyTable {
  return accuracyOfOutcomes(rowOutcomes(data), gamma);
}

/** `accuracyAt` from outcomes derived once: for callers that ask at many γ (a live slider, a sweep). */
export function accuracyOfOutcomes(outcomes: RowOutcomes, gamma: number): AccuracyTable {
  return tableOfCounts(countsAt(outcomes, gamma));
}
