import type { MatmulOptions } from '../backend/backend.ts';
import { sharesB } from '../backend/validate.ts';

/** Steps of K per summation block: matmul.wat's KC (the tests check the two agree). */
export const MATMUL_BLOCK_K = 256;

/**
 * The CPU backend's matmul, as scalar TypeScript: C[b] = op(A[b])·op(B[b]) + bias with the arithmetic of the
 * WebAssembly kernel (matmul.wat), bit for bit: every product rounded to f32 and added in f32, K ascending,
 * in blocks of MATMUL_BLOCK_K steps whose sums are added in block order, then the bias. It runs where
 * WebAssembly SIMD is missing, and the tests hold the kernel to it. The rounding error of an element is at
 * most about (256 + K/256)·2⁻²⁴·Σ_p |a_ip·b_pj| (f32 BLAS accumulates the same way); the WebGPU kernels sum
 * in another order, so the GPU twin tests compare both with a float64 reference instead.
 */
export function matmulCpu(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  options: MatmulOptions = {},
): Float32Array {
  const batch = options.batch ?? 1;
  const bias = options.bias;
  const transA = options.transA === true;
  const transB = options.transB === true;
  const oneB = sharesB(b, n, k, batch);
  const out = new Float32Array(batch * m * n);
  // Float32Array stores round: `block[j] += fround(a·b)` is an f32 multiply then an f32 add.
  const block = new Float32Array(n);
  const row = new Float32Array(n);
  const f = Math.fround;
  for (let e = 0; e < batch; e++) {
    const aOff = e * m * k;
    const bOff = oneB ? 0 : e * k * n;
    for (let i = 0; i < m; i++) {
      for (let p0 = 0; p0 < k; p0 += MATMUL_BLOCK_K) {
        block.fill(0);
        for (let p = p0; p < Math.min(k, p0 + MATMUL_BLOCK_K); p++) {
          const av = transA ? a[aOff + p * m + i]! : a[aOff + i * k + p]!;
          if (transB) for (let j = 0; j < n; j++) block[j]! += f(av * b[bOff + j * k + p]!);
          else for (let j = 0, q = bOff + p * n; j < n; j++, q++) block[j]! += f(av * b[q]!);
        }
        if (p0 === 0) row.set(block);
        else for (let j = 0; j < n; j++) row[j]! += block[j]!;
      }
      if (bias) for (let j = 0; j < n; j++) row[j]! += bias[j]!;
      out.set(row, (e * m + i) * n);
    }
  }
  return out;
}
