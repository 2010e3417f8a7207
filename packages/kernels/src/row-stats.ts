import type { KernelDescriptor } from './descriptor.ts';
import { subgroupRowKernels } from './subgroup-rows.ts';
import code from './wgsl/row_stats.wgsl';
import subgroupBody from './wgsl/row_stats_subgroup.wgsl';
import subgroupScalarIo from './wgsl/row_stats_subgroup_scalar.wgsl';
import subgroupVec4Io from './wgsl/row_stats_subgroup_vec4.wgsl';

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
 * The row statistics with one subgroup per row and subgroup reductions (subgroupRowKernels): the scalar-load
 * kernel for any cols, and the vec4 one for cols a multiple of 4. Same bindings and uniforms as
 * rowStatsKernel.
 */
export const [rowStatsSubgroupKernel, rowStatsSubgroupVec4Kernel] = subgroupRowKernels(
  'row-stats',
  { body: subgroupBody, scalarIo: subgroupScalarIo, vec4Io: subgroupVec4Io },
  { bindings, uniforms },
);
