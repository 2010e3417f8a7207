import type { Backend } from '../../backend/backend.ts';
import { maskFillCpu } from '../../cpu/linear-xent.ts';

/**
 * A calibration of the linear family (DESIGN.md §1.1): scores s = W·x + b, with x the logits or their
 * log-softmax (dirichlet), W diagonal (vector, affine, wa) or full (matrix, dirichlet), and some classes
 * masked to −∞ (O under vector, matrix and dirichlet: no row is labelled there, so the fit pushes them
 * down without bound and the map holds them at the limit).
 */
export interface LinearMap {
  input: 'logits' | 'log-softmax';
  form: 'diagonal' | 'full';
  /** C. */
  cols: number;
  /** diagonal: C scales; full: C×C row-major, row c holding class c's weights over the C inputs. */
  weights: Float64Array;
  /** C. */
  bias: Float64Array;
  /** Classes whose score is −∞, ascending. */
  masked: readonly number[];
}

/** A point or a direction in a map's (W, b) space: `weights` as in LinearMap, `bias` C values. */
export interface MapVec {
  weights: Float64Array;
  bias: Float64Array;
}

export function zeroVec(form: LinearMap['form'], cols: number): MapVec {
  return { weights: new Float64Array(form === 'full' ? cols * cols : cols), bias: new Float64Array(cols) };
}

/**
 * Calibrated scores s = W·x + b of `rows` rows, as float32: the log-softmax input on the backend, a full W
 * through backend.matmul, a diagonal one on the host; masked classes score −∞, and so does a −∞ logit (a
 * class masked in its row), which adds nothing to the other scores.
 */
export async function linearScores(
  backend: Backend,
  map: LinearMap,
  z: Float32Array,
  rows: number,
): Promise<Float32Array> {
  const cols = map.cols;
  const x = map.input === 'log-softmax' ? await backend.softmax(z, rows, cols, { log: true }) : z;
  let s: Float32Array;
  if (map.form === 'full') {
    const masked = z.includes(Number.NEGATIVE_INFINITY);
    const x0 = masked ? x.slice() : x;
    if (masked) maskFillCpu(z, x0, 0);
    s = await backend.matmul(x0, Float32Array.from(map.weights), rows, cols, cols, {
      transB: true,
      bias: Float32Array.from(map.bias),
    });
    if (masked) maskFillCpu(z, s, Number.NEGATIVE_INFINITY);
  } else {
    s = new Float32Array(rows * cols);
    const a = Float32Array.from(map.weights);
    const b = Float32Array.from(map.bias);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) {
        const v = x[base + c]!;
        s[base + c] = v === Number.NEGATIVE_INFINITY ? v : Math.fround(a[c]! * v) + b[c]!;
      }
    }
  }
  for (const c of map.masked) for (let r = 0; r < rows; r++) s[r * cols + c] = Number.NEGATIVE_INFINITY;
  return s;
}
