import type { Backend } from '../backend/backend.ts';
import { InputError } from '../errors.ts';
import { type LabelledStats, requireLabels, thresholdOf } from './accuracy.ts';
import { ABSENT, SEEN } from './groups.ts';
import {
  type BinErrors,
  equalWidthBin,
  equalWidthEdges,
  errorsOfBins,
  type ReliabilityBin,
} from './metrics/calibration-error.ts';
import { checkGamma, checkOption } from './option-checks.ts';

export type { ReliabilityBin };

export type Binning = 'equal-width' | 'equal-mass';

/** A binning of the top-label confidences and its ECE, MCE and RMSCE (DESIGN.md §1.2). */
export interface CalibrationError extends BinErrors {
  binning: Binning;
  numBins: number;
  /** Of `ece` (MCE is the max norm, RMSCE the L2 norm of the same bin gaps). */
  norm: 'L1';
  /**
   * equal-width: bins (lo, hi] with lo = k/B, confidence 0 in the first bin and 1.0 in the last (the
   * torchmetrics convention). equal-mass: rows sorted by confidence (stable), rank r in bin ⌊r·B/N⌋;
   * lo/hi are the smallest and largest confidence in the bin (null-free: 0 for an empty bin).
   */
  bins: ReliabilityBin[];
}

export interface GroupMetrics extends BinErrors {
  rows: number;
  nll: number;
  brier: number;
}

/**
 * Confidence metrics at (γ, T) (DESIGN.md §1). Scores s = (z + γ·[c∈U]) / T, p = softmax(s); the
 * prediction follows the accuracy tie rule and its probability is the top-label confidence.
 */
export interface ConfidenceMetrics extends BinErrors {
  gamma: number;
  temperature: number;
  rows: number;
  /** Mean over rows of −log p_y (natural log). */
  nll: number;
  /** Mean over rows of Σ_c (p_c − y_c)² (multi-class Brier score, range 0–2). */
  brier: number;
  /** `ece`, `mce`, `rmsce`: top-label, over equal-width bins (the headline numbers; `calibration` has the bins). */
  calibration: CalibrationError;
  /** Present when asked for (`equalMass: true`). */
  equalMass: CalibrationError | null;
  /** The same metrics over rows labelled in S and in U (null for an empty group). */
  byLabelGroup: { seen: GroupMetrics | null; absent: GroupMetrics | null };
  conventions: {
    nll: 'mean, natural log';
    brier: 'sum over classes of squared error, mean over rows';
    ece: 'top-label, L1, confidence = probability of the predicted class (tie rule)';
    mce: 'top-label, max over non-empty bins of |accuracy - confidence|';
    rmsce: 'top-label, sqrt of the row-weighted mean of (accuracy - confidence)^2 over bins';
  };
}

export interface MetricsOptions {
  gamma?: number;
  /** Number of bins. Default 15. */
  bins?: number;
  /** Also compute equal-mass bins. Default false. */
  equalMass?: boolean;
}

/**
 * Row-level confidence results at γ, from the statistics alone (DESIGN.md §1: NLL and confidence at any γ
 * for the statistics' T): what the metrics, and bootstrap replicates of them, are computed from.
 */
export interface RowConfidence {
  rows: number;
  /** Probability of the predicted class (tie rule), 0–1. */
  confidence: Float64Array;
  correct: Uint8Array;
  /** SEEN or ABSENT: the group of the row's label. */
  labelGroup: Uint8Array;
  /** −log p_y. */
  nll: Float64Array;
  /** Σ_c (p_c − [c = y])². */
  brier: Float64Array;
}

/** Statistics with their temperature: rowConfidence works at any γ for that T. */
export interface TemperedStats extends LabelledStats {
  temperature: number;
}

/** log(e^a + e^b), exact when either is -Infinity. */
function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/**
 * Scores at γ from the row statistics: s_c = fround(z_c·invT) (+ γ·invT on U), the rounding the statistics
 * kernels use, so lse(γ) = log(e^lseSO + e^(lseU + γ·invT)), −log p_y = lse(γ) − s_y, the confidence is
 * e^(s_pred − lse(γ)), and Σ_c p_c² = e^(logSqSO + 2·(lseSO − lse(γ))) + e^(logSqU + 2·(lseU + γ·invT −
 * lse(γ))), the two groups' shares squared. All in log space: a row whose p_y underflows float32 still
 * gets its exact NLL.
 */
