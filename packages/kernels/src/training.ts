import type { KernelDescriptor } from './descriptor.ts';
import biasReluCode from './wgsl/bias_relu.wgsl';
import colSumCode from './wgsl/col_sum.wgsl';
import reluBackwardCode from './wgsl/relu_backward.wgsl';
import sgdMomentumCode from './wgsl/sgd_momentum.wgsl';
import softmaxXentCode from './wgsl/softmax_xent.wgsl';

// The kernels that train the demo's small MLP; its matmuls run on the matmul kernels.

/** In place x[r, c] += bias[c], then ReLU when `relu` is 1. Flat grid of WG-thread groups. */
export const biasReluKernel: KernelDescriptor = {
  name: 'bias_relu',
  code: biasReluCode,
  entryPoint: 'main',
  bindings: [
    { name: 'x', kind: 'storage' },
    { name: 'bias', kind: 'storage-read' },
    { name: 'p', kind: 'uniform' },
  ],
  overrides: { WG: 256 },
  uniforms: [
    { name: 'rows', type: 'u32' },
    { name: 'cols', type: 'u32' },
    { name: 'relu', type: 'u32' },
    { name: 'gridX', type: 'u32' },
  ],
};

/** In place g[i] = h[i] > 0 ? g[i] : 0. Flat grid. */
export const reluBackwardKernel: KernelDescriptor = {
  name: 'relu_backward',
  code: reluBackwardCode,
  entryPoint: 'main',
  bindings: [
    { name: 'g', kind: 'storage' },
    { name: 'h', kind: 'storage-read' },
    { name: 'p', kind: 'uniform' },
  ],
  overrides: { WG: 256 },
  uniforms: [
    { name: 'count', type: 'u32' },
    { name: 'gridX', type: 'u32' },
    { name: '_pad0', type: 'u32' },
    { name: '_pad1', type: 'u32' },
  ],
};

/** Per-row cross-entropy gradient and per-workgroup loss sums; one thread per row. WG a power of two. */
export const softmaxXentKernel: KernelDescriptor = {
  name: 'softmax_xent',
  code: softmaxXentCode,
  entryPoint: 'main',
  bindings: [
    { name: 'z', kind: 'storage-read' },
    { name: 'labels', kind: 'storage-read' },
    { name: 'grad', kind: 'storage' },
    { name: 'partial', kind: 'storage' },
    { name: 'p', kind: 'uniform' },
  ],
  overrides: { WG: 64 },
  uniforms: [
    { name: 'rows', type: 'u32' },
    { name: 'cols', type: 'u32' },
    { name: 'gradScale', type: 'f32' },
    { name: 'gridX', type: 'u32' },
  ],
};

/** Column sums, one workgroup per column; `accumulate` adds to the output. WG a power of two. */
export const colSumKernel: KernelDescriptor = {
  name: 'col_sum',
  code: colSumCode,
  entryPoint: 'main',
  bindings: [
    { name: 'x', kind: 'storage-read' },
    { name: 'outp', kind: 'storage' },
    { name: 'p', kind: 'uniform' },
  ],
  overrides: { WG: 64 },
  uniforms: [
    { name: 'rows', type: 'u32' },
    { name: 'cols', type: 'u32' },
    { name: 'accumulate', type: 'u32' },
    { name: 'gridX', type: 'u32' },
  ],
};

/** In place SGD with momentum and weight decay on parameters w and velocity v. Flat grid. */
export const sgdMomentumKernel: KernelDescriptor = {
  name: 'sgd_momentum',
  code: sgdMomentumCode,
  entryPoint: 'main',
  bindings: [
    { name: 'w', kind: 'storage' },
    { name: 'v', kind: 'storage' },
    { name: 'g', kind: 'storage-read' },
    { name: 'p', kind: 'uniform' },
  ],
  overrides: { WG: 256 },
  uniforms: [
    { name: 'count', type: 'u32' },
    { name: 'gridX', type: 'u32' },
    { name: 'lr', type: 'f32' },
    { name: 'momentum', type: 'f32' },
    { name: 'weightDecay', type: 'f32' },
    { name: '_pad0', type: 'u32' },
    { name: '_pad1', type: 'u32' },
    { name: '_pad2', type: 'u32' },
  ],
};
