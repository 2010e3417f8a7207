import type { Backend } from '../backend/backend.ts';
import { InputError } from '../errors.ts';
import { type LabelledStats, percent, type RowOutcomes, rowOutcomes } from './accuracy.ts';
import { SEEN } from './groups.ts';

/** One point of the γ curve; accuracies in percent. */
export interface CurvePoint {
  gamma: number;
  /** Acc S/Y. */
  seen: number;
  /** Acc U/Y. */
  unseen: number;
  /** Acc Y/Y. */
  overall: number;
}

/**
 * The exact γ curve of DESIGN.md §1. With the distinct finite thresholds τ_1 < … < τ_m there are m+1
 * points, at τ_1 − 1, the midpoints (τ_k + τ_{k+1})/2 and τ_m + 1, in ascending γ; each point stands for
 * the whole open interval it lies in, where every accuracy is constant. With m = 0 (no finite threshold)
 * the curve is the single point γ = 0.
 */
export interface GammaCurve {
  points: CurvePoint[];
  /** Correct-row counts behind each point, for exact comparisons (e.g. GPU against CPU). */
  seenCorrect: Int32Array;
  absentCorrect: Int32Array;
  seenRows: number;
  absentRows: number;
  /** AUSUC on a 0–1 scale (NaN when either label group is empty). */
  ausuc: number;
  /** m, the number of distinct finite thresholds. */
  distinctThresholds: number;
  /**
   * Rows whose threshold is not finite sit at the same side at every point: t = -∞ (no finite S∪O logit
   * but a finite U one) always goes to U; t = +∞ (no finite U logit) never does.
   */
  alwaysAbsentRows: number;
  neverAbsentRows: number;
  conventions: {
    accuracy: 'percent';
    ausuc: '0-1, trapezoids along the path in ascending gamma';
    points: 'tau_1 - 1, midpoints of distinct thresholds, tau_m + 1';
  };
}

/**
 * A γ strictly beyond τ by about 1, as DESIGN.md asks; for |τ| so large that τ ± 1 rounds back to τ the
 * step grows to a relative one so that the point still lies outside the last threshold.
 */
export function beyond(tau: number, direction: 1 | -1): number {
  const g = tau + direction;
  return g !== tau ? g : tau + direction * Math.abs(tau) * 2 ** -40;
}

/**
 * Ascending order of the finite thresholds. The backend sorts their f32 roundings; since rounding to f32
 * is monotone, only runs of equal f32 keys can be out of f64 order, and those are fixed here.
 */
export async function sortThresholds(
  backend: Backend,
  t: Float64Array,
  rows: Uint32Array,
): Promise<Uint32Array> {
  // Nothing to sort; and a zero-length buffer is not something to hand a GPU.
  if (rows.length === 0) return rows;
  const keys = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) keys[i] = t[rows[i]!]!;
  const { keys: sorted, order } = await backend.sortKeys(keys);
  const out = new Uint32Array(rows.length);
  for (let i = 0; i < order.length; i++) out[i] = rows[order[i]!]!;
  for (let i = 0; i < out.length; ) {
    let j = i + 1;
    while (j < out.length && sorted[j] === sorted[i]) j++;
    if (j - i > 1) {
      const run = Array.from(out.subarray(i, j)).sort((a, b) => t[a]! - t[b]! || a - b);
      out.set(run, i);
    }
    i = j;
  }
  return out;
}

/**
 * Builds the curve in O(N·C) (the statistics) + O(N log N) (one sort): at the lowest point every row with
 * a finite threshold stays in S∪O; sweeping the thresholds upwards, each row that crosses into U changes
 * its group's correct count by correctIfU − correctIfSO, so a prefix sum gives every point.
 */
export async function gammaCurve(backend: Backend, data: LabelledStats): Promise<GammaCurve> {
  return curveOfOutcomes(backend, rowOutcomes(data, 'the γ curve'));
}

