import { describe, expect, it } from 'vitest';
import { choleskySolve, symmetricEigen } from '../../src/calib/linear/eigen.ts';
import { randomNormal, rng } from '../gpu-harness.ts';

/** B·Bᵀ (positive semi-definite) minus `shift`·I, for n×n. */
function gram(n: number, seed: number, shift = 0): Float64Array {
  const next = rng(seed);
  const b = Float64Array.from({ length: n * n }, () => randomNormal(next));
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? -shift : 0;
      for (let k = 0; k < n; k++) s += b[i * n + k]! * b[j * n + k]!;
      a[i * n + j] = s;
    }
  return a;
}

describe('the exact-Hessian solvers', () => {
  for (const n of [1, 2, 7, 64]) {
    it(`symmetricEigen reconstructs V·diag(λ)·Vᵀ with orthonormal V, n = ${n}, definite or not`, () => {
      const a = gram(n, n, n / 2);
      const { values, vectors: v } = symmetricEigen(a, n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let rec = 0;
          let dot = 0;
          for (let k = 0; k < n; k++) {
            rec += v[i * n + k]! * values[k]! * v[j * n + k]!;
            dot += v[k * n + i]! * v[k * n + j]!;
          }
          expect(Math.abs(rec - a[i * n + j]!)).toBeLessThan(1e-10 * n);
          expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-12 * n);
        }
      }
    });

    it(`choleskySolve solves a definite system and declines an indefinite one, n = ${n}`, () => {
      const a = gram(n, 3 * n);
      for (let i = 0; i < n; i++) a[i * n + i]! += 1;
      const b = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
      const x = choleskySolve(a, b, n, 1e-12)!;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * x[k]!;
        expect(Math.abs(s - b[i]!)).toBeLessThan(1e-9);
      }
      if (n > 1) expect(choleskySolve(gram(n, n, n), b, n, 1e-12)).toBeNull();
    });
  }
});
