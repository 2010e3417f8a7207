import type { Backend } from '../../backend/backend.ts';
import { InputError } from '../../errors.ts';

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

/** A row with a −∞ logit has no image under a full map: every score mixes every input. */
function refuseMaskedInputs(z: Float32Array, cols: number, name: string, what: string): void {
  const at = z.indexOf(Number.NEGATIVE_INFINITY);
  if (at < 0) return;
  throw new InputError({
    code: 'non-finite',
    file: name,
    problem: `${what} mixes every logit into every score, and row ${Math.floor(at / cols)} holds a −Infinity logit`,
    fix: 'give finite logits (mask classes after calibrating), or use a diagonal method (vector, affine, wa)',
  });
}

/**
 * Calibrated scores s = W·x + b of `rows` rows, as float32: the log-softmax input on the backend, a full W
 * through backend.matmul, a diagonal one on the host (where a −∞ logit keeps its −∞), masked classes −∞.
 * `what` names the method in errors.
 */
export async function linearScores(
  backend: Backend,
  map: LinearMap,
  z: Float32Array,
  rows: number,
  name: string,
  what: string,
): Promise<Float32Array> {
  const cols = map.cols;
  const x = map.input === 'log-softmax' ? await backend.softmax(z, rows, cols, { log: true }) : z;
  let s: Float32Array;
  if (map.form === 'full') {
    refuseMaskedInputs(x, cols, name, what);
    s = await backend.matmul(x, Float32Array.from(map.weights), rows, cols, cols, {
      transB: true,
      bias: Float32Array.from(map.bias),
    });
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
