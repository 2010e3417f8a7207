import type { KernelDescriptor } from './descriptor.ts';
import code from './wgsl/label_rank.wgsl';

/**
 * DESIGN.md §1.2 top-k: the label's rank among all classes (rankY, -1 when an f32 comparison across
 * the groups is too close to call and the host must decide) and within its own group (rankOwn), by
 * score z + γ·[c∈U], ties S∪O before U then lower index. LANES threads per row, WG / LANES rows per
 * workgroup (powers of two, LANES ≤ WG); gammaSign is the sign of γ − f32(γ).
 */
export const labelRankKernel: KernelDescriptor = {
  name: 'label-rank',
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
    { name: 'gamma', type: 'f32' },
    { name: 'gammaSign', type: 'i32' },
    { name: 'gridX', type: 'u32' },
    { name: '_pad0', type: 'u32' },
    { name: '_pad1', type: 'u32' },
    { name: '_pad2', type: 'u32' },
  ],
};
