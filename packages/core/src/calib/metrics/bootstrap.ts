import type { Backend } from '../../backend/backend.ts';
import { harmonicMean, percent, type RowOutcomes } from '../accuracy.ts';
import { beyond, sortThresholds } from '../curve.ts';
import { SEEN } from '../groups.ts';
import type { AlgTerms } from '../methods/alg.ts';
import { checkGamma, checkOption } from '../option-checks.ts';
import { equalWidthBin, equalWidthEdges, errorsOfTotals } from './calibration-error.ts';
import { Xoshiro128 } from './random.ts';

/** A 95% percentile interval [2.5th, 97.5th], or [NaN, NaN] when no replicate defines the metric. */
export type Interval = [number, number];

/**
 * Bootstrap intervals (DESIGN.md §1.2) under the JSON name "ci": per replicate the evaluated set's N
 * rows are resampled with replacement (and the fitting set's rows for alg), and every metric is
 * recomputed from the per-row columns the one pass kept: the logits are not read again.
 */
export interface BootstrapIntervals {
  level: 0.95;
  replicates: number;
  seed: number;
  /** The operating point the metrics are taken at (T null when the input did not say). */
  at: { gamma: number; temperature: number | null };
  /** At the reported operating point γ; in percent. */
  'Y/Y': Interval;
  'S/Y': Interval;
  'U/Y': Interval;
  H: Interval;
  ausuc: Interval;
  /** At the operating point (γ, T), when its per-row NLL and confidences were given. */
  nll?: Interval;
  ece?: Interval;
  /**
   * Each equal-width bin's accuracy (0–1) at the operating point, for a band on the reliability diagram;
   * a replicate with no row in a bin leaves that bin out.
   */
  reliability?: { numBins: number; accuracy: Interval[] };
  /** γ of each method, re-picked on each replicate's own curve (alg re-fitted on its fitting rows). */
  gamma: { alg?: Interval; oracle?: Interval; hmean?: Interval; constrained?: Interval };
  /**
   * Replicates that drew no row of a label group a metric needs (so it is undefined there), by metric;
   * they are left out of that metric's interval. Empty when every replicate defines every metric.
   */
  undefinedReplicates: Record<string, number>;
  conventions: {
    resampling: 'N rows of N with replacement per replicate; the fitting set resampled likewise for alg';
    interval: 'percentiles 2.5 and 97.5 of the replicates, linear interpolation';
    random: 'xoshiro128**, replicate r seeded from (seed, r)';
  };
}

export interface BootstrapOptions {
  /** B, the number of replicates. */
  replicates: number;
  /** Default 0. Any seed gives the same intervals on every backend and thread count. */
  seed?: number;
}

/** What each replicate recomputes, as per-row columns of the evaluated set. */
export interface BootstrapInput {
  /** Thresholds, label groups and correctness of every row (rowOutcomes of the statistics). */
  outcomes: RowOutcomes;
  /** The reported operating point: the accuracies are taken at this γ. */
  gamma: number;
  /** Its T, for the record (the point rows are already at it). */
  temperature?: number;
  /**
   * Per-row NLL, top-label confidence and correctness at the operating point (γ, T), row-aligned with
   * the outcomes (operatingPoints(data).rowsAt(γ) for statistics at T): NLL and ECE.
   */
  point?: { rows: number; confidence: ArrayLike<number>; correct: Uint8Array; nll: ArrayLike<number> } | null;
  /** ECE bins. Default 15. */
  bins?: number;
  /** The γ picks to repeat on every replicate's curve; `constrained` is its δ in points. */
  picks?: { oracle?: boolean; hmean?: boolean; constrained?: number | null };
  /** The fitting set's per-row ALG terms, to re-fit alg on each resample of it. */
  alg?: AlgTerms | null;
}

const METRICS = [
  'Y/Y',
  'S/Y',
  'U/Y',
  'H',
  'ausuc',
  'nll',
  'ece',
  'gamma.alg',
  'gamma.oracle',
  'gamma.hmean',
  'gamma.constrained',
] as const;
export type BootstrapMetric = (typeof METRICS)[number];
const M = Object.fromEntries(METRICS.map((m, i) => [m, i])) as Record<BootstrapMetric, number>;

