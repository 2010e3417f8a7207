import { checkShape, checkTemperature, groupsOrSeen, type SoftmaxOptions } from '../backend/backend.ts';

const f = Math.fround;

/**
 * CPU twin of kernels/softmax.wgsl: the scaled score is rounded to f32 exactly as the shader computes
 * it, so maxima agree bit for bit; sums are accumulated in f64 (the GPU's f32 tree sum differs by
 * rounding only, well within 1e-5 relative).
 */
export function softmaxCpu(
  z: Float32Array,
  rows: number,
  cols: number,
  options: SoftmaxOptions = {},
): Float32Array {
  checkShape('softmax', z, rows, cols);
  const gamma = f(options.gamma ?? 0);
  const t = options.temperature ?? 1;
  checkTemperature(t);
  const invT = f(1 / t);
  const groups = groupsOrSeen(options.groups, cols);
  const out = new Float32Array(rows * cols);
  const s = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < cols; c++) {
      const v = f(f(z[base + c]! + (groups[c] === 1 ? gamma : 0)) * invT);
      s[c] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    if (max !== Number.NEGATIVE_INFINITY) for (let c = 0; c < cols; c++) sum += Math.exp(s[c]! - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < cols; c++) {
      out[base + c] = options.log ? s[c]! - lse : Math.exp(s[c]! - max) / sum;
    }
  }
  return out;
}
