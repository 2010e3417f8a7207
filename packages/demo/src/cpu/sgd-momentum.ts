import type { SgdMomentumOptions, SgdMomentumResult } from '../training.ts';

const f = Math.fround;

/**
 * CPU twin of kernels/sgd_momentum.wgsl (PyTorch's SGD: d = g + wd·w, v = μ·v + d, w = w − lr·v), each
 * operation rounded to f32 in the shader's order. A GPU compiler may fuse a multiply-add, so the two
 * can differ in the last bit. Returns new arrays; the inputs are left as they were.
 */
export function sgdMomentumCpu(
  params: Float32Array,
  grads: Float32Array,
  velocity: Float32Array,
  options: SgdMomentumOptions,
): SgdMomentumResult {
  const lr = f(options.lr);
  const mu = f(options.momentum ?? 0);
  const wd = f(options.weightDecay ?? 0);
  const w = new Float32Array(params.length);
  const v = new Float32Array(params.length);
  for (let i = 0; i < params.length; i++) {
    const d = f(grads[i]! + f(wd * params[i]!));
    const nv = f(f(mu * velocity[i]!) + d);
    v[i] = nv;
    w[i] = f(params[i]! - f(lr * nv));
  }
  return { params: w, velocity: v };
}
