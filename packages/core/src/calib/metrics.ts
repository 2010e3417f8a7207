import type { Backend } from '../backend/backend.ts';
import { InputError } from '../errors.ts';
import { missingLabels, thresholdOf } from './accuracy.ts';
import { ABSENT, type ClassGroups, SEEN } from './groups.ts';
import { checkGamma, checkOption, checkTemperature } from './option-checks.ts';
import type { LogitPasses } from './passes.ts';

/** One reliability bin: its confidence range, rows, and their mean top-label confidence and accuracy (0–1). */
export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** 0 for an empty bin (which contributes nothing to the ECE). */
  meanConfidence: number;
  accuracy: number;
}

export type Binning = 'equal-width' | 'equal-mass';

export interface CalibrationError {
  ece: number;
  binning: Binning;
  numBins: number;
  norm: 'L1';
  /**
   * equal-width: bins (lo, hi] with lo = k/B, confidence 0 in the first bin and 1.0 in the last (the
   * torchmetrics convention). equal-mass: rows sorted by confidence (stable), rank r in bin ⌊r·B/N⌋;
   * lo/hi are the smallest and largest confidence in the bin (null-free: 0 for an empty bin).
   */
  bins: ReliabilityBin[];
}

export interface GroupMetrics {
  rows: number;
  nll: number;
  brier: number;
  ece: number;
}

/**
 * Confidence metrics at (γ, T) (DESIGN.md §1). Scores s = (z + γ·[c∈U]) / T, p = softmax(s); the
 * prediction follows the accuracy tie rule and its probability is the top-label confidence.
 */
export interface ConfidenceMetrics {
  gamma: number;
  temperature: number;
  rows: number;
  /** Mean over rows of −log p_y (natural log). */
  nll: number;
  /** Mean over rows of Σ_c (p_c − y_c)² (multi-class Brier score, range 0–2). */
  brier: number;
  /** Top-label ECE, L1, equal-width bins: the headline number. */
  ece: number;
  calibration: CalibrationError;
  /** Present when asked for (`equalMass: true`). */
  equalMass: CalibrationError | null;
  /** The same metrics over rows labelled in S and in U (null for an empty group). */
  byLabelGroup: { seen: GroupMetrics | null; absent: GroupMetrics | null };
  conventions: {
    nll: 'mean, natural log';
    brier: 'sum over classes of squared error, mean over rows';
    ece: 'top-label, L1, confidence = probability of the predicted class (tie rule)';
  };
}

export interface MetricsOptions {
  gamma?: number;
  temperature?: number;
  /** Number of bins. Default 15. */
  bins?: number;
  /** Also compute equal-mass bins. Default false. */
  equalMass?: boolean;
}

/** Row-level results of the metrics pass. */
interface RowResults {
  confidence: Float32Array;
  correct: Uint8Array;
  labelGroup: Uint8Array;
  nll: Float64Array;
  brier: Float64Array;
}

/** Equal-width bin of a confidence: the first bin k with c ≤ (k+1)/B, so (lo, hi] and 0 in bin 0. */
function widthBin(c: number, edges: Float64Array, n: number): number {
  let b = Math.min(n - 1, Math.max(0, Math.ceil(c * n) - 1));
  while (b > 0 && c <= edges[b]!) b--;
  while (b < n - 1 && c > edges[b + 1]!) b++;
  return b;
}

function summarise(rows: number[], conf: Float32Array, correct: Uint8Array): { c: number; a: number } {
  let c = 0;
  let a = 0;
  for (const r of rows) {
    c += conf[r]!;
    a += correct[r]!;
  }
  return rows.length ? { c: c / rows.length, a: a / rows.length } : { c: 0, a: 0 };
}

function eceOf(bins: ReliabilityBin[], total: number): number {
  let e = 0;
  for (const b of bins) if (b.count) e += (b.count / total) * Math.abs(b.accuracy - b.meanConfidence);
  return e;
}

export function equalWidthBins(
  conf: Float32Array,
  correct: Uint8Array,
  rows: readonly number[],
  numBins: number,
): CalibrationError {
  const edges = Float64Array.from({ length: numBins + 1 }, (_, k) => k / numBins);
  const members: number[][] = Array.from({ length: numBins }, () => []);
  for (const r of rows) members[widthBin(conf[r]!, edges, numBins)]!.push(r);
  const bins = members.map((m, k) => {
    const s = summarise(m, conf, correct);
    return { lo: edges[k]!, hi: edges[k + 1]!, count: m.length, meanConfidence: s.c, accuracy: s.a };
  });
  return { ece: eceOf(bins, rows.length), binning: 'equal-width', numBins, norm: 'L1', bins };
}

async function equalMassBins(
  backend: Backend,
  conf: Float32Array,
  correct: Uint8Array,
  rows: readonly number[],
  numBins: number,
): Promise<CalibrationError> {
  const keys = Float32Array.from(rows, (r) => conf[r]!);
  const { order } = await backend.sortKeys(keys);
  const n = rows.length;
  const members: number[][] = Array.from({ length: numBins }, () => []);
  for (let rank = 0; rank < n; rank++) members[Math.floor((rank * numBins) / n)]!.push(rows[order[rank]!]!);
  const bins = members.map((m) => {
    const s = summarise(m, conf, correct);
    return {
      lo: m.length ? conf[m[0]!]! : 0,
      hi: m.length ? conf[m[m.length - 1]!]! : 0,
      count: m.length,
      meanConfidence: s.c,
      accuracy: s.a,
    };
  });
  return { ece: eceOf(bins, n), binning: 'equal-mass', numBins, norm: 'L1', bins };
}

