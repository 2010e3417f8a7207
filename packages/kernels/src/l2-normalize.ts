import type { KernelDescriptor } from './descriptor.ts';
import code from './wgsl/l2_normalize.wgsl';
import subgroupBody from './wgsl/l2_normalize_subgroup.wgsl';
import subgroupScalarIo from './wgsl/l2_normalize_subgroup_scalar.wgsl';
import subgroupVec4Io from './wgsl/l2_normalize_subgroup_vec4.wgsl';
import subgroupSlot from './wgsl/subgroup_slot.wgsl';

const bindings = [
  { name: 'x', kind: 'storage-read' },
  { name: 'outp', kind: 'storage' },
  { name: 'p', kind: 'uniform' },
] as const;

const uniforms = [
  { name: 'rows', type: 'u32' },
  { name: 'cols', type: 'u32' },
  { name: 'gridX', type: 'u32' },
  { name: '_pad0', type: 'u32' },
] as const;

/** Each row divided by its L2 norm without subgroups (the fallback), one workgroup per row. WG must be a power of two. */
export const l2NormalizeKernel: KernelDescriptor = {
  name: 'l2-normalize',
  code,
  entryPoint: 'main',
  bindings,
  overrides: { WG: 256 },
  uniforms,
};

/**
 * The L2 normalisation with one subgroup per row and subgroup reductions, the row read once into
 * registers where it fits; any cols (scalar loads). A workgroup takes ROWS consecutive rows.
 */
export const l2NormalizeSubgroupKernel: KernelDescriptor = {
  name: 'l2-normalize-subgroup',
  code: `${subgroupSlot}\n${subgroupScalarIo}\n${subgroupBody}`,
  entryPoint: 'main',
  bindings,
  overrides: { WG: 128, ROWS: 32 },
  uniforms,
  requires: ['subgroups'],
};

/** l2NormalizeSubgroupKernel with vec4 loads and stores; valid only when cols is a multiple of 4. */
export const l2NormalizeSubgroupVec4Kernel: KernelDescriptor = {
  ...l2NormalizeSubgroupKernel,
  name: 'l2-normalize-subgroup-vec4',
  code: `${subgroupSlot}\n${subgroupVec4Io}\n${subgroupBody}`,
};
