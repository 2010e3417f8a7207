/**
 * CPU twin of kernels/l2_normalize.wgsl: each row divided by its L2 norm. The sum of squares is taken
 * in f64, where no f32 input can overflow or underflow it, and each quotient is rounded once to f32;
 * the GPU's scaled f32 sums agree within 1e-6 relative. An all-zero row is returned unchanged (±0
 * kept); a row holding an Inf or NaN has no norm and becomes all NaN, as on the GPU.
 */
export function l2NormalizeCpu(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      const v = x[base + c]!;
      sum += v * v;
    }
    if (!Number.isFinite(sum)) {
      out.fill(Number.NaN, base, base + cols);
    } else if (sum === 0) {
      out.set(x.subarray(base, base + cols), base);
    } else {
      const norm = Math.sqrt(sum);
      for (let c = 0; c < cols; c++) out[base + c] = x[base + c]! / norm;
    }
  }
  return out;
}
