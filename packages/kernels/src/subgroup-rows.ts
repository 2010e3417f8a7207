import type { BindingDescriptor, KernelDescriptor, UniformField } from './descriptor.ts';
import subgroupSlot from './wgsl/subgroup_slot.wgsl';

/** The WGSL parts of a row family's subgroup kernels: one body, and its loads over scalars or vec4s. */
export interface SubgroupRowParts {
  readonly body: string;
  readonly scalarIo: string;
  readonly vec4Io: string;
}

/**
 * The two subgroup kernels of a row family (row statistics, softmax, L2 normalisation): one subgroup
 * per row, ROWS consecutive rows per workgroup, the slot claim of subgroup_slot.wgsl before the body.
 * `<name>-subgroup` takes any cols (scalar loads); `<name>-subgroup-vec4` the same body over vec4
 * loads, valid only when cols is a multiple of 4. Both have the family's bindings and uniforms, so one
 * driver runs either, or the fallback.
 */
export function subgroupRowKernels(
  name: string,
  parts: SubgroupRowParts,
  layout: { bindings: readonly BindingDescriptor[]; uniforms: readonly UniformField[] },
): [scalar: KernelDescriptor, vec4: KernelDescriptor] {
  const kernel = (suffix: string, io: string): KernelDescriptor => ({
    name: `${name}-${suffix}`,
    code: `${subgroupSlot}\n${io}\n${parts.body}`,
    entryPoint: 'main',
    bindings: layout.bindings,
    overrides: { WG: 128, ROWS: 32 },
    uniforms: layout.uniforms,
    requires: ['subgroups'],
  });
  return [kernel('subgroup', parts.scalarIo), kernel('subgroup-vec4', parts.vec4Io)];
}
