import { LINEAR_XENT_COEFS } from '@ftcal/kernels';

/**
 * What the linear family's cross-entropy kernels read besides the row data: `coef` holds
 * [a | b | da | db | mask], C floats each (LINEAR_XENT_COEFS), and `diag` says whether `src` holds the
 * inputs x of a diagonal map s = a∘x + b (vector, affine) or the scores s of a full one (matrix, dirichlet).
 */
export interface LinearXentOptions {
  coef: Float32Array;
  diag: boolean;
}

export interface LinearXentGrad {
  /** G = softmax(s) − onehot(y), or G∘x when diag. */
  g: Float32Array;
  /** G when diag, else null. */
  h: Float32Array | null;
  /** Per row: logsumexp(s) − s_y. */
  loss: Float32Array;
}

/**
 * One row's scores into `s`: −∞ for a masked class and for a −∞ input (a class masked in its row), else s
 * itself or a·x + b of a diagonal map.
 */
function rowScores(
  src: Float32Array,
  base: number,
  cols: number,
  o: LinearXentOptions,
  s: Float64Array,
): void {
  const mask = LINEAR_XENT_COEFS - 1;
  for (let c = 0; c < cols; c++) {
    const v = src[base + c]!;
    const out = o.coef[mask * cols + c] !== 0 || v === Number.NEGATIVE_INFINITY;
    s[c] = out ? Number.NEGATIVE_INFINITY : o.diag ? o.coef[c]! * v + o.coef[cols + c]! : v;
  }
}

/** Softmax of `s` in place; returns its log-sum-exp. */
function softmaxInPlace(s: Float64Array): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const v of s) if (v > m) m = v;
  let sum = 0;
  for (let c = 0; c < s.length; c++) sum += s[c] = Math.exp(s[c]! - m);
  for (let c = 0; c < s.length; c++) s[c]! /= sum;
  return m + Math.log(sum);
}

/** CPU twin of kernels linear_xent.wgsl `grad`, in float64 with float32 outputs. */
export function linearXentGradCpu(
  src: Float32Array,
  rows: number,
  cols: number,
  labels: Int32Array,
  o: LinearXentOptions,
): LinearXentGrad {
  const g = new Float32Array(rows * cols);
  const h = o.diag ? new Float32Array(rows * cols) : null;
  const loss = new Float32Array(rows);
  const s = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    rowScores(src, base, cols, o, s);
    const y = labels[r]!;
    const sy = s[y]!;
    loss[r] = softmaxInPlace(s) - sy;
    for (let c = 0; c < cols; c++) {
      const gc = s[c]! - (c === y ? 1 : 0);
      if (h) {
        g[base + c] = gc === 0 ? 0 : gc * src[base + c]!; // 0, not 0·(−∞), at a −∞ input
        h[base + c] = gc;
      } else {
        g[base + c] = gc;
      }
    }
  }
  return { g, h, loss };
}

/**
 * CPU twin of kernels linear_xent.wgsl `hvp`: dG = p∘(ds − ⟨p, ds⟩) per row. For a full map `ds` holds the
 * direction's scores (X·Vᵀ + v_b), as outG does on the GPU; for a diagonal one ds = da∘x + db from coef.
 */
export function linearXentHvpCpu(
  src: Float32Array,
  rows: number,
  cols: number,
  o: LinearXentOptions & { ds?: Float32Array },
): { g: Float32Array; h: Float32Array | null } {
  const g = new Float32Array(rows * cols);
  const h = o.diag ? new Float32Array(rows * cols) : null;
  const s = new Float64Array(cols);
  const d = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    rowScores(src, base, cols, o, s);
    softmaxInPlace(s);
    let dot = 0;
    for (let c = 0; c < cols; c++) {
      // Where p = 0 the direction does not count (and at a −∞ input da·x would be NaN).
      d[c] =
        s[c] === 0
          ? 0
          : o.diag
            ? o.coef[2 * cols + c]! * src[base + c]! + o.coef[3 * cols + c]!
            : o.ds![base + c]!;
      dot += s[c]! * d[c]!;
    }
    for (let c = 0; c < cols; c++) {
      const dg = s[c]! * (d[c]! - dot);
      if (h) {
        g[base + c] = dg === 0 ? 0 : dg * src[base + c]!;
        h[base + c] = dg;
      } else {
        g[base + c] = dg;
      }
    }
  }
  return { g, h };
}

/** CPU twin of kernels/mask_fill.wgsl: out[i] = fill wherever z[i] is −∞, in place. */
export function maskFillCpu(z: Float32Array, out: Float32Array, fill: number): void {
  for (let i = z.indexOf(Number.NEGATIVE_INFINITY); i >= 0; i = z.indexOf(Number.NEGATIVE_INFINITY, i + 1)) {
    out[i] = fill;
  }
}
