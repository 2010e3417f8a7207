import type { AccuracyTable, RowOutcomes } from '../calib/accuracy.ts';
import type { GammaCurve } from '../calib/curve.ts';
import type { MetricTable } from '../calib/evaluate.ts';
import { SEEN } from '../calib/groups.ts';
import type { BootstrapIntervals } from '../calib/metrics/bootstrap.ts';
import type { CalibrationError } from '../calib/metrics.ts';
import type {
  CurveMark,
  GammaCurvePlot,
  GammaInterval,
  IntervalRow,
  ReliabilityPanel,
  ReportMethodRow,
  ThresholdGroups,
} from './types.ts';

/**
 * Adapters from the calibration engine's results to the report's plain inputs. They only reshape:
 * every number is the engine's own.
 */

/** An operating point from the accuracy table at its γ (e.g. `accuracyAt(data, gamma)`). */
export function markOf(label: string, gamma: number, table: AccuracyTable): CurveMark {
  return { label, gamma, seen: table['S/Y'], unseen: table['U/Y'], overall: table['Y/Y'] };
}

/** The γ-curve plot of an exact curve with its marked operating points. */
export function curvePlotOf(
  curve: GammaCurve,
  marks: readonly CurveMark[],
  overallPanel = true,
): GammaCurvePlot {
  return { points: curve.points, marks, ausuc: curve.ausuc, overallPanel };
}

/** Row thresholds split by the group of the row's label, for the logit-gap histogram. */
export function thresholdGroupsOf(outcomes: RowOutcomes): ThresholdGroups {
  let seenRows = 0;
  for (let r = 0; r < outcomes.rows; r++) if (outcomes.labelGroup[r] === SEEN) seenRows++;
  const seen = new Float64Array(seenRows);
  const unseen = new Float64Array(outcomes.rows - seenRows);
  let s = 0;
  let u = 0;
  for (let r = 0; r < outcomes.rows; r++) {
    if (outcomes.labelGroup[r] === SEEN) seen[s++] = outcomes.threshold[r]!;
    else unseen[u++] = outcomes.threshold[r]!;
  }
  return { seen, unseen };
}

/**
 * One row of the methods table from a method's choice (the engine's MethodResult has this shape) and
 * the metrics measured at that choice: its accuracy table plus any of AUSUC, NLL, ECE, Brier.
 */
export function methodRowOf(
  choice: { method: string; gamma: number; temperature: number },
  metrics: AccuracyTable & Partial<MetricTable>,
  note?: string,
): ReportMethodRow {
  return {
    method: choice.method,
    table: { ...metrics, gamma: choice.gamma, temperature: choice.temperature },
    ...(note ? { note } : {}),
  };
}

/**
 * One reliability diagram from the engine's calibration error (`ConfidenceMetrics.calibration`, or
 * `.equalMass` for equal-mass bins): its bins and ECE, under a label such as "Before" or "After (alg)".
 */
export function reliabilityPanelOf(
  label: string,
  error: CalibrationError,
  ci?: BootstrapIntervals | null,
): ReliabilityPanel {
  const r = ci?.reliability;
  // The band belongs to the panel only if it bins the same way (the bootstrap's bins are equal-width).
  const band =
    r && error.binning === 'equal-width' && r.numBins === error.bins.length
      ? { accuracy: r.accuracy, level: ci!.level, replicates: ci!.replicates }
      : undefined;
  return { label, bins: error.bins, ece: error.ece, ...(band && { band }) };
}

/** The bootstrap intervals of the methods' γ, for the curve plot (labels as the methods are named). */
export function gammaIntervalsOf(ci: BootstrapIntervals): GammaInterval[] {
  return Object.entries(ci.gamma).map(([label, gamma]) => ({ label, gamma, level: ci.level }));
}

/**
 * The report's table of bootstrap intervals: the operating point's accuracies, AUSUC, NLL and ECE, then
 * each method's γ, each beside its estimate on the whole set.
 */
export function intervalRowsOf(ci: BootstrapIntervals): IntervalRow[] {
  const e = ci.estimate;
  const rows: IntervalRow[] = [];
  for (const key of ['Y/Y', 'S/Y', 'U/Y', 'H'] as const) {
    rows.push({ label: `${key} (%)`, estimate: e[key], interval: ci[key], digits: 2 });
  }
  rows.push({ label: 'AUSUC', estimate: e.ausuc, interval: ci.ausuc, digits: 4 });
  if (ci.nll) rows.push({ label: 'NLL', estimate: e.nll, interval: ci.nll, digits: 4 });
  if (ci.ece) rows.push({ label: 'ECE', estimate: e.ece, interval: ci.ece, digits: 4 });
  for (const [method, interval] of Object.entries(ci.gamma)) {
    rows.push({
      label: `γ of ${method}`,
      estimate: e.gamma[method as keyof typeof e.gamma],
      interval,
      digits: 3,
    });
  }
  return rows;
}
