import type { KernelDescriptor } from './descriptor.ts';
import code from './wgsl/l2_normalize.wgsl';

/** Each row divided by its L2 norm, one workgroup per row. WG must be a power of two. */
export const l2NormalizeKernel: KernelDescriptor = {
  name: 'l2-normalize',
  code,
  entryPoint: 'main',
  bindings: [
    { name: 'x', kind: 'storage-read' },
    { name: 'outp', kind: 'storage' },
    { name: 'p', kind: 'uniform' },
  ],
  overrides: { WG: 256 },
  uniforms: [
    { name: 'rows', type: 'u32' },
    { name: 'cols', type: 'u32' },
    { name: 'gridX', type: 'u32' },
    { name: '_pad0', type: 'u32' },
  ],
};
