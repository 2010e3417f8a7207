import type { KernelDescriptor, UniformField } from './descriptor.ts';
import smallCode from './wgsl/matmul_small.wgsl';
import smallCommon from './wgsl/matmul_small_common.wgsl';
import smallSubgroupCode from './wgsl/matmul_small_subgroup.wgsl';
import tiledBody from './wgsl/matmul_tiled.wgsl';
import tiledScalarIo from './wgsl/matmul_tiled_scalar.wgsl';
import tiledVec4Io from './wgsl/matmul_tiled_vec4.wgsl';
import tiled128Code from './wgsl/matmul_tiled128.wgsl';
import subgroupSlot from './wgsl/subgroup_slot.wgsl';

/** Every matmul variant binds the same buffers: A, B, bias (a 4-byte placeholder without one), C, uniforms. */
const bindings = [
  { name: 'a', kind: 'storage-read' },
  { name: 'b', kind: 'storage-read' },
  { name: 'bias', kind: 'storage-read' },
  { name: 'c', kind: 'storage' },
  { name: 'p', kind: 'uniform' },
] as const;

/** Shape fields shared by the variants; strides are per batch entry in f32 elements (bStride 0: shared B). */
const shapeUniforms: readonly UniformField[] = [
  { name: 'M', type: 'u32' },
  { name: 'N', type: 'u32' },
  { name: 'K', type: 'u32' },
  { name: 'aStride', type: 'u32' },
  { name: 'bStride', type: 'u32' },
  { name: 'cStride', type: 'u32' },
  { name: 'hasBias', type: 'u32' },
  { name: 'batch0', type: 'u32' },
];

/** Rows and columns of C one tiled workgroup computes; the host sizes its grid with these. */
export const MATMUL_TILE = { rows: 64, cols: 64 } as const;

/** Rows and columns of C one matmulTiled128Kernel workgroup computes (256 threads). */
export const MATMUL_TILE_128 = { rows: 128, cols: 128, workgroupBytes: 32768 } as const;

/** The tiled kernels' grid may start past row 0 and column 0 of C (the edge strips of the 128 kernel). */
const tiledUniforms: readonly UniformField[] = [
  ...shapeUniforms,
  { name: 'rowOff', type: 'u32' },
  { name: 'colOff', type: 'u32' },
  { name: '_pad0', type: 'u32' },
  { name: '_pad1', type: 'u32' },
];

/**
 * Tiled matmul for any shape (scalar, bounds-checked global loads). TRANS_A / TRANS_B (0 or 1) select the
 * stored layouts; the grid is ⌈(N − colOff)/64⌉ × ⌈(M − rowOff)/64⌉ × batch entries.
 */
export const matmulTiledKernel: KernelDescriptor = {
  name: 'matmul-tiled',
  code: `${tiledScalarIo}\n${tiledBody}`,
  entryPoint: 'main',
  bindings,
  overrides: { TRANS_A: 0, TRANS_B: 0 },
  uniforms: tiledUniforms,
};

/**
 * The tiled matmul with vec4 global loads. Valid only when the stored row length of A (K, or M when
 * transA) and of B (N, or K when transB) are multiples of 4; same grid as matmulTiledKernel.
 */
export const matmulTiledVec4Kernel: KernelDescriptor = {
  name: 'matmul-tiled-vec4',
  code: `${tiledVec4Io}\n${tiledBody}`,
  entryPoint: 'main',
  bindings,
  overrides: { TRANS_A: 0, TRANS_B: 0 },
  uniforms: tiledUniforms,
};

/**
 * The 128×128-tile matmul (256 threads, double-buffered 32 KiB of workgroup memory, vec4 loads) on the
 * ⌊M/128⌋ × ⌊N/128⌋ whole tiles of C; the host runs matmulTiledVec4Kernel on what is left. Valid when
 * vec4 loads are (stored rows of A and B multiples of 4). The grid holds tilesM·tilesN workgroups,
 * split over x and y (gridX per row), × batch entries; workgroups map to tiles in groups of 8 tile rows.
 */
export const matmulTiled128Kernel: KernelDescriptor = {
  name: 'matmul-tiled128',
  code: tiled128Code,
  entryPoint: 'main',
  bindings,
  overrides: { TRANS_A: 0, TRANS_B: 0 },
  uniforms: [
    ...shapeUniforms,
    { name: 'tilesM', type: 'u32' },
    { name: 'tilesN', type: 'u32' },
    { name: 'gridX', type: 'u32' },
    { name: '_pad0', type: 'u32' },
  ],
};

/**
 * GEMV-like matmul for small M or N: one workgroup of WG threads reduces along K for a BR×BC block of C
 * (BR·BC = 8). The grid is ⌈M/BR⌉·⌈N/BC⌉ blocks, split over x and y (gridX per row), × batch entries.
 */
const smallUniforms: readonly UniformField[] = [
  ...shapeUniforms,
  { name: 'gridX', type: 'u32' },
  { name: '_pad0', type: 'u32' },
  { name: '_pad1', type: 'u32' },
  { name: '_pad2', type: 'u32' },
];

export const matmulSmallKernel: KernelDescriptor = {
  name: 'matmul-small',
  code: `${smallCommon}\n${smallCode}`,
  entryPoint: 'main',
  bindings,
  overrides: { TRANS_A: 0, TRANS_B: 0, WG: 64, BR: 8, BC: 1 },
  uniforms: smallUniforms,
};

/**
 * matmulSmallKernel with one subgroup per BR×BC block and subgroupAdd instead of a workgroup tree: a
 * workgroup takes BLOCKS consecutive blocks, so the grid is ⌈blocks / BLOCKS⌉ workgroups (x and y) ×
 * batch entries.
 */
export const matmulSmallSubgroupKernel: KernelDescriptor = {
  name: 'matmul-small-subgroup',
  code: `${subgroupSlot}\n${smallCommon}\n${smallSubgroupCode}`,
  entryPoint: 'main',
  bindings,
  overrides: { TRANS_A: 0, TRANS_B: 0, WG: 128, BLOCKS: 32, BR: 8, BC: 1 },
  uniforms: smallUniforms,
  requires: ['subgroups'],
};
