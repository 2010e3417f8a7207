/** CPU twin of kernels/col_sum.wgsl: out[c] = Σ_r x[r, c], accumulated in float64. */
export function colSumCpu(x: Float32Array, rows: number, cols: number): Float32Array {
  return Float32Array.from(colSum64(x, rows, cols));
}

/** The column sums in float64, for callers that keep adding them up (the linear fitter's gradients). */
export function colSum64(
  x: Float32Array,
  rows: number,
  cols: number,
  into: Float64Array<ArrayBufferLike> = new Float64Array(cols),
): Float64Array<ArrayBufferLike> {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) into[c]! += x[base + c]!;
  }
  return into;
}
