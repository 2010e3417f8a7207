import { checkShape, type NllGradOptions, type NllGradResult } from '../backend/backend.ts';
import { InputError } from '../errors.ts';

/** Validates the inputs shared by both nllGrad paths and returns K, the number of candidates. */
export function checkNllGradInputs(rows: number, cols: number, options: NllGradOptions): number {
  const { groups, labels, candidates } = options;
  if (groups.length !== cols)
    throw new RangeError(`nllGrad: groups has ${groups.length} entries for ${cols} classes`);
  if (labels.length !== rows) throw new RangeError(`nllGrad: ${labels.length} labels for ${rows} rows`);
  for (let r = 0; r < rows; r++) {
    const y = labels[r]!;
    if (y < 0 || y >= cols)
      throw new InputError(
        `nllGrad: label ${y} at row ${r} is outside [0, ${cols}); labels must be class indices of the logits`,
      );
  }
  if (candidates.length < 2 || candidates.length % 2 !== 0)
    throw new RangeError(`nllGrad: candidates must hold (γ, log T) pairs, got ${candidates.length} values`);
  for (let i = 0; i < candidates.length; i++) {
    if (!Number.isFinite(candidates[i]!)) throw new RangeError(`nllGrad: candidate value ${i} is not finite`);
  }
  return candidates.length / 2;
}

/**
 * CPU twin of the calibration gradient pass (DESIGN.md §1 `nll`), all in float64. For each candidate
 * (γ, τ = log T) and row, with s_c = (z_c + γ·u_c)/T and p = softmax(s):
 *   NLL = logsumexp(s) − s_y,  ∂γ = (P_U − u_y)/T,  ∂τ = s_y − E_p[s],
 *   ∂γγ = P_U·P_SO/T²,  ∂τγ = −∂γ − Cov_p(u, s)/T,  ∂ττ = −(s_y − E_p[s]) + Var_p(s),
 * summed over rows. P_U and P_SO = 1 − P_U are accumulated separately, and P_U − u_y is taken as −P_SO
 * when y ∈ U, so neither loses digits to cancellation when one of them is near 1. Variance and covariance
 * come from a second pass around the mean rather than E[s²] − E[s]², which cancels badly for large s.
 * Logits of -Infinity get probability 0; a row whose label logit is -Infinity has infinite NLL.
 */
export function nllGradCpu(
  z: Float32Array,
  rows: number,
  cols: number,
  options: NllGradOptions,
): NllGradResult {
  checkShape('nllGrad', z, rows, cols);
  const k = checkNllGradInputs(rows, cols, options);
  const { groups, labels, candidates } = options;
  const nll = new Float64Array(k);
  const grad = new Float64Array(2 * k);
  const hess = new Float64Array(3 * k);
  const s = new Float64Array(cols);
  const e = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const y = labels[r]!;
    const yInU = groups[y] === 1;
    for (let j = 0; j < k; j++) {
      const gamma = candidates[2 * j]!;
      const invT = Math.exp(-candidates[2 * j + 1]!);
      let m = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < cols; c++) {
        const v = (z[base + c]! + (groups[c] === 1 ? gamma : 0)) * invT;
        s[c] = v;
        if (v > m) m = v;
      }
      // Scores are shifted by the row maximum m, so e_c ∈ (0, 1] and the mean below is of s − m.
      let w = 0;
      let wU = 0;
      let wSO = 0;
      let ws = 0;
      for (let c = 0; c < cols; c++) {
        const ec = s[c] === Number.NEGATIVE_INFINITY ? 0 : Math.exp(s[c]! - m);
        e[c] = ec;
        if (ec === 0) continue;
        w += ec;
        if (groups[c] === 1) wU += ec;
        else wSO += ec;
        ws += ec * (s[c]! - m);
      }
      const mean = ws / w;
      let v2 = 0;
      let cov = 0;
      for (let c = 0; c < cols; c++) {
        const ec = e[c]!;
        if (ec === 0) continue;
        const d = s[c]! - m - mean;
        v2 += ec * d * d;
        if (groups[c] === 1) cov += ec * d;
      }
      const pU = wU / w;
      const pSO = wSO / w;
      const sy = s[y]!;
      const dy = sy - m - mean;
      const gGamma = (yInU ? -pSO : pU) * invT;
      nll[j]! += m + Math.log(w) - sy;
      grad[2 * j]! += gGamma;
      grad[2 * j + 1]! += dy;
      hess[3 * j]! += pU * pSO * invT * invT;
      hess[3 * j + 1]! += -gGamma - (cov / w) * invT;
      hess[3 * j + 2]! += -dy + v2 / w;
    }
  }
  return { k, rows, nll, grad, hess };
}
