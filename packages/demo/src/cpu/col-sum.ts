/** CPU twin of kernels/col_sum.wgsl: out[c] = Σ_r x[r, c], accumulated in float64. */
export function colSumCpu(x: Float32Array, rows: number, cols: number): Float32Array {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) acc[c]! += x[base + c]!;
  }
  return Float32Array.from(acc);
}
