import type { KernelDescriptor } from './descriptor.ts';
import fallback from './wgsl/nll_grad.wgsl';
import common from './wgsl/nll_grad_common.wgsl';
import reduceCode from './wgsl/nll_grad_reduce.wgsl';
import subgroup from './wgsl/nll_grad_subgroup.wgsl';
import subgroupSlot from './wgsl/subgroup_slot.wgsl';

/** Most candidates one nllGrad pipeline handles (two banks of four); the host loops over chunks. */
export const NLL_GRAD_KMAX = 8;
/** Row terms per candidate, in partial and output order: nll, ∂γ, ∂τ, ∂γγ, ∂γτ, ∂ττ. */
export const NLL_GRAD_TERMS = 6;

const stage1 = {
  entryPoint: 'main',
  bindings: [
    { name: 'z', kind: 'storage-read' },
    { name: 'groups', kind: 'storage-read' },
    { name: 'labels', kind: 'storage-read' },
    { name: 'cand', kind: 'storage-read' },
    { name: 'partials', kind: 'storage' },
    { name: 'p', kind: 'uniform' },
  ],
  uniforms: [
    { name: 'rows', type: 'u32' },
    { name: 'cols', type: 'u32' },
    { name: 'gridX', type: 'u32' },
    { name: 'rowsPerGroup', type: 'u32' },
  ],
} as const;

/**
 * Stage 1 of the calibration gradient pass without subgroups: per-workgroup sums of the row terms of K
 * candidates (an override, 1–8), given as γ and 1/T banks in `cand`. LANES threads per row, WG / LANES
 * rows at a time, `rowsPerGroup` rows per workgroup; SLOTS must equal 2·WG.
 */
export const nllGradKernel: KernelDescriptor = {
  name: 'nll-grad',
  code: `${common}\n${fallback}`,
  ...stage1,
  overrides: { K: 8, WG: 64, LANES: 8, SLOTS: 128 },
};

/**
 * Stage 1 with one subgroup per row (the device's `subgroups` feature): the same partials, for any
 * subgroup size. SLOTS must equal 2·WG/4.
 */
export const nllGradSubgroupKernel: KernelDescriptor = {
  name: 'nll-grad-subgroup',
  code: `${subgroupSlot}\n${common}\n${subgroup}`,
  ...stage1,
  overrides: { K: 8, WG: 128, SLOTS: 64 },
  requires: ['subgroups'],
};

/** Stage 2: sums per-workgroup partials (or per-chunk slots) into `count` outputs at `offset`. */
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
    { name: '_pad0', type: 'u32' },
  ],
};
