/**
 * What a report is drawn from: plain data, so the CLI, the demo and embedding tools can fill it from the
 * calibration engine (see `from-calib.ts`) or from a saved JSON file. Accuracies follow DESIGN.md §1:
 * percent for accuracy tables and curve points, 0–1 for AUSUC, confidences and reliability bins.
 */

import type { CurvePoint } from '../calib/curve.ts';
import type { MetricTable } from '../calib/evaluate.ts';
import type { ReliabilityBin } from '../calib/metrics.ts';

/**
 * The engine's own shapes: a curve point is γ with Acc S/Y ("seen"), U/Y ("unseen") and Y/Y ("overall")
 * in percent; a reliability bin is a confidence range, its rows, mean top-label confidence and accuracy.
 */
export type { CurvePoint, ReliabilityBin };

/** A chosen operating point (γ=0, alg, oracle, hmean, pcv, nll…), accuracies in percent. */
export interface CurveMark {
  label: string;
  gamma: number;
  seen: number;
  unseen: number;
  overall?: number;
}

/** Thresholds t_i = maxSO_i − maxU_i, split by the group of the row's label. A row goes to U iff γ > t_i. */
export interface ThresholdGroups {
  seen: ArrayLike<number>;
  unseen: ArrayLike<number>;
}

/** A bootstrap interval of a method's γ (e.g. the oracle's), drawn as a band along the curve. */
export interface GammaInterval {
  label: string;
  gamma: readonly [number, number];
  /** Confidence level, 0.95 for the bootstrap's intervals. */
  level: number;
}

export interface GammaCurvePlot {
  points: readonly CurvePoint[];
  marks: readonly CurveMark[];
  ausuc: number;
  /** Adds a second panel: overall accuracy against γ. Default true. */
  overallPanel?: boolean;
  /** γ intervals: a shaded span in the overall panel and the stretch of curve they cover. */
  intervals?: readonly GammaInterval[];
}

export interface ReliabilityPanel {
  /** "Before", "After (alg)"… */
  label: string;
  bins: readonly ReliabilityBin[];
  ece: number;
  /**
   * A bootstrap band of each bin's accuracy ([lo, hi] per bin, NaN where undefined), at the given
   * level; drawn over the bars.
   */
  band?: { accuracy: readonly (readonly [number, number])[]; level: number; replicates: number };
}

export interface LogitGapPlot {
  thresholds: ThresholdGroups;
  /** γ values drawn as vertical lines: rows left of a line (t < γ) are predicted absent. */
  markers: readonly { label: string; gamma: number }[];
}

/**
 * One row of the report's methods table: any label (the demo's rows are models as well as methods), and
 * any subset of the engine's MetricTable; a missing or NaN value prints as a dash, so an AccuracyTable
 * and the engine's metric objects can be spread straight in.
 */
export interface ReportMethodRow {
  method: string;
  table: Partial<MetricTable>;
  /** Iterations, gradient norm, a warning: shown as text beside the numbers. */
  note?: string;
}

/** One row of the bootstrap intervals table: a metric, its estimate on the whole set, its interval. */
export interface IntervalRow {
  label: string;
  estimate?: number;
  interval: readonly [number, number];
  /** Decimals to print: 2 for percentages, 4 for AUSUC, NLL and ECE, 3 for γ. */
  digits: number;
}

export interface ReportInput {
  /** Page heading; defaults to "ftcal calibration report". */
  title?: string;
  /** What was evaluated: label/value pairs such as ["logits", "val_logits.npy"], ["rows", "50000"]. */
  evaluated: readonly (readonly [string, string])[];
  /** The adapter or backend the numbers came from, e.g. "llvmpipe (opengles, software)" or "cpu". */
  device: string;
  date: Date;
  /** The fitted calibration, if any: its tables before and after. */
  calibration?: { method: string; before: Partial<MetricTable>; after: Partial<MetricTable> };
  methods: readonly ReportMethodRow[];
  curve?: GammaCurvePlot;
  reliability?: readonly ReliabilityPanel[];
  logitGap?: LogitGapPlot;
  /** Bootstrap intervals at the chosen operating point (DESIGN.md §1.2 "ci"). */
  bootstrap?: { level: number; replicates: number; seed: number; rows: readonly IntervalRow[] };
  /** Class names by group, listed (abridged) in the page; user-provided, so escaped. */
  classes?: { seen: readonly string[]; absent: readonly string[]; other?: readonly string[] };
}