/** Per-position flags of the rows in threshold order. */
const LABEL_SEEN = 1;
const START_CORRECT = 2;
const CORRECT_IF_U = 4;
const CORRECT_IF_SO = 8;
const GROUP_START = 16;
const AT_POINT_IN_U = 32;

/**
 * The evaluated set in ascending threshold order (t = −∞ first, then the finite thresholds, then +∞),
 * the order in which rows cross into U as γ grows, with the flags and columns each replicate reads.
 */
interface Ordered {
  rows: number;
  /** The row at each position. */
  order: Uint32Array;
  /** Positions [finiteStart, finiteEnd) hold the finite thresholds. */
  finiteStart: number;
  finiteEnd: number;
  flags: Uint8Array;
  tau: Float64Array;
  nll: Float64Array | null;
  confidence: Float64Array | null;
  pointCorrect: Uint8Array | null;
  bin: Uint16Array | null;
}

async function order(backend: Backend, input: BootstrapInput, numBins: number): Promise<Ordered> {
  const o = input.outcomes;
  const n = o.rows;
  const low: number[] = [];
  const high: number[] = [];
  const finite = new Uint32Array(n);
  let finiteCount = 0;
  for (let r = 0; r < n; r++) {
    const t = o.threshold[r]!;
    if (t === Number.NEGATIVE_INFINITY) low.push(r);
    else if (t === Number.POSITIVE_INFINITY || Number.isNaN(t)) high.push(r);
    else finite[finiteCount++] = r;
  }
  const rows = new Uint32Array(n);
  rows.set(low);
  rows.set(await sortThresholds(backend, o.threshold, finite.subarray(0, finiteCount)), low.length);
  rows.set(high, low.length + finiteCount);
  const point = input.point ?? null;
  const edges = equalWidthEdges(numBins);
  const out: Ordered = {
    rows: n,
    order: rows,
    finiteStart: low.length,
    finiteEnd: low.length + finiteCount,
    flags: new Uint8Array(n),
    tau: new Float64Array(n),
    nll: point ? new Float64Array(n) : null,
    confidence: point ? new Float64Array(n) : null,
    pointCorrect: point ? new Uint8Array(n) : null,
    bin: point ? new Uint16Array(n) : null,
  };
  const { flags, tau, finiteStart, finiteEnd } = out;
  const gamma = input.gamma;
  for (let j = 0; j < n; j++) {
    const r = rows[j]!;
    const t = o.threshold[r]!;
    const cU = o.correctIfU[r]!;
    const cSO = o.correctIfSO[r]!;
    let f = 0;
    if (o.labelGroup[r] === SEEN) f |= LABEL_SEEN;
    if (t === Number.NEGATIVE_INFINITY ? cU : cSO) f |= START_CORRECT;
    if (cU) f |= CORRECT_IF_U;
    if (cSO) f |= CORRECT_IF_SO;
    if (j >= finiteStart && j < finiteEnd && (j === finiteStart || tau[j - 1] !== t)) f |= GROUP_START;
    if (gamma > t) f |= AT_POINT_IN_U;
    flags[j] = f;
    tau[j] = t;
  }
  if (point) {
    const { nll, confidence, pointCorrect, bin } = out;
    for (let j = 0; j < n; j++) {
      const r = rows[j]!;
      const c = point.confidence[r]!;
      nll![j] = point.nll[r]!;
      confidence![j] = c;
      pointCorrect![j] = point.correct[r]!;
      bin![j] = equalWidthBin(c, edges, numBins);
    }
  }
  return out;
}

/**
 * The metrics of the rows weighted by w (counts, by position in threshold order): one pass for the
 * totals at the operating point and one sweep along the thresholds for the curve, AUSUC and the picks,
 * with the engine's own percent and harmonic-mean formulas, so weights of 1 give the engine's values.
 */
