import type { KernelDescriptor } from './descriptor.ts';
import code from './wgsl/row_stats.wgsl';

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

/**
 * DESIGN.md §1 row statistics, LANES threads per row and WG / LANES rows per workgroup (both powers of
 * two, LANES ≤ WG). `labels` is read only when hasLabels is 1 (bind any non-empty buffer otherwise).
 */
export const rowStatsKernel: KernelDescriptor = {
  name: 'row-stats',
  code,
  entryPoint: 'main',
  bindings: [
    { name: 'z', kind: 'storage-read' },
    { name: 'groups', kind: 'storage-read' },
    { name: 'labels', kind: 'storage-read' },
    { name: 'outp', kind: 'storage' },
    { name: 'p', kind: 'uniform' },
  ],
  overrides: { WG: 128, LANES: 32 },
  uniforms: [
    { name: 'rows', type: 'u32' },
    { name: 'cols', type: 'u32' },
    { name: 'invT', type: 'f32' },
    { name: 'hasLabels', type: 'u32' },
    { name: 'gridX', type: 'u32' },
    { name: '_pad0', type: 'u32' },
    { name: '_pad1', type: 'u32' },
    { name: '_pad2', type: 'u32' },
  ],
};