async function curveOfOutcomes(backend: Backend, o: RowOutcomes): Promise<GammaCurve> {
  let seenRows = 0;
  let absentRows = 0;
  let seenBase = 0;
  let absentBase = 0;
  let alwaysAbsentRows = 0;
  let neverAbsentRows = 0;
  const finite: number[] = [];
  for (let r = 0; r < o.rows; r++) {
    const t = o.threshold[r]!;
    const seenLabel = o.labelGroup[r] === SEEN;
    let correct: number;
    if (t === Number.NEGATIVE_INFINITY) {
      alwaysAbsentRows++;
      correct = o.correctIfU[r]!;
    } else {
      if (t === Number.POSITIVE_INFINITY) neverAbsentRows++;
      else finite.push(r);
      correct = o.correctIfSO[r]!;
    }
    if (seenLabel) {
      seenRows++;
      seenBase += correct;
    } else {
      absentRows++;
      absentBase += correct;
    }
  }
  const order = await sortThresholds(backend, o.threshold, Uint32Array.from(finite));
  const taus: number[] = [];
  const seenCorrect: number[] = [seenBase];
  const absentCorrect: number[] = [absentBase];
  let s = seenBase;
  let a = absentBase;
  for (let i = 0; i < order.length; ) {
    const tau = o.threshold[order[i]!]!;
    for (; i < order.length && o.threshold[order[i]!] === tau; i++) {
      const r = order[i]!;
      const delta = o.correctIfU[r]! - o.correctIfSO[r]!;
      if (o.labelGroup[r] === SEEN) s += delta;
      else a += delta;
    }
    taus.push(tau);
    seenCorrect.push(s);
    absentCorrect.push(a);
  }
  const m = taus.length;
  const gammas =
    m === 0
      ? [0]
      : [
          beyond(taus[0]!, -1),
          ...taus.slice(0, -1).map((tau, k) => (tau + taus[k + 1]!) / 2),
          beyond(taus[m - 1]!, 1),
        ];
  const points = gammas.map((gamma, k) => ({
    gamma,
    seen: percent(seenCorrect[k]!, seenRows),
    unseen: percent(absentCorrect[k]!, absentRows),
    overall: percent(seenCorrect[k]! + absentCorrect[k]!, seenRows + absentRows),
  }));
  return {
    points,
    seenCorrect: Int32Array.from(seenCorrect),
    absentCorrect: Int32Array.from(absentCorrect),
    seenRows,
    absentRows,
    ausuc: ausuc(points),
    distinctThresholds: m,
    alwaysAbsentRows,
    neverAbsentRows,
    conventions: {
      accuracy: 'percent',
      ausuc: '0-1, trapezoids along the path in ascending gamma',
      points: 'tau_1 - 1, midpoints of distinct thresholds, tau_m + 1',
    },
  };
}

/**
 * Area under the seen-unseen curve (DESIGN.md §1), 0–1 scale: Σ_k (seen_k − seen_{k+1})·(unseen_k +
 * unseen_{k+1})/2 over points in ascending γ, accuracies taken as fractions.
 */
export function ausuc(points: readonly CurvePoint[]): number {
  let area = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const p = points[k]!;
    const q = points[k + 1]!;
    area += ((p.seen - q.seen) / 100) * ((p.unseen + q.unseen) / 200);
  }
  return area;
}

/** Index of the first (smallest-γ) point maximising `score` among those passing `ok`; -1 if none pass. */
export function bestPoint(
  points: readonly CurvePoint[],
  score: (p: CurvePoint) => number,
  ok: (p: CurvePoint) => boolean = () => true,
): number {
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < points.length; k++) {
    const p = points[k]!;
    if (!ok(p)) continue;
    const v = score(p);
    if (best < 0 || v > bestScore) {
      best = k;
      bestScore = v;
    }
  }
  return best;
}

/**
 * Fitting γ compares the two groups, so it needs labelled rows in both S and U: the one message for
 * labels that all fall in one group, naming the file they came from.
 */
export function requireBothGroups(file: string, seenRows: number, absentRows: number): void {
  // No rows at all is another mistake, which the statistics pass words with its cause.
  if ((seenRows > 0 && absentRows > 0) || seenRows + absentRows === 0) return;
  const [all, group, other] = seenRows > 0 ? [seenRows, 'S', 'seen'] : [absentRows, 'U', 'absent'];
  const missing = seenRows > 0 ? 'absent' : 'seen';
  throw new InputError({
    code: 'labels',
    file,
    problem: `the labelled rows are all in ${group} (${all} ${other}, none ${missing}); fitting γ weighs S against U`,
    fix: `pass a labelled set that also holds labels of ${missing} classes`,
  });
}

export function requireCurvePoints(curve: GammaCurve, what: string): void {
  if (curve.seenRows === 0 || curve.absentRows === 0) {
    throw new InputError({
      code: 'labels',
      problem: `${what} needs labelled rows in both S and U (got ${curve.seenRows} seen, ${curve.absentRows} absent)`,
      fix: 'use a labelled set that covers both groups',
    });
  }
}
