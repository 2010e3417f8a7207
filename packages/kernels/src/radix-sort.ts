import type { KernelDescriptor } from './descriptor.ts';
import code from './wgsl/radix_sort.wgsl';
import blocksCode from './wgsl/radix_sort_blocks.wgsl';
import scanCode from './wgsl/radix_sort_scan.wgsl';

/** Bits per radix pass; a full sort of 32-bit keys takes 32 / RADIX_SORT_DIGIT_BITS passes. */
export const RADIX_SORT_DIGIT_BITS = 8;

/** Keys each thread of the histogram and scatter kernels takes: a tile is WG · RADIX_SORT_ITEMS keys. */
export const RADIX_SORT_ITEMS = 16;

/** `mode` uniform: first pass (maps f32 bits, value = index), a middle pass, last pass (writes raw bits). */
export const RADIX_SORT_MODE = { first: 0, middle: 1, last: 2 } as const;

const passBindings = [
  { name: 'original', kind: 'storage-read' },
  { name: 'keysIn', kind: 'storage-read' },
  { name: 'valsIn', kind: 'storage-read' },
  { name: 'counts', kind: 'storage' },
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
 * Per-tile counts of one pass's 8-bit digits, written digit-major (counts[d·numTiles + tile]). A tile is
 * WG·16 consecutive keys (WG a power of two, at most 4096 keys: indices in a tile are packed in 16 bits).
 */
export const radixSortHistogramKernel: KernelDescriptor = {
  name: 'radix-sort-histogram',
  code,
  entryPoint: 'histogram',
  bindings: passBindings,
  overrides: { WG: 128 },
  uniforms: passUniforms,
};

/**
 * Stable scatter of one pass: the tile sorted by digit in workgroup memory (98·WG + 1,056 bytes of it),
 * then written out from the scanned counts, in runs of one digit. Same bindings, uniforms and tiles as
 * the histogram.
 */
export const radixSortScatterKernel: KernelDescriptor = {
  name: 'radix-sort-scatter',
  code,
  entryPoint: 'scatter',
  bindings: passBindings,
  overrides: { WG: 128 },
  uniforms: passUniforms,
};

const blockBindings = [
  { name: 'counts', kind: 'storage' },
  { name: 'sums', kind: 'storage' },
  { name: 'p', kind: 'uniform' },
] as const;

const blockUniforms = [
  { name: 'm', type: 'u32' },
  { name: 'blocks', type: 'u32' },
  { name: 'gridX', type: 'u32' },
  { name: '_pad0', type: 'u32' },
] as const;

/** Counts per scan block: WG · 4 of the multi-workgroup scan. */
export const RADIX_SORT_SCAN_BLOCK = 1024;

/** First step of the multi-workgroup scan: sums[b] = the sum of block b's counts (one workgroup per block). */
export const radixSortReduceKernel: KernelDescriptor = {
  name: 'radix-sort-reduce',
  code: blocksCode,
  entryPoint: 'reduce',
  bindings: blockBindings,
  overrides: { WG: 256 },
  uniforms: blockUniforms,
};

/** Last step: each block of counts rescanned in place from its scanned sum (one workgroup per block). */
export const radixSortDownsweepKernel: KernelDescriptor = {
  name: 'radix-sort-downsweep',
  code: blocksCode,
  entryPoint: 'downsweep',
  bindings: blockBindings,
  overrides: { WG: 256 },
  uniforms: blockUniforms,
};

/** Exclusive scan of m values in place by one workgroup (dispatch exactly 1): the block sums. */
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