export function rowConfidence(data: TemperedStats, gamma: number): RowConfidence {
  const labels = requireLabels(data, 'the confidence metrics');
  const st = data.stats;
  const n = st.rows;
  const codes = data.groups.codes;
  const f = Math.fround;
  const invT = f(1 / data.temperature);
  const shift = gamma * invT;
  const out: RowConfidence = {
    rows: n,
    confidence: new Float64Array(n),
    correct: new Uint8Array(n),
    labelGroup: new Uint8Array(n),
    nll: new Float64Array(n),
    brier: new Float64Array(n),
  };
  for (let r = 0; r < n; r++) {
    const y = labels[r]!;
    const yInU = codes[y] === ABSENT;
    if (!yInU && codes[y] !== SEEN) {
      throw new InputError({
        code: 'labels',
        ...(data.source !== undefined && { file: data.source }),
        problem: `label ${y} is not in S or U`,
        fix: 'drop rows labelled in O first',
      });
    }
    const lse = logAddExp(st.lseSO[r]!, st.lseU[r]! + shift);
    const toU = gamma > thresholdOf(st.maxSO[r]!, st.maxU[r]!);
    const sPred = toU ? f(st.maxU[r]! * invT) + shift : f(st.maxSO[r]! * invT);
    const sy = f(st.label[r]! * invT) + (yInU ? shift : 0);
    const nll = lse - sy;
    const sumSq =
      Math.exp(st.logSqSO[r]! + 2 * (st.lseSO[r]! - lse)) +
      Math.exp(st.logSqU[r]! + 2 * (st.lseU[r]! + shift - lse));
    out.confidence[r] = Math.min(1, Math.exp(sPred - lse));
    out.correct[r] = (toU ? st.argU[r] : st.argSO[r]) === y ? 1 : 0;
    out.labelGroup[r] = yInU ? ABSENT : SEEN;
    out.nll[r] = nll;
    out.brier[r] = sumSq - 2 * Math.exp(-nll) + 1;
  }
  return out;
}

function summarise(rows: number[], conf: ArrayLike<number>, correct: Uint8Array): { c: number; a: number } {
  let c = 0;
  let a = 0;
  for (const r of rows) {
    c += conf[r]!;
    a += correct[r]!;
  }
  return rows.length ? { c: c / rows.length, a: a / rows.length } : { c: 0, a: 0 };
}

export function equalWidthBins(
  conf: ArrayLike<number>,
  correct: Uint8Array,
  rows: readonly number[],
  numBins: number,
): CalibrationError {
  const edges = equalWidthEdges(numBins);
  const members: number[][] = Array.from({ length: numBins }, () => []);
  for (const r of rows) members[equalWidthBin(conf[r]!, edges, numBins)]!.push(r);
  const bins = members.map((m, k) => {
    const s = summarise(m, conf, correct);
    return { lo: edges[k]!, hi: edges[k + 1]!, count: m.length, meanConfidence: s.c, accuracy: s.a };
  });
  return { ...errorsOfBins(bins), binning: 'equal-width', numBins, norm: 'L1', bins };
}

async function equalMassBins(
  backend: Backend,
  conf: Float64Array,
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
  return { ...errorsOfBins(bins), binning: 'equal-mass', numBins, norm: 'L1', bins };
}

function mean(values: Float64Array, rows: readonly number[]): number {
  let s = 0;
  for (const r of rows) s += values[r]!;
  return s / rows.length;
}

/**
 * NLL, Brier and top-label ECE at γ for the statistics' temperature, overall and per label group, with the
 * reliability table: from the per-row statistics, without touching the logits (`backend` sorts the
 * confidences for equal-mass bins).
 */
export async function confidenceMetrics(
  backend: Backend,
  data: TemperedStats,
  options: MetricsOptions = {},
): Promise<ConfidenceMetrics> {
  const gamma = options.gamma ?? 0;
  checkGamma(gamma);
  const numBins = options.bins ?? 15;
  checkOption(numBins, 'bins', 'the number of ECE bins', 'bins');
  const n = data.stats.rows;
  if (n === 0) {
    throw new InputError({
      code: 'shape',
      ...(data.source !== undefined && { file: data.source }),
      problem: 'no rows to measure confidence metrics on',
      fix: 'pass a set with at least one row kept',
    });
  }
  const rr = rowConfidence(data, gamma);
  const all = Array.from({ length: n }, (_, r) => r);
  const calibration = equalWidthBins(rr.confidence, rr.correct, all, numBins);
  const part = (g: number): GroupMetrics | null => {
    const rows = all.filter((r) => rr.labelGroup[r] === g);
    if (rows.length === 0) return null;
    const { ece, mce, rmsce } = equalWidthBins(rr.confidence, rr.correct, rows, numBins);
    return { rows: rows.length, nll: mean(rr.nll, rows), brier: mean(rr.brier, rows), ece, mce, rmsce };
  };
  return {
    gamma,
    temperature: data.temperature,
    rows: n,
    nll: mean(rr.nll, all),
    brier: mean(rr.brier, all),
    ece: calibration.ece,
    mce: calibration.mce,
    rmsce: calibration.rmsce,
    calibration,
    equalMass: options.equalMass
      ? await equalMassBins(backend, rr.confidence, rr.correct, all, numBins)
      : null,
    byLabelGroup: { seen: part(SEEN), absent: part(ABSENT) },
    conventions: {
      nll: 'mean, natural log',
      brier: 'sum over classes of squared error, mean over rows',
      ece: 'top-label, L1, confidence = probability of the predicted class (tie rule)',
      mce: 'top-label, max over non-empty bins of |accuracy - confidence|',
      rmsce: 'top-label, sqrt of the row-weighted mean of (accuracy - confidence)^2 over bins',
    },
  };
}
