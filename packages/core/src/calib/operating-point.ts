import { InputError } from '../errors.ts';
import { type AccuracyTable, accuracyOfOutcomes, type RowOutcomes, rowOutcomes } from './accuracy.ts';
import { type CalibrationError, equalWidthBins, rowConfidence } from './metrics.ts';
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
  /** Mean Σ_c (p_c − [c = y])². */
  brier: number;
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

/**
 * Every operating point of one labelled set at the statistics' temperature T, from its per-row
 * statistics (DESIGN.md §1 "Row statistics", §1.3): the accuracy outcomes are derived once, and each
 * `at(γ)` is one O(N) sweep of `rowConfidence` (the per-row NLL, confidence and Brier term every metric is
 * computed from), fast enough to follow a slider.
 */
export function operatingPoints(data: DataStats, options: { bins?: number } = {}): OperatingPoints {
  const numBins = options.bins ?? 15;
  checkOption(numBins, 'bins', 'the number of ECE bins', 'bins');
  const outcomes: RowOutcomes = rowOutcomes(data, 'the metrics at an operating point');
  if (outcomes.rows === 0) {
    throw new InputError({
      code: 'shape',
      file: data.source,
      problem: 'no rows to measure confidence metrics on',
      fix: 'pass a set with at least one row kept',
    });
  }
  const { temperature } = data;
  const rows = data.stats.rows;
  const all = Array.from({ length: rows }, (_, r) => r);
  const mean = (x: Float64Array) => x.reduce((a, v) => a + v, 0) / rows;
  return {
    rows,
    temperature,
    at(gamma) {
      checkGamma(gamma);
      const rc = rowConfidence(data, gamma);
      const calibration = equalWidthBins(rc.confidence, rc.correct, all, numBins);
      return {
        gamma,
        temperature,
        table: accuracyOfOutcomes(outcomes, gamma),
        nll: mean(rc.nll),
        brier: mean(rc.brier),
        ece: calibration.ece,
        calibration,
      };
    },
  };
}
