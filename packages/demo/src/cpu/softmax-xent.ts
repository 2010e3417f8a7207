import type { SoftmaxXentResult } from '../training.ts';

/**
 * CPU twin of kernels/softmax_xent.wgsl, in float64: mean over rows of logsumexp(z_r) − z_r[y_r], and
 * its gradient with respect to the logits, (softmax(z_r) − onehot(y_r)) / rows. The GPU works in f32,
 * so the two agree within rounding (about 1e-6 relative on the loss).
 */
export function softmaxXentCpu(
  z: Float32Array,
  rows: number,
  cols: number,
  labels: Int32Array,
): SoftmaxXentResult {
  const grad = new Float32Array(rows * cols);
  if (rows === 0) return { loss: Number.NaN, grad };
  const scale = 1 / rows;
  const e = new Float64Array(cols);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let m = z[base]!;
    for (let c = 1; c < cols; c++) m = Math.max(m, z[base + c]!);
    let s = 0;
    for (let c = 0; c < cols; c++) s += e[c] = Math.exp(z[base + c]! - m);
    const y = labels[r]!;
    for (let c = 0; c < cols; c++) grad[base + c] = (e[c]! / s - (c === y ? 1 : 0)) * scale;
    total += m + Math.log(s) - z[base + y]!;
  }
  return { loss: total / rows, grad };
}
