import { describe, expect, it } from 'vitest';
import { chunkRowsFor } from '../src/calib/stats.ts';
import { FALLBACK_WG, MAX_ROWS_PER_THREAD, nllRowsPerGroup, REDUCE_WG } from '../src/webgpu/nll-grad.ts';

const f = Math.fround;

/** The reduce kernel's order: thread t adds every REDUCE_WG-th value from t, then a tree over threads. */
function reduceOrder(values: Float32Array): number {
  const lanes = new Float32Array(REDUCE_WG);
  for (let w = 0; w < values.length; w++) lanes[w % REDUCE_WG] = f(lanes[w % REDUCE_WG]! + values[w]!);
  return tree(lanes);
}

function tree(v: Float32Array): number {
  for (let stride = v.length >> 1; stride > 0; stride >>= 1) {
    for (let t = 0; t < stride; t++) v[t] = f(v[t]! + v[t + stride]!);
  }
  return v[0]!;
}

/**
 * The f32 sum the GPU pass forms of `term(0..rows-1)`, in its order, for the no-subgroup variant with
 * one thread per row (the longest per-thread sums): chunks of `chunkRows` rows (one slot each); in a
 * chunk, workgroups of nllRowsPerGroup rows whose thread t adds rows t, t + WG, … (at most
 * MAX_ROWS_PER_THREAD), a tree over the workgroup, the reduce kernel over the workgroups into the slot,
 * and the reduce kernel again over the slots.
 */
function gpuOrderSum(term: (i: number) => number, rows: number, chunkRows: number, wg: number): number {
  const slots = new Float32Array(Math.ceil(rows / chunkRows));
  const threads = new Float32Array(wg);
  for (let c = 0; c < slots.length; c++) {
    const r0 = c * chunkRows;
    const n = Math.min(chunkRows, rows - r0);
    const perGroup = nllRowsPerGroup(n, wg);
    const partials = new Float32Array(Math.ceil(n / perGroup));
    for (let g = 0; g < partials.length; g++) {
      threads.fill(0);
      const end = Math.min(n, (g + 1) * perGroup);
      for (let r = g * perGroup; r < end; r++) {
        const t = (r - g * perGroup) % wg;
        threads[t] = f(threads[t]! + term(r0 + r));
      }
      partials[g] = tree(threads);
    }
    slots[c] = reduceOrder(partials);
  }
  return reduceOrder(slots);
}

/** Deterministic pseudo-random value in [0, 1) for index i (a 32-bit integer hash). */
function hash01(i: number): number {
  let x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return ((x ^ (x >>> 16)) >>> 0) / 4294967296;
}

/** Per-row ∂γ terms as a near-optimal fit gives them: P_U for rows labelled in S, −P_SO in U, mean ≈ 0. */
const gradTerm = (i: number) => f(hash01(i) < 0.5 ? hash01(i + 1e9) ** 2 : -(hash01(i + 2e9) ** 2));
/** Per-row NLL terms: all positive, mean about 1.5. */
const nllTerm = (i: number) => f(3 * hash01(i + 3e9));

function exactSum(term: (i: number) => number, rows: number): number {
  // Float64 pairs of (sum, compensation): the reference, within ~1e-16 relative.
  let s = 0;
  let comp = 0;
  for (let i = 0; i < rows; i++) {
    const y = term(i) - comp;
    const t = s + y;
    comp = t - s - y;
    s = t;
  }
  return s;
}

function naiveF32(term: (i: number) => number, rows: number): number {
  let s = 0;
  for (let i = 0; i < rows; i++) s = f(s + term(i));
  return s;
}

describe('the nll pass sums 10⁸ rows within the Newton tolerance (docs/kernels.md)', () => {
  const rows = 1e8;
  // The resident path's chunks: core's host chunks of about 16 Mi values, at C = 1000.
  const chunkRows = chunkRowsFor(1000);
  // One thread per row (rows under 25 columns): the longest per-thread sums of any variant.
  const wg = FALLBACK_WG;

  it('keeps every per-thread sum short', () => {
    expect(nllRowsPerGroup(chunkRows, wg) / wg).toBeLessThanOrEqual(MAX_ROWS_PER_THREAD);
    expect(nllRowsPerGroup(1e9, wg) / wg).toBe(MAX_ROWS_PER_THREAD);
  });

  it.for([
    ['∂γ (mean about 0)', gradTerm],
    ['NLL (all positive)', nllTerm],
  ] as const)('%s: the mean is within 1e-7 of float64 in the GPU order', ([, term]) => {
    const exact = exactSum(term, rows);
    const tree = gpuOrderSum(term, rows, chunkRows, wg);
    // The Newton stop is |mean gradient| ≤ 1e-5: the sums' own error must be far below it.
    expect(Math.abs(tree - exact) / rows).toBeLessThan(1e-7);
  });

  it('where one running f32 sum over the rows would be off by more than the tolerance', () => {
    // Once a positive sum passes 2²⁴ every term is rounded to a multiple of ever larger powers of 2.
    expect(Math.abs(naiveF32(nllTerm, rows) - exactSum(nllTerm, rows)) / rows).toBeGreaterThan(1e-5);
  });
});
