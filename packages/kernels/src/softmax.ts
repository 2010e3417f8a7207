import type { KernelDescriptor } from './descriptor.ts';
import code from './wgsl/softmax.wgsl';

/** Row softmax / log-softmax of (z + γ·[c∈U]) / T. WG must be a power of two. */
export const softmaxKernel: KernelDescriptor = {
  name: 'softmax',
  code,
  entryPoint: 'main',
  bindings: [
    { name: 'z', kind: 'storage-read' },
    { name: 'groups', kind: 'storage-read' },
    { name: 'outp', kind: 'storage' },
    { name: 'p', kind: 'uniform' },
  ],
  overrides: { WG: 128 },
  uniforms: [
    { name: 'rows', type: 'u32' },
    { name: 'cols', type: 'u32' },
    { name: 'gamma', type: 'f32' },
    { name: 'invT', type: 'f32' },
    { name: 'logOut', type: 'u32' },
    { name: 'gridX', type: 'u32' },
    { name: '_pad0', type: 'u32' },
    { name: '_pad1', type: 'u32' },
  ],
};