function replicate(
  d: Ordered,
  input: BootstrapInput,
  numBins: number,
  w: Uint16Array | Int32Array,
  out: Float64Array,
  at: number,
  binAccuracy: Float64Array | null,
): void {
  const n = d.rows;
  const { flags } = d;
  let seenRows = 0;
  let absentRows = 0;
  let seenStart = 0;
  let absentStart = 0;
  let seenAtPoint = 0;
  let absentAtPoint = 0;
  let nllSum = 0;
  const binWeight = new Float64Array(numBins);
  const binConfidence = new Float64Array(numBins);
  const binCorrect = new Float64Array(numBins);
  for (let j = 0; j < n; j++) {
    const wj = w[j]!;
    if (wj === 0) continue;
    const f = flags[j]!;
    const start = f & START_CORRECT ? wj : 0;
    const atPoint = f & (f & AT_POINT_IN_U ? CORRECT_IF_U : CORRECT_IF_SO) ? wj : 0;
    if (f & LABEL_SEEN) {
      seenRows += wj;
      seenStart += start;
      seenAtPoint += atPoint;
    } else {
      absentRows += wj;
      absentStart += start;
      absentAtPoint += atPoint;
    }
    if (d.nll) {
      nllSum += wj * d.nll[j]!;
      const b = d.bin![j]!;
      binWeight[b]! += wj;
      binConfidence[b]! += wj * d.confidence![j]!;
      binCorrect[b]! += wj * d.pointCorrect![j]!;
    }
  }
  const sy = percent(seenAtPoint, seenRows);
  const uy = percent(absentAtPoint, absentRows);
  out[at + M['Y/Y']] = percent(seenAtPoint + absentAtPoint, seenRows + absentRows);
  out[at + M['S/Y']] = sy;
  out[at + M['U/Y']] = uy;
  out[at + M.H] = harmonicMean(sy, uy);
  out[at + M.nll] = d.nll ? nllSum / (seenRows + absentRows) : Number.NaN;
  out[at + M.ece] = d.nll ? errorsOfTotals(binWeight, binConfidence, binCorrect).ece : Number.NaN;
  if (binAccuracy) {
    const base = (at / METRICS.length) * numBins;
    for (let b = 0; b < numBins; b++) {
      binAccuracy[base + b] = binWeight[b]! > 0 ? binCorrect[b]! / binWeight[b]! : Number.NaN;
    }
  }

  const picks = input.picks ?? {};
  const both = seenRows > 0 && absentRows > 0;
  const delta = picks.constrained ?? null;
  sweep(d, w, { seenRows, absentRows, seenStart, absentStart }, delta ?? 0, out, at);
  if (!both) out[at + M.ausuc] = Number.NaN;
  if (!both || !picks.oracle) out[at + M['gamma.oracle']] = Number.NaN;
  if (!both || !picks.hmean) out[at + M['gamma.hmean']] = Number.NaN;
  if (!both || delta === null) out[at + M['gamma.constrained']] = Number.NaN;
}

/** The γ of the curve point between two replicate thresholds (NaN: no threshold on that side). */
function pointGamma(lo: number, hi: number): number {
  if (Number.isNaN(lo)) return Number.isNaN(hi) ? 0 : beyond(hi, -1);
  return Number.isNaN(hi) ? beyond(lo, 1) : (lo + hi) / 2;
}

/**
 * The walk along the replicate's curve: its points are the intervals between the distinct thresholds
 * it drew (groups of weight 0 are not thresholds of the replicate). Each pick keeps the first point of
 * highest score, as bestPoint does; a point's γ is only worked out for the winners. Written without
 * closures so the running state stays in registers: this loop runs B·N times.
 */
