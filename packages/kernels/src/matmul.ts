import type { KernelDescriptor, UniformField } from './descriptor.ts';
import smallCode from './wgsl/matmul_small.wgsl';
import tiledBody from './wgsl/matmul_tiled.wgsl';
import tiledScalarIo from './wgsl/matmul_tiled_scalar.wgsl';
import tiledVec4Io from './wgsl/matmul_tiled_vec4.wgsl';

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

/**
 * Tiled matmul for any shape (scalar, bounds-checked global loads). TRANS_A / TRANS_B (0 or 1) select the
 * stored layouts; the grid is ⌈N/64⌉ × ⌈M/64⌉ × batch entries.
 */
export const matmulTiledKernel: KernelDescriptor = {
  name: 'matmul-tiled',
  code: `${tiledScalarIo}\n${tiledBody}`,
  entryPoint: 'main',
  bindings,
  overrides: { TRANS_A: 0, TRANS_B: 0 },
  uniforms: shapeUniforms,
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
  uniforms: shapeUniforms,
};

/**
 * GEMV-like matmul for small M or N: one workgroup of WG threads reduces along K for a BR×BC block of C
 * (BR·BC = 8). The grid is ⌈M/BR⌉·⌈N/BC⌉ blocks, split over x and y (gridX per row), × batch entries.
 */
export const matmulSmallKernel: KernelDescriptor = {
  name: 'matmul-small',
  code: smallCode,
  entryPoint: 'main',
  bindings,
  overrides: { TRANS_A: 0, TRANS_B: 0, WG: 64, BR: 8, BC: 1 },
  uniforms: [
    ...shapeUniforms,
    { name: 'gridX', type: 'u32' },
    { name: '_pad0', type: 'u32' },
    { name: '_pad1', type: 'u32' },
    { name: '_pad2', type: 'u32' },
  ],
};
