/** Equal-width histogram of finite values in [lo, hi], counting what falls outside or is not a number. */
export interface Histogram {
  lo: number;
  hi: number;
  counts: number[];
  /** Finite values below lo / above hi, including −∞ / +∞. */
  below: number;
  above: number;
  negInf: number;
  posInf: number;
  nan: number;
}

export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): Histogram {
  const counts = new Array<number>(bins).fill(0);
  const h: Histogram = { lo, hi, counts, below: 0, above: 0, negInf: 0, posInf: 0, nan: 0 };
  const width = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) h.nan++;
    else if (v < lo) {
      h.below++;
      if (v === Number.NEGATIVE_INFINITY) h.negInf++;
    } else if (v > hi) {
      h.above++;
      if (v === Number.POSITIVE_INFINITY) h.posInf++;
    } else {
      // hi itself belongs to the last bin.
      counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
    }
  }
  return h;
}
