import type { AccumulatorJob } from '../../backend/backend.ts';
import { expNonPositive } from '../../cpu/row-pass.ts';
import type { ChunkAccumulator } from '../accumulators.ts';
import { ABSENT, SEEN } from '../groups.ts';
import { checkOption } from '../option-checks.ts';
import { equalWidthBin, equalWidthEdges } from './calibration-error.ts';

/**
 * Classwise ECE (Kull et al. 2019; DESIGN.md §1.2), overall and over S and over U alone. Top-label
 * ECE mostly sees seen-class predictions; this one bins every class's probability p_ic over all rows.
 */
export interface ClasswiseEce {
  /** Mean of ECE_c over S ∪ U. */
  classwiseEce: number;
  /** Mean over S alone and over U alone. */
  seen: number;
  absent: number;
  numBins: number;
  rows: number;
  /** ECE_c by class index; null for a class in O (not part of the mean). */
  perClass: (number | null)[];
  conventions: {
    classwiseEce: 'for each class of S and U: B equal-width bins (lo, hi] of p_ic over all rows, p = 0 in the first; ECE_c = sum_b (n_b/N)|mean_b 1[y=c] - mean_b p_ic|; mean over classes';
  };
}

/** The pass's classwise job: probabilities at bias γ (and the pass's T), in `bins` equal-width bins. */
export interface ClasswiseParams {
  gamma: number;
  bins: number;
}

/**
 * Σ p is kept in units of 2^-24 (each p rounded to that grid, an error below 3e-8), so the state is all
 * integers: chunks, worker tasks and shards add up to the same state whatever the split.
 */
const P_UNIT = 2 ** 24;

const edgesByBins = new Map<number, Float64Array>();
function edgesOf(bins: number): Float64Array {
  let e = edgesByBins.get(bins);
  if (!e) {
    e = equalWidthEdges(bins);
    edgesByBins.set(bins, e);
  }
  return e;
}

/** log(e^a + e^b), exact when either is -Infinity. */
function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/**
 * State: [rows, then per class c and bin b (word c·B + b of each block): rows, Σ p_ic in 2^-24 units,
 * rows with y = c]. p_ic = exp(s_ic − lse_i(γ)) from the row's statistics, with the scores rounded as
 * the statistics kernels round them (f32(z·(1/T)), plus γ/T on U). O classes are not binned.
 */
export const classwiseAccumulator: ChunkAccumulator<ClasswiseParams> = {
  stateLength: (params, cols) => 1 + 3 * cols * params.bins,
  addRow(state, params, chunk, r) {
    const { z, cols, groups, labels, invT, stats } = chunk;
    const bins = params.bins;
    const edges = edgesOf(bins);
    const block = cols * bins;
    const shift = params.gamma * invT;
    const lse = logAddExp(stats.lseSO[r]!, stats.lseU[r]! + shift);
    const y = labels ? labels[r]! : -1;
    const base = r * cols;
    state[0]!++;
    for (let c = 0; c < cols; c++) {
      const g = groups[c];
      if (g !== SEEN && g !== ABSENT) continue;
      const s = Math.fround(z[base + c]! * invT) + (g === ABSENT ? shift : 0);
      const p = expNonPositive(Math.min(0, s - lse));
      const at = 1 + c * bins + equalWidthBin(p, edges, bins);
      state[at]!++;
      state[at + block]! += Math.round(p * P_UNIT);
      if (c === y) state[at + 2 * block]!++;
    }
  },
};

/** The pass job for classwise ECE at (γ, the pass's T). */
export function classwiseJob(gamma: number, bins = 15): AccumulatorJob {
  checkOption(bins, 'bins', 'the number of ECE bins', 'bins');
  return { name: 'classwise', params: { gamma, bins } satisfies ClasswiseParams };
}

/** Classwise ECE from a classwise job's state, for a head with these group codes. */
export function classwiseOf(state: Float64Array, codes: Uint32Array, bins: number): ClasswiseEce {
  const rows = state[0]!;
  const block = codes.length * bins;
  const perClass: (number | null)[] = [];
  const sums = { all: 0, seen: 0, absent: 0 };
  const counts = { all: 0, seen: 0, absent: 0 };
  for (let c = 0; c < codes.length; c++) {
    const g = codes[c];
    if (g !== SEEN && g !== ABSENT) {
      perClass.push(null);
      continue;
    }
    // Σ_b (n_b/N)·|hits_b/n_b − Σp_b/n_b| = Σ_b |hits_b − Σp_b| / N.
    let e = 0;
    for (let b = 1 + c * bins; b < 1 + (c + 1) * bins; b++) {
      e += Math.abs(state[b + 2 * block]! - state[b + block]! / P_UNIT);
    }
    const ece = rows > 0 ? e / rows : Number.NaN;
    perClass.push(ece);
    const side = g === SEEN ? 'seen' : 'absent';
    sums.all += ece;
    sums[side] += ece;
    counts.all++;
    counts[side]++;
  }
  const mean = (k: keyof typeof sums) => (counts[k] > 0 ? sums[k] / counts[k] : Number.NaN);
  return {
    classwiseEce: mean('all'),
    seen: mean('seen'),
    absent: mean('absent'),
    numBins: bins,
    rows,
    perClass,
    conventions: {
      classwiseEce:
        'for each class of S and U: B equal-width bins (lo, hi] of p_ic over all rows, p = 0 in the first; ECE_c = sum_b (n_b/N)|mean_b 1[y=c] - mean_b p_ic|; mean over classes',
    },
  };
}
