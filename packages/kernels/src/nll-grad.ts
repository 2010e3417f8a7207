import type { KernelDescriptor } from './descriptor.ts';
import code from './wgsl/nll_grad.wgsl';
import reduceCode from './wgsl/nll_grad_reduce.wgsl';

/** Most candidates one nllGrad dispatch handles (the shader's KMAX); the host loops over chunks. */
export const NLL_GRAD_KMAX = 8;
/** Row terms per candidate, in partial and output order: nll, ∂γ, ∂τ, ∂γγ, ∂γτ, ∂ττ. */
export const NLL_GRAD_TERMS = 6;

/**
 * Stage 1 of the calibration gradient pass: per-workgroup sums of the row NLL terms for k ≤ 8
 * candidates, given as (γ, 1/T) pairs in `cand`. LANES threads per row, WG / LANES rows per step,
 * `iters` steps per workgroup; SLOTS must equal WG·8 and fit 7·SLOTS·4 bytes of workgroup memory.
 */
export const nllGradKernel: KernelDescriptor = {
  name: 'nll-grad',
  code,
  entryPoint: 'main',
  bindings: [
    { name: 'z', kind: 'storage-read' },
    { name: 'groups', kind: 'storage-read' },
    { name: 'labels', kind: 'storage-read' },
    { name: 'cand', kind: 'storage-read' },
    { name: 'partials', kind: 'storage' },
    { name: 'p', kind: 'uniform' },
  ],
  overrides: { WG: 64, LANES: 16, SLOTS: 512 },
  uniforms: [
    { name: 'rows', type: 'u32' },
    { name: 'cols', type: 'u32' },
    { name: 'gridX', type: 'u32' },
    { name: 'iters', type: 'u32' },
    { name: 'k', type: 'u32' },
    { name: '_pad0', type: 'u32' },
    { name: '_pad1', type: 'u32' },
    { name: '_pad2', type: 'u32' },
  ],
};

/** Stage 2: sums the per-workgroup partials into (or onto, when accumulating) the 6K outputs. */
export const nllGradReduceKernel: KernelDescriptor = {
  name: 'nll-grad-reduce',
  code: reduceCode,
  entryPoint: 'main',
  bindings: [
    { name: 'partials', kind: 'storage-read' },
    { name: 'outp', kind: 'storage' },
    { name: 'p', kind: 'uniform' },
  ],
  overrides: { WG: 256 },
  uniforms: [
    { name: 'count', type: 'u32' },
    { name: 'parts', type: 'u32' },
    { name: 'offset', type: 'u32' },
    { name: 'accumulate', type: 'u32' },
  ],
};
