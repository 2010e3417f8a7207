import type { SoftmaxOptions } from '../backend/backend.ts';
import { softmaxRows } from './row-kernels.ts';

const f = Math.fround;

/**
 * CPU twin of kernels/softmax.wgsl: the scaled score is rounded to f32 exactly as the shader computes
 * it, so maxima agree bit for bit; sums are accumulated in f64 (the GPU's f32 tree sum differs by
 * rounding only, well within 1e-5 relative). The per-row maths is `softmaxRows` (row-kernels.ts), which
 * the worker pool runs on row ranges too.
 */
export function softmaxCpu(
  z: Float32Array,
  rows: number,
  cols: number,
  options: SoftmaxOptions = {},
): Float32Array {
  const gamma = f(options.gamma ?? 0);
  const invT = f(1 / (options.temperature ?? 1));
  const groups = options.groups ?? new Uint32Array(cols);
  const out = new Float32Array(rows * cols);
  softmaxRows({ z, cols, groups, gamma, invT, log: options.log === true, out }, 0, rows);
  return out;
}