function sweep(
  d: Ordered,
  w: Uint16Array | Int32Array,
  totals: { seenRows: number; absentRows: number; seenStart: number; absentStart: number },
  delta: number,
  out: Float64Array,
  at: number,
): void {
  const { flags, tau: taus, finiteEnd } = d;
  const { seenRows, absentRows } = totals;
  let s = totals.seenStart;
  let a = totals.absentStart;
  let lastTau = Number.NaN;
  let area = 0;
  let previousS = Number.NaN;
  let previousA = 0;
  let seenAtZero = Number.NaN;
  let oracleBest = Number.NEGATIVE_INFINITY;
  let oracleLo = Number.NaN;
  let oracleHi = Number.NaN;
  let hmeanBest = Number.NEGATIVE_INFINITY;
  let hmeanLo = Number.NaN;
  let hmeanHi = Number.NaN;
  let hmeanAny = false;
  let constrainedBest = Number.NEGATIVE_INFINITY;
  let constrainedLo = Number.NaN;
  let constrainedHi = Number.NaN;
  for (let j = d.finiteStart; ; ) {
    // The next threshold the replicate drew, and what crossing it changes; NaN past the last one.
    let tau = Number.NaN;
    let ds = 0;
    let da = 0;
    const end = j >= finiteEnd;
    if (!end) {
      tau = taus[j]!;
      let weight = 0;
      do {
        const wj = w[j]!;
        if (wj) {
          const f = flags[j]!;
          const change = ((f & CORRECT_IF_U) >> 2) - ((f & CORRECT_IF_SO) >> 3);
          weight += wj;
          if (f & LABEL_SEEN) ds += wj * change;
          else da += wj * change;
        }
        j++;
      } while (j < finiteEnd && !(flags[j]! & GROUP_START));
      if (weight === 0) continue;
    }
    // The point on the interval (lastTau, tau), in state (s, a).
    if (!Number.isNaN(previousS)) area += (previousS - s) * (previousA + a);
    previousS = s;
    previousA = a;
    const overall = s + a;
    if (overall > oracleBest) {
      oracleBest = overall;
      oracleLo = lastTau;
      oracleHi = tau;
    }
    const seen = percent(s, seenRows);
    const h = harmonicMean(seen, percent(a, absentRows));
    if (!hmeanAny || h > hmeanBest) {
      hmeanAny = true;
      hmeanBest = h;
      hmeanLo = lastTau;
      hmeanHi = tau;
    }
    // Points below γ = 0 keep at least the seen accuracy at 0, and the last of them has exactly it.
    const belowZero = Number.isNaN(lastTau) || lastTau < 0;
    if (belowZero) seenAtZero = seen;
    if ((belowZero || seen >= seenAtZero - delta) && overall > constrainedBest) {
      constrainedBest = overall;
      constrainedLo = lastTau;
      constrainedHi = tau;
    }
    if (end) break;
    s += ds;
    a += da;
    lastTau = tau;
  }
  out[at + M.ausuc] = area / 2 / (seenRows * absentRows);
  out[at + M['gamma.oracle']] = pointGamma(oracleLo, oracleHi);
  out[at + M['gamma.hmean']] = pointGamma(hmeanLo, hmeanHi);
  out[at + M['gamma.constrained']] = pointGamma(constrainedLo, constrainedHi);
}

/**
 * Replicate r's weights: N positions drawn with replacement from its own stream, counted in 16 bits
 * (a count past 65535 needs that many of N draws on one row: then the replicate is redrawn in 32).
 */
function draw(seed: number, r: number, w16: Uint16Array): { rng: Xoshiro128; w: Uint16Array | Int32Array } {
  const n = w16.length;
  let rng = new Xoshiro128(seed, r);
  w16.fill(0);
  if (rng.countDraws(n, n, w16)) return { rng, w: w16 };
  rng = new Xoshiro128(seed, r);
  const w32 = new Int32Array(n);
  rng.countDraws(n, n, w32);
  return { rng, w: w32 };
}

/** γ of alg on one resample of the fitting set's rows: NaN when it drew no row labelled in S. */
function resampledAlg(t: AlgTerms, rng: Xoshiro128): number {
  let a = 0;
  let b = 0;
  let n = 0;
  for (let i = 0; i < t.rows; i++) {
    const j = rng.below(t.rows);
    if (!t.labelledSeen[j]) continue;
    a += t.seenNonLabel[j]!;
    b += t.absent[j]!;
    n++;
  }
  return n > 0 ? a / n - b / n : Number.NaN;
}

/** The q-quantile of ascending `sorted` by linear interpolation (NumPy's default). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Bootstrap intervals of the evaluated set's metrics (DESIGN.md §1.2): B replicates, each drawing the
 * N rows with replacement from a stream seeded by (seed, replicate), every metric recomputed from the
 * per-row columns in O(N) (one sort of the thresholds is shared by all replicates), then the 2.5 and
 * 97.5 percentiles. Reproducible: the same seed gives the same intervals on every run and backend.
 */
