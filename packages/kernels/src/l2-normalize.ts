import type { KernelDescriptor } from './descriptor.ts';
import { subgroupRowKernels } from './subgroup-rows.ts';
import code from './wgsl/l2_normalize.wgsl';
import subgroupBody from './wgsl/l2_normalize_subgroup.wgsl';
import subgroupScalarIo from './wgsl/l2_normalize_subgroup_scalar.wgsl';
import subgroupVec4Io from './wgsl/l2_normalize_subgroup_vec4.wgsl';

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
 * The L2 normalisation with one subgroup per row and subgroup reductions (subgroupRowKernels): the scalar-load
 * kernel for any cols, and the vec4 one for cols a multiple of 4. Same bindings and uniforms as
 * l2NormalizeKernel.
 */
export const [l2NormalizeSubgroupKernel, l2NormalizeSubgroupVec4Kernel] = subgroupRowKernels(
  'l2-normalize',
  { body: subgroupBody, scalarIo: subgroupScalarIo, vec4Io: subgroupVec4Io },
  { bindings, uniforms },
);
