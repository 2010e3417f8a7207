import type { KernelDescriptor } from './descriptor.ts';
import code from './wgsl/softmax.wgsl';
import subgroupBody from './wgsl/softmax_subgroup.wgsl';
import subgroupScalarIo from './wgsl/softmax_subgroup_scalar.wgsl';
import subgroupVec4Io from './wgsl/softmax_subgroup_vec4.wgsl';
import subgroupSlot from './wgsl/subgroup_slot.wgsl';

const bindings = [
  { name: 'z', kind: 'storage-read' },
  { name: 'groups', kind: 'storage-read' },
  { name: 'outp', kind: 'storage' },
  { name: 'p', kind: 'uniform' },
] as const;

const uniforms = [
  { name: 'rows', type: 'u32' },
  { name: 'cols', type: 'u32' },
  { name: 'gamma', type: 'f32' },
  { name: 'invT', type: 'f32' },
  { name: 'logOut', type: 'u32' },
  { name: 'gridX', type: 'u32' },
  { name: '_pad0', type: 'u32' },
  { name: '_pad1', type: 'u32' },
] as const;

/**
 * Row softmax / log-softmax of (z + γ·[c∈U]) / T without subgroups (the fallback): LANES threads per
 * row and WG / LANES rows per workgroup (both powers of two, LANES ≤ WG).
 */
export const softmaxKernel: KernelDescriptor = {
  name: 'softmax',
  code,
  entryPoint: 'main',
  bindings,
  overrides: { WG: 128, LANES: 128 },
  uniforms,
};

/**
 * The softmax with one subgroup per row and subgroup reductions, the row read once into registers where
 * it fits; any cols (scalar loads). A workgroup takes ROWS consecutive rows. Same bindings and uniforms
 * as softmaxKernel.
 */
export const softmaxSubgroupKernel: KernelDescriptor = {
  name: 'softmax-subgroup',
  code: `${subgroupSlot}\n${subgroupScalarIo}\n${subgroupBody}`,
  entryPoint: 'main',
  bindings,
  overrides: { WG: 128, ROWS: 32 },
  uniforms,
  requires: ['subgroups'],
};

/** softmaxSubgroupKernel with vec4 loads and stores; valid only when cols is a multiple of 4. */
export const softmaxSubgroupVec4Kernel: KernelDescriptor = {
  ...softmaxSubgroupKernel,
  name: 'softmax-subgroup-vec4',
  code: `${subgroupSlot}\n${subgroupVec4Io}\n${subgroupBody}`,
};
