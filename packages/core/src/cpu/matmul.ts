import type { MatmulOptions } from '../backend/backend.ts';
import { sharesB } from '../backend/validate.ts';
import { matmulRows } from './row-kernels.ts';

/**
 * CPU twin of the matmul kernels: C[b] = op(A[b])·op(B[b]) + bias, accumulated in f64 (so it is the more
 * accurate of the two; GPU results agree within a relative tolerance that grows with K).
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
  const out = new Float32Array(batch * m * n);
  matmulRows(
    {
      a,
      b,
      bias: bias ?? null,
      m,
      n,
      k,
      transA: options.transA === true,
      transB: options.transB === true,
      sharedB: sharesB(b, n, k, batch),
      out,
    },
    0,
    batch * m,
  );
  return out;
}
