import { InputError } from '../errors.ts';
import { type AccuracyTable, accuracyOfOutcomes, type RowOutcomes, rowOutcomes } from './accuracy.ts';
import { ABSENT } from './groups.ts';
import { type CalibrationError, equalWidthBins } from './metrics.ts';
import { checkGamma, checkOption } from './option-checks.ts';
import type { DataStats } from './stats.ts';

/** The operating point (γ, T) measured from per-row statistics alone. */
export interface StatsPoint {
  gamma: number;
  /** The temperature the statistics were taken at (DataStats.temperature). */
  temperature: number;
  /** Exact: the same counts as `accuracyAt`. */
  table: AccuracyTable;
  /** Mean −log p_y (natural log). */
  nll: number;
  /** Top-label ECE over equal-width bins, and the bins (the reliability diagram). */
  ece: number;
  calibration: CalibrationError;
}

export interface OperatingPoints {
  readonly rows: number;
  readonly temperature: number;
  /** The accuracy table, NLL, ECE and reliability bins at `gamma`, in O(N), without the logits. */
  at(gamma: number): StatsPoint;
}

/** log(e^a + e^b) without overflow; -Infinity when both are. */
function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/**
 * Every operating point of one labelled set at the statistics' temperature T, from its per-row
 * statistics (DESIGN.md §1 "Row statistics", §1.3): a row goes to U iff γ > t_i (the accuracy tie rule),
 * lse_i(γ) = log(exp(lseSO_i) + exp(lseU_i + γ/T)), the prediction's score is max(maxSO_i, maxU_i + γ)/T
 * (the side the tie rule picks), so the top-label confidence is exp(score − lse_i(γ)) and the row's NLL is
 * lse_i(γ) − (z_iy + γ·[y∈U])/T. The outcomes are derived once; each `at(γ)` is one O(N) sweep, fast
 * enough to follow a slider. The log-sum-exps are the statistics' f32 values, so NLL and the confidences
 * agree with a pass over the logits (`confidenceMetrics`) to f32 rounding, not bit for bit; Brier needs
 * Σ_c p_c², which the statistics do not hold, and is not offered here.
 */
export function operatingPoints(data: DataStats, options: { bins?: number } = {}): OperatingPoints {
  const numBins = options.bins ?? 15;
  checkOption(numBins, 'bins', 'the number of ECE bins', 'count');
  const outcomes: RowOutcomes = rowOutcomes(data, 'the metrics at an operating point');
  if (outcomes.rows === 0) {
    throw new InputError({
      code: 'shape',
      file: data.source,
      problem: 'no rows to measure confidence metrics on',
      fix: 'pass a set with at least one row kept',
    });
  }
  const { stats, groups, temperature } = data;
  const labels = data.labels!;
  const rows = stats.rows;
  const all = Array.from({ length: rows }, (_, r) => r);
  const confidence = new Float32Array(rows);
  const correct = new Uint8Array(rows);
  return {
    rows,
    temperature,
    at(gamma) {
      checkGamma(gamma);
      const shift = gamma / temperature;
      let nll = 0;
      for (let r = 0; r < rows; r++) {
        const toU = gamma > outcomes.threshold[r]!;
        const lse = logAddExp(stats.lseSO[r]!, stats.lseU[r]! + shift);
        const score = toU ? (stats.maxU[r]! + gamma) / temperature : stats.maxSO[r]! / temperature;
        confidence[r] = Math.min(1, Math.exp(score - lse));
        correct[r] = toU ? outcomes.correctIfU[r]! : outcomes.correctIfSO[r]!;
        const y = labels[r]!;
        nll += lse - (stats.label[r]! + (groups.codes[y] === ABSENT ? gamma : 0)) / temperature;
      }
      const calibration = equalWidthBins(confidence, correct, all, numBins);
      return {
        gamma,
        temperature,
        table: accuracyOfOutcomes(outcomes, gamma),
        nll: nll / rows,
        ece: calibration.ece,
        calibration,
      };
    },
  };
}
