import type { BiasReluOptions } from '../training.ts';

const f = Math.fround;

/**
 * CPU twin of kernels/bias_relu.wgsl: x[r, c] + bias[c] rounded to f32 as the shader adds, then
 * v > 0 ? v : 0, so the two agree bit for bit. Returns a new array.
 */
export function biasReluCpu(
  x: Float32Array,
  rows: number,
  cols: number,
  bias: Float32Array,
  options: BiasReluOptions = {},
): Float32Array {
  const relu = options.relu ?? true;
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = f(x[base + c]! + bias[c]!);
      // biome-ignore lint/complexity/useMathMinMax: Math.max(NaN, 0) is NaN; the shader gives 0, so must the twin
      out[base + c] = relu ? (v > 0 ? v : 0) : v;
    }
  }
  return out;
}
