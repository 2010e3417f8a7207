/**
 * CPU twin of kernels/relu_backward.wgsl: the gradient passes where the ReLU output was positive and is
 * 0 elsewhere (derivative 0 at 0, as PyTorch takes it). Returns a new array.
 */
export function reluBackwardCpu(grad: Float32Array, activation: Float32Array): Float32Array {
  const out = new Float32Array(grad.length);
  for (let i = 0; i < grad.length; i++) out[i] = activation[i]! > 0 ? grad[i]! : 0;
  return out;
}
