import type { MatmulOptions } from '../backend/backend.ts';
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
  for (const [name, v] of [
    ['m', m],
    ['n', n],
    ['k', k],
    ['batch', batch],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new RangeError(`matmul: ${name} must be a positive integer, got ${v}`);
  }
  if (a.length !== batch * m * k)
    throw new RangeError(`matmul: A has ${a.length} values, expected ${batch}·${m}·${k}`);
  const sharedB = b.length === k * n && batch > 1;
  if (!sharedB && b.length !== batch * k * n) {
    throw new RangeError(`matmul: B has ${b.length} values, expected ${batch}·${k}·${n} or ${k}·${n}`);
  }
  const bias = options.bias;
  if (bias && bias.length !== n)
    throw new RangeError(`matmul: bias has ${bias.length} values, expected ${n}`);
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
      sharedB,
      out,
    },
    0,
    batch * m,
  );
  return out;
}
