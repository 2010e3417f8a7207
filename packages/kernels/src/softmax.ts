import type { KernelDescriptor } from './descriptor.ts';
import { subgroupRowKernels } from './subgroup-rows.ts';
import code from './wgsl/softmax.wgsl';
import subgroupBody from './wgsl/softmax_subgroup.wgsl';
import subgroupScalarIo from './wgsl/softmax_subgroup_scalar.wgsl';
import subgroupVec4Io from './wgsl/softmax_subgroup_vec4.wgsl';

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
 * The softmax with one subgroup per row and subgroup reductions (subgroupRowKernels): the scalar-load
 * kernel for any cols, and the vec4 one for cols a multiple of 4. Same bindings and uniforms as
 * softmaxKernel.
 */
export const [softmaxSubgroupKernel, softmaxSubgroupVec4Kernel] = subgroupRowKernels(
  'softmax',
  { body: subgroupBody, scalarIo: subgroupScalarIo, vec4Io: subgroupVec4Io },
  { bindings, uniforms },
);