export async function bootstrapIntervals(
  backend: Backend,
  input: BootstrapInput,
  options: BootstrapOptions,
): Promise<BootstrapIntervals> {
  const B = options.replicates;
  checkOption(B, 'bootstrap', 'the number of bootstrap replicates', 'replicates');
  const seed = options.seed ?? 0;
  checkOption(seed, 'seed', 'the bootstrap seed', 'seed');
  checkGamma(input.gamma);
  const numBins = input.bins ?? 15;
  checkOption(numBins, 'bins', 'the number of ECE bins', 'bins');
  if (input.point && input.point.rows !== input.outcomes.rows) {
    throw new RangeError(`bootstrap: ${input.point.rows} point rows for ${input.outcomes.rows} outcomes`);
  }
  const d = await order(backend, input, numBins);
  const values = new Float64Array(B * METRICS.length);
  const binAccuracy = input.point ? new Float64Array(B * numBins) : null;
  const w16 = new Uint16Array(d.rows);
  for (let r = 0; r < B; r++) {
    const at = r * METRICS.length;
    const { rng, w } = draw(seed, r, w16);
    replicate(d, input, numBins, w, values, at, binAccuracy);
    values[at + M['gamma.alg']] = input.alg ? resampledAlg(input.alg, rng) : Number.NaN;
  }
  const undefinedReplicates: Record<string, number> = {};
  const percentiles = (from: Float64Array, offset: number, stride: number, name: string | null): Interval => {
    const v = new Float64Array(B);
    let k = 0;
    for (let r = 0; r < B; r++) {
      const x = from[r * stride + offset]!;
      if (!Number.isNaN(x)) v[k++] = x;
    }
    if (k < B && name) undefinedReplicates[name] = B - k;
    const sorted = v.subarray(0, k).sort();
    return [quantile(sorted, 0.025), quantile(sorted, 0.975)];
  };
  const interval = (m: BootstrapMetric) => percentiles(values, M[m], METRICS.length, m);
  const picks = input.picks ?? {};
  const gamma: BootstrapIntervals['gamma'] = {};
  if (input.alg) gamma.alg = interval('gamma.alg');
  if (picks.oracle) gamma.oracle = interval('gamma.oracle');
  if (picks.hmean) gamma.hmean = interval('gamma.hmean');
  if (picks.constrained !== undefined && picks.constrained !== null) {
    gamma.constrained = interval('gamma.constrained');
  }
  const result: BootstrapIntervals = {
    level: 0.95,
    replicates: B,
    seed,
    at: { gamma: input.gamma, temperature: input.temperature ?? null },
    'Y/Y': interval('Y/Y'),
    'S/Y': interval('S/Y'),
    'U/Y': interval('U/Y'),
    H: interval('H'),
    ausuc: interval('ausuc'),
    ...(input.point ? { nll: interval('nll'), ece: interval('ece') } : {}),
    ...(binAccuracy
      ? {
          reliability: {
            numBins,
            accuracy: Array.from({ length: numBins }, (_, b) => percentiles(binAccuracy, b, numBins, null)),
          },
        }
      : {}),
    gamma,
    undefinedReplicates,
    conventions: {
      resampling: 'N rows of N with replacement per replicate; the fitting set resampled likewise for alg',
      interval: 'percentiles 2.5 and 97.5 of the replicates, linear interpolation',
      random: 'xoshiro128**, replicate r seeded from (seed, r)',
    },
  };
  return result;
}

/**
 * The bootstrap's per-replicate metrics for given weights, one per row of the evaluated set (a count of
 * how often a replicate drew it): all ones gives the metrics of the set itself. For tests and tools that
 * check the resampling arithmetic against a direct computation.
 */
export async function weightedMetrics(
  backend: Backend,
  input: BootstrapInput,
  rowWeights: Int32Array,
): Promise<Record<BootstrapMetric, number>> {
  const numBins = input.bins ?? 15;
  const d = await order(backend, input, numBins);
  const w = new Int32Array(d.rows);
  for (let j = 0; j < d.rows; j++) w[j] = rowWeights[d.order[j]!]!;
  const out = new Float64Array(METRICS.length);
  replicate(d, input, numBins, w, out, 0, null);
  return Object.fromEntries(METRICS.map((m, i) => [m, out[i]!])) as Record<BootstrapMetric, number>;
}
