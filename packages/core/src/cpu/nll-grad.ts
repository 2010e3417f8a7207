import type { NllGradOptions, NllGradResult, NllPassOptions } from '../backend/backend.ts';
import type { ResidentLogits } from '../backend/resident-logits.ts';
import { NLL_TERMS, nllGradRows } from './row-kernels.ts';

/** Rows whose per-row terms are held at once before they are added up. */
const TERM_BLOCK_ROWS = 4096;

/**
 * Adds per-row terms (nllGradRows' layout) to the sums in row order: the same order of additions on one
 * thread or after the worker pool, so both give identical sums.
 */
export function addNllTerms(
  terms: Float64Array,
  rows: number,
  k: number,
  nll: Float64Array,
  grad: Float64Array,
  hess: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) {
      const o = (r * k + j) * NLL_TERMS;
      nll[j]! += terms[o]!;
      grad[2 * j]! += terms[o + 1]!;
      grad[2 * j + 1]! += terms[o + 2]!;
      hess[3 * j]! += terms[o + 3]!;
      hess[3 * j + 1]! += terms[o + 4]!;
      hess[3 * j + 2]! += terms[o + 5]!;
    }
  }
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
 * The per-row terms come from `nllGradRows` (row-kernels.ts), which the worker pool runs too.
 */
export function nllGradCpu(
  z: Float32Array,
  rows: number,
  cols: number,
  options: NllGradOptions,
): NllGradResult {
  const { groups, labels, candidates } = options;
  const k = candidates.length / 2;
  const nll = new Float64Array(k);
  const grad = new Float64Array(2 * k);
  const hess = new Float64Array(3 * k);
  const terms = new Float64Array(Math.min(rows, TERM_BLOCK_ROWS) * k * NLL_TERMS);
  for (let r0 = 0; r0 < rows; r0 += TERM_BLOCK_ROWS) {
    const r1 = Math.min(rows, r0 + TERM_BLOCK_ROWS);
    nllGradRows(
      {
        z: z.subarray(r0 * cols, r1 * cols),
        cols,
        groups,
        labels: labels.subarray(r0, r1),
        candidates,
        terms,
      },
      0,
      r1 - r0,
    );
    addNllTerms(terms, r1 - r0, k, nll, grad, hess);
  }
  return { k, rows, nll, grad, hess };
}

/**
 * nllGrad over every chunk of labelled resident logits, chunk by chunk through `pass` (the twin, or the
 * worker pool running it), summed in float64 in row order.
 */
export async function nllGradResidentCpu(
  logits: ResidentLogits,
  options: NllPassOptions,
  pass: (z: Float32Array, rows: number, cols: number, o: NllGradOptions) => Promise<NllGradResult>,
): Promise<NllGradResult> {
  const k = options.candidates.length / 2;
  const total: NllGradResult = {
    k,
    rows: 0,
    nll: new Float64Array(k),
    grad: new Float64Array(2 * k),
    hess: new Float64Array(3 * k),
    residentRows: logits.residentRows,
  };
  await logits.forEach(async ({ z, rows, cols, labels }) => {
    const r = await pass(z, rows, cols, { ...options, labels: labels! });
    total.rows += r.rows;
    for (let i = 0; i < k; i++) total.nll[i]! += r.nll[i]!;
    for (let i = 0; i < 2 * k; i++) total.grad[i]! += r.grad[i]!;
    for (let i = 0; i < 3 * k; i++) total.hess[i]! += r.hess[i]!;
  });
  return total;
}