/** log p_y in float64 straight from the logits, for rows whose f32 probability underflowed. */
function exactLogProb(
  z: Float32Array,
  base: number,
  cols: number,
  y: number,
  codes: Uint32Array,
  gamma: number,
  invT: number,
): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < cols; c++) m = Math.max(m, (z[base + c]! + (codes[c] === ABSENT ? gamma : 0)) * invT);
  let sum = 0;
  for (let c = 0; c < cols; c++) {
    const s = (z[base + c]! + (codes[c] === ABSENT ? gamma : 0)) * invT;
    if (s !== Number.NEGATIVE_INFINITY) sum += Math.exp(s - m);
  }
  return (z[base + y]! + (codes[y] === ABSENT ? gamma : 0)) * invT - m - Math.log(sum);
}

/** p_y below this (f32 denormals and 0) loses its digits, so its log is recomputed in float64. */
const TINY = 1e-30;

async function rowResults(
  backend: Backend,
  passes: LogitPasses,
  groups: ClassGroups,
  gamma: number,
  temperature: number,
): Promise<RowResults> {
  const n = passes.rows;
  const out: RowResults = {
    confidence: new Float32Array(n),
    correct: new Uint8Array(n),
    labelGroup: new Uint8Array(n),
    nll: new Float64Array(n),
    brier: new Float64Array(n),
  };
  const cols = passes.cols;
  const codes = groups.codes;
  const invT = 1 / temperature;
  let at = 0;
  await passes.forEach(async ({ z, rows, labels }) => {
    if (!labels) throw missingLabels('the confidence metrics', passes.name);
    const p = await backend.softmax(z, rows, cols, { gamma, temperature, groups: codes });
    for (let r = 0; r < rows; r++, at++) {
      const base = r * cols;
      const y = labels[r]!;
      if (codes[y] !== SEEN && codes[y] !== ABSENT) {
        throw new InputError({
          code: 'labels',
          file: passes.name,
          problem: `label ${y} is not in S or U`,
          fix: 'drop rows labelled in O first',
        });
      }
      let maxSO = Number.NEGATIVE_INFINITY;
      let argSO = -1;
      let maxU = Number.NEGATIVE_INFINITY;
      let argU = -1;
      let sq = 0;
      for (let c = 0; c < cols; c++) {
        const v = z[base + c]!;
        const pc = p[base + c]!;
        sq += pc * pc;
        if (codes[c] === ABSENT) {
          if (argU < 0 || v > maxU) {
            maxU = v;
            argU = c;
          }
        } else if (argSO < 0 || v > maxSO) {
          maxSO = v;
          argSO = c;
        }
      }
      const pred = gamma > thresholdOf(maxSO, maxU) ? argU : argSO;
      const py = p[base + y]!;
      out.confidence[at] = p[base + pred]!;
      out.correct[at] = pred === y ? 1 : 0;
      out.labelGroup[at] = codes[y] === SEEN ? SEEN : ABSENT;
      out.nll[at] = py > TINY ? -Math.log(py) : -exactLogProb(z, base, cols, y, codes, gamma, invT);
      out.brier[at] = sq - 2 * py + 1;
    }
  });
  return out;
}

function mean(values: Float64Array, rows: readonly number[]): number {
  let s = 0;
  for (const r of rows) s += values[r]!;
  return s / rows.length;
}

/**
 * NLL, Brier and top-label ECE at (γ, T), overall and per label group, with the reliability table. One
 * streamed pass: each chunk goes through backend.softmax, and the per-row confidence, correctness, NLL
 * and Brier term are kept (not the probabilities).
 */
export async function confidenceMetrics(
  backend: Backend,
  passes: LogitPasses,
  groups: ClassGroups,
  options: MetricsOptions = {},
): Promise<ConfidenceMetrics> {
  const gamma = options.gamma ?? 0;
  const temperature = options.temperature ?? 1;
  checkGamma(gamma);
  checkTemperature(temperature);
  const numBins = options.bins ?? 15;
  checkOption(numBins, 'bins', 'the number of ECE bins', 'count');
  if (passes.rows === 0) {
    throw new InputError({
      code: 'shape',
      file: passes.name,
      problem: 'no rows to measure confidence metrics on',
      fix: 'pass a set with at least one row kept',
    });
  }
  const rr = await rowResults(backend, passes, groups, gamma, temperature);
  const all = Array.from({ length: passes.rows }, (_, r) => r);
  const calibration = equalWidthBins(rr.confidence, rr.correct, all, numBins);
  const part = (g: number): GroupMetrics | null => {
    const rows = all.filter((r) => rr.labelGroup[r] === g);
    if (rows.length === 0) return null;
    return {
      rows: rows.length,
      nll: mean(rr.nll, rows),
      brier: mean(rr.brier, rows),
      ece: equalWidthBins(rr.confidence, rr.correct, rows, numBins).ece,
    };
  };
  return {
    gamma,
    temperature,
    rows: passes.rows,
    nll: mean(rr.nll, all),
    brier: mean(rr.brier, all),
    ece: calibration.ece,
    calibration,
    equalMass: options.equalMass
      ? await equalMassBins(backend, rr.confidence, rr.correct, all, numBins)
      : null,
    byLabelGroup: { seen: part(SEEN), absent: part(ABSENT) },
    conventions: {
      nll: 'mean, natural log',
      brier: 'sum over classes of squared error, mean over rows',
      ece: 'top-label, L1, confidence = probability of the predicted class (tie rule)',
    },
  };
}
