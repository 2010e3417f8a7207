import type { KernelDescriptor } from './descriptor.ts';
import code from './wgsl/row_stats.wgsl';
import subgroupBody from './wgsl/row_stats_subgroup.wgsl';
import subgroupScalarIo from './wgsl/row_stats_subgroup_scalar.wgsl';
import subgroupVec4Io from './wgsl/row_stats_subgroup_vec4.wgsl';
import subgroupSlot from './wgsl/subgroup_slot.wgsl';

/** The kernel's output fields, in buffer order: field f of row r is word f·rows + r. */
export const ROW_STATS_FIELDS = [
  'maxSO',
  'argSO',
  'maxU',
  'argU',
  'maxS',
  'argS',
  'label',
  'sumS',
  'sumU',
  'lseSO',
  'lseU',
  'logSqSO',
  'logSqU',
] as const;

const bindings = [
  { name: 'z', kind: 'storage-read' },
  { name: 'groups', kind: 'storage-read' },
  { name: 'labels', kind: 'storage-read' },
  { name: 'outp', kind: 'storage' },
  { name: 'p', kind: 'uniform' },
] as const;

const uniforms = [
  { name: 'rows', type: 'u32' },
  { name: 'cols', type: 'u32' },
  { name: 'invT', type: 'f32' },
  { name: 'hasLabels', type: 'u32' },
  { name: 'gridX', type: 'u32' },
  { name: '_pad0', type: 'u32' },
  { name: '_pad1', type: 'u32' },
  { name: '_pad2', type: 'u32' },
] as const;

/**
 * DESIGN.md §1 row statistics without subgroups (the fallback), LANES threads per row and WG / LANES rows per workgroup (both powers of
 * two, LANES ≤ WG). `labels` is read only when hasLabels is 1 (bind any non-empty buffer otherwise).
 */
export const rowStatsKernel: KernelDescriptor = {
  name: 'row-stats',
  code,
  entryPoint: 'main',
  bindings,
  overrides: { WG: 128, LANES: 32 },
  uniforms,
};

/**
 * The row statistics with one subgroup per row and subgroup reductions (no workgroup memory per row),
 * for any cols: four scalar loads per quad. A workgroup takes ROWS consecutive rows. Same bindings,
 * uniforms and output as rowStatsKernel.
 */
export const rowStatsSubgroupKernel: KernelDescriptor = {
  name: 'row-stats-subgroup',
  code: `${subgroupSlot}\n${subgroupScalarIo}\n${subgroupBody}`,
  entryPoint: 'main',
  bindings,
  overrides: { WG: 128, ROWS: 32 },
  uniforms,
  requires: ['subgroups'],
};

/** rowStatsSubgroupKernel with vec4 loads of logits and group codes; valid only when cols is a multiple of 4. */
export const rowStatsSubgroupVec4Kernel: KernelDescriptor = {
  ...rowStatsSubgroupKernel,
  name: 'row-stats-subgroup-vec4',
  code: `${subgroupSlot}\n${subgroupVec4Io}\n${subgroupBody}`,
};
