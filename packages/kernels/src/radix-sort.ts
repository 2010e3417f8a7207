import type { KernelDescriptor } from './descriptor.ts';
import code from './wgsl/radix_sort.wgsl';
import scanCode from './wgsl/radix_sort_scan.wgsl';

/** Bits per radix pass; a full sort of 32-bit keys takes 32 / RADIX_SORT_DIGIT_BITS passes. */
export const RADIX_SORT_DIGIT_BITS = 4;

/** `mode` uniform: first pass (maps f32 bits, value = index), a middle pass, last pass (writes raw bits). */
export const RADIX_SORT_MODE = { first: 0, middle: 1, last: 2 } as const;

const passBindings = [
  { name: 'keysIn', kind: 'storage-read' },
  { name: 'valsIn', kind: 'storage-read' },
  { name: 'counts', kind: 'storage' },
  { name: 'prefix', kind: 'storage' },
  { name: 'keysOut', kind: 'storage' },
  { name: 'valsOut', kind: 'storage' },
  { name: 'p', kind: 'uniform' },
] as const;

const passUniforms = [
  { name: 'n', type: 'u32' },
  { name: 'shift', type: 'u32' },
  { name: 'mode', type: 'u32' },
  { name: 'numTiles', type: 'u32' },
  { name: 'gridX', type: 'u32' },
  { name: '_pad0', type: 'u32' },
  { name: '_pad1', type: 'u32' },
  { name: '_pad2', type: 'u32' },
] as const;

/**
 * Per-tile digit counts of one radix pass, written digit-major (counts[d·numTiles + tile]), and each
 * thread's exclusive per-digit prefix in its tile (`prefix`, 32 bytes per thread). A tile is WG·ITEMS
 * consecutive keys and must stay below 65536 (16-bit packed counters).
 */
export const radixSortHistogramKernel: KernelDescriptor = {
  name: 'radix-sort-histogram',
  code,
  entryPoint: 'histogram',
  bindings: passBindings,
  overrides: { WG: 128, ITEMS: 32 },
  uniforms: passUniforms,
};

/** Stable scatter of one radix pass from the scanned counts and the prefixes; same bindings and tiles. */
export const radixSortScatterKernel: KernelDescriptor = {
  name: 'radix-sort-scatter',
  code,
  entryPoint: 'scatter',
  bindings: passBindings,
  overrides: { WG: 128, ITEMS: 32 },
  uniforms: passUniforms,
};

/** Exclusive scan of the m tile counts in place, one workgroup (dispatch exactly 1). */
export const radixSortScanKernel: KernelDescriptor = {
  name: 'radix-sort-scan',
  code: scanCode,
  entryPoint: 'main',
  bindings: [
    { name: 'counts', kind: 'storage' },
    { name: 'p', kind: 'uniform' },
  ],
  overrides: { WG: 256 },
  uniforms: [
    { name: 'm', type: 'u32' },
    { name: '_pad0', type: 'u32' },
    { name: '_pad1', type: 'u32' },
    { name: '_pad2', type: 'u32' },
  ],
};
