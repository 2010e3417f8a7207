/**
 * The γ curve as the paper's code computes it: collect the per-row gaps maxSO − maxU, sort them, and at
 * every breakpoint add γ to the absent-class logits and re-take the argmax of every row. With N rows
 * the curve has up to N+1 points, so the cost is O(N²·C), against O(N·C + N log N) for the exact curve
 * that ftcal builds from row statistics (DESIGN.md §1). Used as a peer only: timing and agreement.
 */
export interface PaperCurve {
  gammas: Float64Array;
  seen: Float64Array;
  unseen: Float64Array;
  /** Trapezoids along the path, 0–1 (DESIGN.md's AUSUC). */
  ausuc: number;
}

/** Breakpoints at DESIGN.md's points: below the smallest gap, between neighbours, above the largest. */
export function breakpoints(z: Float32Array, rows: number, cols: number, groups: Uint32Array): Float64Array {
  const gaps: number[] = [];
  for (let i = 0; i < rows; i++) {
    let so = Number.NEGATIVE_INFINITY;
    let u = Number.NEGATIVE_INFINITY;
    const o = i * cols;
    for (let c = 0; c < cols; c++) {
      const v = z[o + c]!;
      if (groups[c] === 1) u = Math.max(u, v);
      else so = Math.max(so, v);
    }
    const t = so - u;
    if (Number.isFinite(t)) gaps.push(t);
  }
  const tau = [...new Set(gaps)].sort((a, b) => a - b);
  if (tau.length === 0) return Float64Array.of(0);
  const g = new Float64Array(tau.length + 1);
  g[0] = tau[0]! - 1;
  for (let k = 1; k < tau.length; k++) g[k] = (tau[k - 1]! + tau[k]!) / 2;
  g[tau.length] = tau.at(-1)! + 1;
  return g;
}

export function paperCurve(
  z: Float32Array,
  rows: number,
  cols: number,
  labels: Int32Array,
  groups: Uint32Array,
): PaperCurve {
  const gammas = breakpoints(z, rows, cols, groups);
  let nSeen = 0;
  for (let i = 0; i < rows; i++) if (groups[labels[i]!] !== 1) nSeen++;
  const nUnseen = rows - nSeen;
  const seen = new Float64Array(gammas.length);
  const unseen = new Float64Array(gammas.length);
  const bias = new Float64Array(cols);
  for (let k = 0; k < gammas.length; k++) {
    const gamma = gammas[k]!;
    for (let c = 0; c < cols; c++) bias[c] = groups[c] === 1 ? gamma : 0;
    let okSeen = 0;
    let okUnseen = 0;
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      let best = Number.NEGATIVE_INFINITY;
      let arg = -1;
      for (let c = 0; c < cols; c++) {
        const v = z[o + c]! + bias[c]!;
        if (v > best) {
          best = v;
          arg = c;
        }
      }
      const y = labels[i]!;
      if (arg === y) {
        if (groups[y] === 1) okUnseen++;
        else okSeen++;
      }
    }
    // An empty label group has no accuracy (NaN, as core and NumPy's 0/0 give), not 0.
    seen[k] = nSeen ? okSeen / nSeen : Number.NaN;
    unseen[k] = nUnseen ? okUnseen / nUnseen : Number.NaN;
  }
  let ausuc = 0;
  for (let k = 0; k + 1 < gammas.length; k++) {
    ausuc += ((seen[k]! - seen[k + 1]!) * (unseen[k]! + unseen[k + 1]!)) / 2;
  }
  return { gammas, seen, unseen, ausuc };
}
