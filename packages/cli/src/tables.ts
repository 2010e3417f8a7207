import {
  type AccuracyTable,
  type BootstrapIntervals,
  type ClasswiseEce,
  type CurveSummary,
  type Diagnostics,
  type MetricTable,
  type Summary,
  TOP_K_SPLITS,
} from '@ftcal/core';
import { table } from './output.ts';

/** Accuracy columns in the paper's order (DESIGN.md §1). */
const ACCURACY_KEYS = ['Y/Y', 'S/Y', 'U/Y', 'S/S', 'U/U', 'H'] as const;

/** A number for a terminal table; NaN (an empty label group) prints as a dash. */
export function fixed(v: number | undefined, digits: number): string {
  return v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

/** γ and T: four decimals, and significant digits for values too small for that; NaN (none) a dash. */
export function scalar(v: number): string {
  if (Number.isNaN(v)) return '-';
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toPrecision(4);
  return v.toFixed(4);
}

/** What a calibrator applies, in words: its (γ, T), or the linear family's s = W·x + b. */
export function calibratorText(c: {
  method: string;
  gamma: number;
  temperature: number;
  linear?: { input: string; form: string } | null;
}): string {
  if (!c.linear) return `method ${c.method}, γ = ${scalar(c.gamma)}, T = ${scalar(c.temperature)}`;
  const x = c.linear.input === 'log-softmax' ? 'log softmax(z)' : 'z';
  return `method ${c.method}, s = W·${x} + b (${c.linear.form} W)`;
}

export const accuracyHeader = (): string[] => [...ACCURACY_KEYS];
export const accuracyCells = (t: AccuracyTable): string[] => ACCURACY_KEYS.map((k) => fixed(t[k], 2));

/** The calibration errors (DESIGN.md §1.2), with classwise ECE when the table has it. */
const errorHeader = (t: MetricTable): string[] => [
  'ECE',
  'MCE',
  'RMSCE',
  ...(t.classwiseEce !== undefined ? ['cwECE'] : []),
];
const errorCells = (t: MetricTable): string[] => [
  fixed(t.ece, 4),
  fixed(t.mce, 4),
  fixed(t.rmsce, 4),
  ...(t.classwiseEce !== undefined ? [fixed(t.classwiseEce, 4)] : []),
];

/** Columns of a metric table; `like` decides the optional ones (classwise ECE). */
export const metricHeader = (like: MetricTable): string[] => [
  ...accuracyHeader(),
  'AUSUC',
  'NLL',
  ...errorHeader(like),
  'Brier',
];
export const metricCells = (t: MetricTable): string[] => [
  ...accuracyCells(t),
  fixed(t.ausuc, 4),
  fixed(t.nll, 4),
  ...errorCells(t),
  fixed(t.brier, 4),
];

/** The k of a table's top-k entries ("Y/Y@5" → 5), or null without them. */
export function topKOf(t: MetricTable): number | null {
  const key = Object.keys(t).find((k) => k.startsWith('Y/Y@'));
  return key ? Number(key.slice(4)) : null;
}

/** Rows labelled by `label` with their top-k splits, in the paper's order, or null without top-k. */
export function topKLines(rows: readonly [string, MetricTable][]): string[] | null {
  const k = rows.length ? topKOf(rows[0]![1]) : null;
  if (k === null) return null;
  const head = ['', ...TOP_K_SPLITS.map((s) => `${s}@${k}`)];
  const body = rows.map(([label, t]) => [label, ...TOP_K_SPLITS.map((s) => fixed(t[`${s}@${k}`], 2))]);
  return [
    `top-${k} accuracy (%): the label among the ${k} highest scores, ties S∪O before U`,
    ...table([head, ...body]).split('\n'),
  ];
}

/** One line of classwise ECE by group. */
export function classwiseLine(c: ClasswiseEce): string {
  return `classwise ECE over ${c.numBins} bins: ${fixed(c.classwiseEce, 4)} (S ${fixed(c.seen, 4)}, U ${fixed(c.absent, 4)})`;
}

/** Each metric's estimate on the whole set and its 95% bootstrap interval, then each method's γ. */
export function intervalLines(ci: BootstrapIntervals): string[] {
  const rows: string[][] = [['', 'estimate', '2.5%', '97.5%']];
  const add = (
    label: string,
    estimate: number | undefined,
    interval: readonly number[] | undefined,
    digits: number,
  ) => {
    if (interval)
      rows.push([label, fixed(estimate, digits), fixed(interval[0], digits), fixed(interval[1], digits)]);
  };
  const e = ci.estimate;
  for (const key of ['Y/Y', 'S/Y', 'U/Y', 'H'] as const) add(key, e[key], ci[key], 2);
  add('AUSUC', e.ausuc, ci.ausuc, 4);
  add('NLL', e.nll, ci.nll, 4);
  add('ECE', e.ece, ci.ece, 4);
  for (const [method, interval] of Object.entries(ci.gamma)) {
    add(`γ of ${method}`, e.gamma[method as keyof typeof e.gamma], interval, 4);
  }
  const undefinedNote = Object.entries(ci.undefinedReplicates)
    .map(([m, n]) => `${m} ${n}`)
    .join(', ');
  return [
    `95% bootstrap intervals (${ci.replicates} replicates, seed ${ci.seed}; at γ = ${scalar(ci.at.gamma)}${ci.at.temperature !== null ? `, T = ${scalar(ci.at.temperature)}` : ''})`,
    ...table(rows).split('\n'),
    ...(undefinedNote ? [`replicates that drew no row a metric needs, left out: ${undefinedNote}`] : []),
  ];
}

/**
 * The curve in JSON output without its points: a million-row set has up to a million of them, which
 * belong in `ftcal curve`'s CSV, not in every evaluation document.
 */
export function curveJson(curve: CurveSummary): Omit<CurveSummary, 'points'> & { pointCount: number } {
  const { points, ...rest } = curve;
  return { ...rest, pointCount: points.length };
}

const summary = (s: Summary | undefined): string =>
  !s || s.count === 0 ? '-' : `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}`;

/** Where the fine-tuning damage shows: logit and max-logit levels by group, thresholds, head norms. */
export function diagnosticsLines(d: Diagnostics): string[] {
  const rows: string[][] = [['rows labelled', 'S logits', 'U logits', 'max S', 'max U', 'maxSO − maxU']];
  for (const key of ['seen', 'absent', 'all'] as const) {
    const max = d.maxLogits[key];
    if (!max) continue;
    const logits = d.logits?.[key];
    rows.push([
      key === 'seen' ? 'S' : key === 'absent' ? 'U' : 'any',
      summary(logits?.seen),
      summary(logits?.absent),
      summary(max.seen),
      summary(max.absent),
      summary(d.thresholds[key]),
    ]);
  }
  const lines = table(rows).split('\n');
  if (d.weightNorms) {
    const w = d.weightNorms;
    lines.push(
      `head weight norms: S ${summary(w.seen)}, U ${summary(w.absent)}${w.other.count > 0 ? `, O ${summary(w.other)}` : ''}`,
    );
  }
  return lines;
}
