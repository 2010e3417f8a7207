import type { Backend } from '../../backend/backend.ts';
import { ParallelCpu } from '../../cpu/parallel.ts';
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
   * The same metrics on the whole set (every row once): what each interval is around. The γ picks are
   * the methods' own on the set's curve (alg: on the whole fitting set).
   */
  estimate: Partial<Record<'Y/Y' | 'S/Y' | 'U/Y' | 'H' | 'ausuc' | 'nll' | 'ece', number>> & {
    gamma: Partial<Record<'alg' | 'oracle' | 'hmean' | 'constrained', number>>;
  };
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
  /** Called as replicates finish: replicates done of the total. */
  onProgress?: (done: number, total: number) => void;
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

type TypedCtor<T> = {
  new (length: number): T;
  new (buffer: SharedArrayBuffer): T;
  BYTES_PER_ELEMENT: number;
};

/** An array the CPU pool's workers can read without a copy (SharedArrayBuffer), where there is one. */
function sharedOrPlain<T>(Ctor: TypedCtor<T>, n: number): T {
  if (typeof SharedArrayBuffer === 'undefined') return new Ctor(n);
  return new Ctor(new SharedArrayBuffer(Math.max(n * Ctor.BYTES_PER_ELEMENT, 8)));
}

/** Per-row codes of the totals pass: label seen, right at the lowest curve point, right at the operating point. */
const LABEL_SEEN = 1;
const START_CORRECT = 2;
const POINT_CORRECT = 4;
/** Per-row flags of the sweep: label seen, first row of its threshold group. */
const SWEEP_SEEN = 1;
const GROUP_START = 2;

/**
 * The evaluated set in ascending threshold order (t = −∞ first, then the finite thresholds, then +∞),
 * the order in which rows cross into U as γ grows, packed for the two loops every replicate runs.
 */
interface Ordered {
  rows: number;
  /** The row at each position. */
  order: Uint32Array;
  /** Positions [finiteStart, finiteEnd) hold the finite thresholds. */
  finiteStart: number;
  finiteEnd: number;
  /** LABEL_SEEN | START_CORRECT | POINT_CORRECT: what a row adds to the totals. */
  code: Uint8Array;
  /** SWEEP_SEEN | GROUP_START, and correctIfU − correctIfSO: what crossing the row's threshold changes. */
  sweep: Uint8Array;
  change: Int8Array;
  tau: Float64Array;
  /** At the operating point: −log p_y, the confidence, and its bin·2 + correctness. */
  nll: Float64Array | null;
  confidence: Float32Array | null;
  binKey: Uint16Array | null;
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
  const rows = sharedOrPlain(Uint32Array, n);
  rows.set(low);
  rows.set(await sortThresholds(backend, o.threshold, finite.subarray(0, finiteCount)), low.length);
  rows.set(high, low.length + finiteCount);
  const point = input.point ?? null;
  const out: Ordered = {
    rows: n,
    order: rows,
    finiteStart: low.length,
    finiteEnd: low.length + finiteCount,
    code: sharedOrPlain(Uint8Array, n),
    sweep: sharedOrPlain(Uint8Array, n),
    change: sharedOrPlain(Int8Array, n),
    tau: sharedOrPlain(Float64Array, n),
    nll: point ? sharedOrPlain(Float64Array, n) : null,
    confidence: point ? sharedOrPlain(Float32Array, n) : null,
    binKey: point ? sharedOrPlain(Uint16Array, n) : null,
  };
  const { code, sweep, change, tau, finiteStart, finiteEnd } = out;
  const gamma = input.gamma;
  for (let j = 0; j < n; j++) {
    const r = rows[j]!;
    const t = o.threshold[r]!;
    const cU = o.correctIfU[r]!;
    const cSO = o.correctIfSO[r]!;
    const seen = o.labelGroup[r] === SEEN ? 1 : 0;
    code[j] =
      seen * LABEL_SEEN +
      (t === Number.NEGATIVE_INFINITY ? cU : cSO) * START_CORRECT +
      (gamma > t ? cU : cSO) * POINT_CORRECT;
    const first = j >= finiteStart && j < finiteEnd && (j === finiteStart || tau[j - 1] !== t);
    sweep[j] = seen * SWEEP_SEEN + (first ? GROUP_START : 0);
    change[j] = cU - cSO;
    tau[j] = t;
  }
  if (point) {
    const edges = equalWidthEdges(numBins);
    const { nll, confidence, binKey } = out;
    for (let j = 0; j < n; j++) {
      const r = rows[j]!;
      const c = point.confidence[r]!;
      nll![j] = point.nll[r]!;
      confidence![j] = c;
      binKey![j] = equalWidthBin(c, edges, numBins) * 2 + point.correct[r]!;
    }
  }
  return out;
}

/** Per-replicate work space, made once: the totals by code and by bin key. */
interface Scratch {
  byCode: Float64Array;
  byKey: Float64Array;
  confidenceByKey: Float64Array;
  binWeight: Float64Array;
  binConfidence: Float64Array;
  binCorrect: Float64Array;
}

