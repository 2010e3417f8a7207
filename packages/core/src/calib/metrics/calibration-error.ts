/**
 * Top-label calibration error over reliability bins (DESIGN.md §1.2): ECE, MCE and RMSCE from the same
 * bins, so the three norms always describe one binning. Pure functions of per-row confidences and
 * correctness, shared by the metrics pass, the statistics-only path and the bootstrap.
 */

/** One reliability bin: its confidence range, rows, and their mean top-label confidence and accuracy (0–1). */
export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** 0 for an empty bin (which contributes nothing to any norm). */
  meanConfidence: number;
  accuracy: number;
}

/** The three norms of |accuracy − confidence| over the bins, weighted by each bin's share of the rows. */
export interface BinErrors {
  /** Σ_b (n_b/N)·|acc_b − conf_b|. */
  ece: number;
  /** max over non-empty bins of |acc_b − conf_b|. */
  mce: number;
  /** sqrt(Σ_b (n_b/N)·(acc_b − conf_b)²). */
  rmsce: number;
}

/** Edges k/B, k = 0…B, in float64: bin k is (edges[k], edges[k+1]]. */
export function equalWidthEdges(numBins: number): Float64Array {
  return Float64Array.from({ length: numBins + 1 }, (_, k) => k / numBins);
}

/**
 * Equal-width bin of a value in [0, 1]: the first bin k with v ≤ (k+1)/B, so bins are (lo, hi], 0 goes
 * to the first bin and 1.0 to the last (the torchmetrics convention). `edges` is equalWidthEdges(B); the
 * two loops correct ceil(v·B) where v·B rounds across an edge.
 */
export function equalWidthBin(v: number, edges: Float64Array, numBins: number): number {
  let b = Math.min(numBins - 1, Math.max(0, Math.ceil(v * numBins) - 1));
  while (b > 0 && v <= edges[b]!) b--;
  while (b < numBins - 1 && v > edges[b + 1]!) b++;
  return b;
}

/** The norms from each bin's weight and gap |acc_b − conf_b|; NaN for all three when the weight is 0. */
function norms(weights: ArrayLike<number>, gap: (b: number) => number): BinErrors {
  let total = 0;
  for (let b = 0; b < weights.length; b++) total += weights[b]!;
  if (!(total > 0)) return { ece: Number.NaN, mce: Number.NaN, rmsce: Number.NaN };
  let ece = 0;
  let mce = 0;
  let sq = 0;
  for (let b = 0; b < weights.length; b++) {
    const n = weights[b]!;
    if (n === 0) continue;
    const g = gap(b);
    ece += (n / total) * g;
    sq += (n / total) * g * g;
    if (g > mce) mce = g;
  }
  return { ece, mce, rmsce: Math.sqrt(sq) };
}

/** The norms of a list of reliability bins (their counts, mean confidences and accuracies). */
export function errorsOfBins(bins: readonly ReliabilityBin[]): BinErrors {
  return norms(
    bins.map((b) => b.count),
    (b) => Math.abs(bins[b]!.accuracy - bins[b]!.meanConfidence),
  );
}

/**
 * The norms from per-bin totals: weight (a row count, or a resampled count), Σ confidence and Σ correct
 * of the rows in each bin. The bootstrap and merged statistics keep totals, not bins.
 */
export function errorsOfTotals(
  weight: ArrayLike<number>,
  confidence: ArrayLike<number>,
  correct: ArrayLike<number>,
): BinErrors {
  return norms(weight, (b) => Math.abs(correct[b]! / weight[b]! - confidence[b]! / weight[b]!));
}
