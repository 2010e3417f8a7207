import type { MatmulOptions } from '../backend/backend.ts';

function transpose(src: Float32Array, offset: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[offset + r * cols + c]!;
  return out;
}

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
  const acc = new Float64Array(n);
  for (let bi = 0; bi < batch; bi++) {
    // op(A) as M×K row-major; op(B) as K×N row-major (i-p-j order) or, when transB, N×K (dot products).
    const A = options.transA ? transpose(a, bi * m * k, k, m) : a.subarray(bi * m * k, (bi + 1) * m * k);
    const bOff = sharedB ? 0 : bi * k * n;
    const B = b.subarray(bOff, bOff + k * n);
    for (let i = 0; i < m; i++) {
      const aRow = i * k;
      if (options.transB) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          const bRow = j * k;
          for (let p = 0; p < k; p++) s += A[aRow + p]! * B[bRow + p]!;
          acc[j] = s;
        }
      } else {
        acc.fill(0);
        for (let p = 0; p < k; p++) {
          const av = A[aRow + p]!;
          if (av === 0) continue;
          const bRow = p * n;
          for (let j = 0; j < n; j++) acc[j]! += av * B[bRow + j]!;
        }
      }
      const cRow = bi * m * n + i * n;
      for (let j = 0; j < n; j++) out[cRow + j] = acc[j]! + (bias ? bias[j]! : 0);
    }
  }
  return out;
}