function scratchFor(numBins: number): Scratch {
  return {
    byCode: new Float64Array(8),
    byKey: new Float64Array(2 * numBins),
    confidenceByKey: new Float64Array(2 * numBins),
    binWeight: new Float64Array(numBins),
    binConfidence: new Float64Array(numBins),
    binCorrect: new Float64Array(numBins),
  };
}

/**
 * The metrics of the rows weighted by w (counts, by position in threshold order): one pass for the
 * totals at the operating point and one sweep along the thresholds for the curve, AUSUC and the picks,
 * with the engine's own percent and harmonic-mean formulas, so weights of 1 give the engine's values.
 */
function replicate(
  d: Ordered,
  picks: NonNullable<BootstrapInput['picks']>,
  numBins: number,
  w: Weights,
  out: Float64Array,
  at: number,
  binAccuracy: Float64Array | null,
  scratch: Scratch,
): void {
  const n = d.rows;
  const { code, nll, confidence, binKey } = d;
  const { byCode, byKey, confidenceByKey, binWeight, binConfidence, binCorrect } = scratch;
  byCode.fill(0);
  // Branch-free: a row drawn 0 times adds 0 (a third of the rows, in no order a branch could predict).
  for (let j = 0; j < n; j++) byCode[code[j]!]! += w[j]!;
  let nllSum = 0;
  if (nll) {
    byKey.fill(0);
    confidenceByKey.fill(0);
    for (let j = 0; j < n; j++) {
      const wj = w[j]!;
      const k = binKey![j]!;
      nllSum += wj * nll[j]!;
      byKey[k]! += wj;
      confidenceByKey[k]! += wj * confidence![j]!;
    }
    for (let b = 0; b < numBins; b++) {
      binWeight[b] = byKey[2 * b]! + byKey[2 * b + 1]!;
      binCorrect[b] = byKey[2 * b + 1]!;
      binConfidence[b] = confidenceByKey[2 * b]! + confidenceByKey[2 * b + 1]!;
    }
  }
  let seenRows = 0;
  let absentRows = 0;
  let seenStart = 0;
  let absentStart = 0;
  let seenAtPoint = 0;
  let absentAtPoint = 0;
  for (let c = 0; c < 8; c++) {
    const v = byCode[c]!;
    const start = c & START_CORRECT ? v : 0;
    const atPoint = c & POINT_CORRECT ? v : 0;
    if (c & LABEL_SEEN) {
      seenRows += v;
      seenStart += start;
      seenAtPoint += atPoint;
    } else {
      absentRows += v;
      absentStart += start;
      absentAtPoint += atPoint;
    }
  }
  const sy = percent(seenAtPoint, seenRows);
  const uy = percent(absentAtPoint, absentRows);
  out[at + M['Y/Y']] = percent(seenAtPoint + absentAtPoint, seenRows + absentRows);
  out[at + M['S/Y']] = sy;
  out[at + M['U/Y']] = uy;
  out[at + M.H] = harmonicMean(sy, uy);
  out[at + M.nll] = nll ? nllSum / (seenRows + absentRows) : Number.NaN;
  out[at + M.ece] = nll ? errorsOfTotals(binWeight, binConfidence, binCorrect).ece : Number.NaN;
  if (binAccuracy) {
    const base = (at / METRICS.length) * numBins;
    for (let b = 0; b < numBins; b++) {
      binAccuracy[base + b] = binWeight[b]! > 0 ? binCorrect[b]! / binWeight[b]! : Number.NaN;
    }
  }

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
  w: Weights,
  totals: { seenRows: number; absentRows: number; seenStart: number; absentStart: number },
  delta: number,
  out: Float64Array,
  at: number,
): void {
  const { sweep: flags, change, tau: taus, finiteEnd } = d;
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
        const moved = wj * change[j]!;
        const seen = flags[j]! & SWEEP_SEEN;
        weight += wj;
        ds += seen * moved;
        da += (1 - seen) * moved;
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

/** How often a replicate drew each position: bytes (a cache-friendly 1 MB per million rows), or wider. */
type Weights = Uint8Array | Int32Array;

/**
 * Replicate r's weights: N positions drawn with replacement from its own stream, counted in bytes. A
 * count past 255 needs that many of N draws on one row (never seen in practice: a row is drawn about
 * once): then the replicate is redrawn, from the same stream, into 32-bit counts.
 */
function draw(seed: number, r: number, w8: Uint8Array): { rng: Xoshiro128; w: Weights } {
  const n = w8.length;
  let rng = new Xoshiro128(seed, r);
  w8.fill(0);
  if (rng.countDraws(n, n, w8)) return { rng, w: w8 };
  rng = new Xoshiro128(seed, r);
  const w32 = new Int32Array(n);
  rng.countDraws(n, n, w32);
  return { rng, w: w32 };
}

/** What the workers need to compute replicates [r0, r1): plain data and shared arrays only. */
export interface ReplicateArgs {
  d: Ordered;
  picks: NonNullable<BootstrapInput['picks']>;
  alg: AlgTerms | null;
  numBins: number;
  seed: number;
  /** The replicate number of item 0 (its stream is (seed, first + i)). */
  first: number;
  /** METRICS.length values per item, and numBins bin accuracies per item (or null). */
  values: Float64Array;
  binAccuracy: Float64Array | null;
}

/**
 * Items [i0, i1) of a step of replicates: a row kernel of the CPU pool (cpu/row-kernels.ts), run on
 * worker threads or on this thread. Replicate r depends on (seed, r) alone, so any split gives the same
 * values.
 */
export function bootstrapReplicates(a: ReplicateArgs, i0: number, i1: number): void {
  const w8 = new Uint8Array(a.d.rows);
  const scratch = scratchFor(a.numBins);
  for (let i = i0; i < i1; i++) {
    const at = i * METRICS.length;
    const { rng, w } = draw(a.seed, a.first + i, w8);
    replicate(a.d, a.picks, a.numBins, w, a.values, at, a.binAccuracy, scratch);
    a.values[at + M['gamma.alg']] = a.alg ? algOver(a.alg, rng) : Number.NaN;
  }
}

/** The ALG terms in shared memory, for the workers. */
function sharedAlg(t: AlgTerms): AlgTerms {
  const copy = (x: Float64Array) => {
    const y = sharedOrPlain(Float64Array, x.length);
    y.set(x);
    return y;
  };
  const seen = sharedOrPlain(Uint8Array, t.rows);
  seen.set(t.labelledSeen);
  return { rows: t.rows, labelledSeen: seen, seenNonLabel: copy(t.seenNonLabel), absent: copy(t.absent) };
}

/** The CPU backend's worker pool, if the backend has one. */
function poolOf(backend: Backend): ParallelCpu | null {
  const parallel = (backend as { parallel?: unknown }).parallel;
  return parallel instanceof ParallelCpu ? parallel : null;
}

/** Replicates per progress report: a few dozen reports over a long bootstrap. */
const REPLICATES_PER_STEP = 32;

/**
 * γ of alg over the fitting set's rows, every row once, or (with `rng`) over one resample of them: NaN
 * when no row labelled in S is there.
 */
function algOver(t: AlgTerms, rng: Xoshiro128 | null): number {
  let a = 0;
  let b = 0;
  let n = 0;
  for (let i = 0; i < t.rows; i++) {
    const j = rng ? rng.below(t.rows) : i;
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
  const picks = input.picks ?? {};
  const args: ReplicateArgs = {
    d,
    picks,
    alg: input.alg ? sharedAlg(input.alg) : null,
    numBins,
    seed,
    first: 0,
    values: sharedOrPlain(Float64Array, B * METRICS.length),
    binAccuracy: input.point ? sharedOrPlain(Float64Array, B * numBins) : null,
  };
  const { values, binAccuracy } = args;
  const pool = poolOf(backend);
  // Steps of replicates over the workers (or on this thread), with progress after each.
  for (let r0 = 0; r0 < B; r0 += REPLICATES_PER_STEP) {
    const r1 = Math.min(B, r0 + REPLICATES_PER_STEP);
    const step: ReplicateArgs = {
      ...args,
      first: r0,
      values: values.subarray(r0 * METRICS.length, r1 * METRICS.length),
      binAccuracy: binAccuracy?.subarray(r0 * numBins, r1 * numBins) ?? null,
    };
    if (!(pool && (await pool.runItems('bootstrapReplicates', step, r1 - r0, (r1 - r0) * d.rows)))) {
      bootstrapReplicates(step, 0, r1 - r0);
    }
    options.onProgress?.(r1, B);
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
  const gamma: BootstrapIntervals['gamma'] = {};
  if (input.alg) gamma.alg = interval('gamma.alg');
  if (picks.oracle) gamma.oracle = interval('gamma.oracle');
  if (picks.hmean) gamma.hmean = interval('gamma.hmean');
  if (picks.constrained !== undefined && picks.constrained !== null) {
    gamma.constrained = interval('gamma.constrained');
  }
  // The estimates: every row once, through the replicates' own arithmetic.
  const once = new Float64Array(METRICS.length);
  replicate(d, picks, numBins, new Uint8Array(d.rows).fill(1), once, 0, null, scratchFor(numBins));
  if (input.alg) once[M['gamma.alg']] = algOver(input.alg, null);
  const estimate: BootstrapIntervals['estimate'] = { gamma: {} };
  for (const m of METRICS) {
    const value = once[M[m]]!;
    if (m.startsWith('gamma.')) {
      const method = m.slice(6) as keyof typeof gamma;
      if (gamma[method]) estimate.gamma[method] = value;
    } else if (input.point || (m !== 'nll' && m !== 'ece')) {
      estimate[m as Exclude<BootstrapMetric, `gamma.${string}`>] = value;
    }
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
    estimate,
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
  replicate(d, input.picks ?? {}, numBins, w, out, 0, null, scratchFor(numBins));
  return Object.fromEntries(METRICS.map((m, i) => [m, out[i]!])) as Record<BootstrapMetric, number>;
}
