import { GROUP_ABSENT } from '@ftcal/kernels';
import { bootstrapReplicates } from '../calib/metrics/bootstrap.ts';
import { matmulRowsWasm } from './matmul-wasm.ts';
import { rowPassRows } from './row-pass.ts';

/**
 * Row-range kernels: the CPU twins' per-row maths, run by the twins on all rows and by the worker pool
 * (platform/node/cpu-worker.ts, a module of its own) on row ranges. Each reproduces its twin's
 * arithmetic in the same order for rows [r0, r1) and writes into the output arrays at the row's own
 * index, so splitting a job by rows gives the twin's results bit for bit. Group codes are the kernels'
 * (GROUP_SEEN, GROUP_ABSENT; anything else is O), copied into locals where a hot loop reads them. The
 * row pass (statistics, moments, accumulators) has a file of its own: row-pass.ts.
 */

/** Number of per-row, per-candidate terms nllGradRows writes: nll, ∂γ, ∂τ, ∂γγ, ∂γτ, ∂ττ. */
export const NLL_TERMS = 6;

/**
 * nllGradCpu's per-row terms for rows [r0, r1): terms[(r·k + j)·6 + t]. The caller sums them over rows
 * in row order, which is the twin's order of additions.
 */
export interface NllGradRowsArgs {
  z: Float32Array;
  cols: number;
  groups: Uint32Array;
  labels: Int32Array;
  candidates: Float64Array;
  terms: Float64Array;
}

export function nllGradRows(a: NllGradRowsArgs, r0: number, r1: number): void {
  const { z, cols, groups, labels, candidates, terms } = a;
  const k = candidates.length / 2;
  const ABSENT = GROUP_ABSENT;
  const s = new Float64Array(cols);
  const e = new Float64Array(cols);
  for (let r = r0; r < r1; r++) {
    const base = r * cols;
    const y = labels[r]!;
    const yInU = groups[y] === ABSENT;
    for (let j = 0; j < k; j++) {
      const gamma = candidates[2 * j]!;
      const invT = Math.exp(-candidates[2 * j + 1]!);
      let m = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < cols; c++) {
        const v = (z[base + c]! + (groups[c] === ABSENT ? gamma : 0)) * invT;
        s[c] = v;
        if (v > m) m = v;
      }
      let w = 0;
      let wU = 0;
      let wSO = 0;
      let ws = 0;
      for (let c = 0; c < cols; c++) {
        const ec = s[c] === Number.NEGATIVE_INFINITY ? 0 : Math.exp(s[c]! - m);
        e[c] = ec;
        if (ec === 0) continue;
        w += ec;
        if (groups[c] === ABSENT) wU += ec;
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
        if (groups[c] === ABSENT) cov += ec * d;
      }
      const pU = wU / w;
      const pSO = wSO / w;
      const sy = s[y]!;
      const dy = sy - m - mean;
      const gGamma = (yInU ? -pSO : pU) * invT;
      const o = (r * k + j) * 6;
      terms[o] = m + Math.log(w) - sy;
      terms[o + 1] = gGamma;
      terms[o + 2] = dy;
      terms[o + 3] = pU * pSO * invT * invT;
      terms[o + 4] = -gGamma - (cov / w) * invT;
      terms[o + 5] = -dy + v2 / w;
    }
  }
}

/** softmaxCpu for rows [r0, r1). */
export interface SoftmaxRowsArgs {
  z: Float32Array;
  cols: number;
  groups: Uint32Array;
  /** fround(γ) and fround(1 / T), as the twin computes them. */
  gamma: number;
  invT: number;
  log: boolean;
  out: Float32Array;
}

export function softmaxRows(a: SoftmaxRowsArgs, r0: number, r1: number): void {
  const f = Math.fround;
  const { z, cols, groups, gamma, invT, log, out } = a;
  const ABSENT = GROUP_ABSENT;
  const s = new Float32Array(cols);
  for (let r = r0; r < r1; r++) {
    const base = r * cols;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < cols; c++) {
      const v = f(f(z[base + c]! + (groups[c] === ABSENT ? gamma : 0)) * invT);
      s[c] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    if (max !== Number.NEGATIVE_INFINITY) for (let c = 0; c < cols; c++) sum += Math.exp(s[c]! - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < cols; c++) {
      out[base + c] = log ? s[c]! - lse : Math.exp(s[c]! - max) / sum;
    }
  }
}

/** Every kernel the worker pool runs, by the name a job gives. */
export const ROW_KERNELS = {
  rowPassRows,
  nllGradRows,
  softmaxRows,
  matmulRowsWasm,
  bootstrapReplicates,
} as const;
export type RowKernelName = keyof typeof ROW_KERNELS;
