import type { AccuracyTable, CurveSummary, Diagnostics, MetricTable, Summary } from '@ftcal/core';
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

export const metricHeader = (): string[] => [...accuracyHeader(), 'AUSUC', 'NLL', 'ECE', 'Brier'];
export const metricCells = (t: MetricTable): string[] => [
  ...accuracyCells(t),
  fixed(t.ausuc, 4),
  fixed(t.nll, 4),
  fixed(t.ece, 4),
  fixed(t.brier, 4),
];

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
