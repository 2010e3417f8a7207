import type { KernelDescriptor, UniformField } from './descriptor.ts';
import code from './wgsl/linear_xent.wgsl';
import maskFillCode from './wgsl/mask_fill.wgsl';

const bindings = [
  { name: 'src', kind: 'storage-read' },
  { name: 'coef', kind: 'storage-read' },
  { name: 'labels', kind: 'storage-read' },
  { name: 'outG', kind: 'storage' },
  { name: 'outH', kind: 'storage' },
  { name: 'loss', kind: 'storage' },
  { name: 'p', kind: 'uniform' },
] as const;

const uniforms: readonly UniformField[] = [
  { name: 'rows', type: 'u32' },
  { name: 'cols', type: 'u32' },
  { name: 'gridX', type: 'u32' },
  { name: '_pad0', type: 'u32' },
];

/** Floats of `coef` per class: a, b, da, db and the mask (1 = the class scores −∞). */
export const LINEAR_XENT_COEFS = 5;

/**
 * The linear family's fused softmax-minus-one-hot (DESIGN.md §1.1): per row, G = softmax(s) − onehot(y)
 * and the row's cross-entropy. DIAG = 0 reads s from `src` and writes G to outG; DIAG = 1 forms
 * s = a∘x + b from x in `src` and writes G∘x to outG and G to outH. LANES threads per row (powers of two,
 * LANES ≤ WG).
 */
export const linearXentGradKernel: KernelDescriptor = {
  name: 'linear-xent-grad',
  code,
  entryPoint: 'grad',
  bindings,
  overrides: { WG: 128, LANES: 16, DIAG: 0 },
  uniforms,
};

/**
 * Its Hessian-vector product: dG = p∘(ds − ⟨p, ds⟩) per row. DIAG = 0 reads ds from outG and overwrites
 * it with dG; DIAG = 1 forms ds = da∘x + db and writes dG∘x to outG and dG to outH.
 */
export const linearXentHvpKernel: KernelDescriptor = {
  name: 'linear-xent-hvp',
  code,
  entryPoint: 'hvp',
  bindings,
  overrides: { WG: 128, LANES: 16, DIAG: 0 },
  uniforms,
};

/** In place out[i] = fill where z[i] = −∞ (a full map's masked logits: 0 in x for the matmul, −∞ in s). */
export const maskFillKernel: KernelDescriptor = {
  name: 'mask-fill',
  code: maskFillCode,
  entryPoint: 'main',
  bindings: [
    { name: 'z', kind: 'storage-read' },
    { name: 'outp', kind: 'storage' },
    { name: 'p', kind: 'uniform' },
  ],
  overrides: { WG: 256 },
  uniforms: [
    { name: 'count', type: 'u32' },
    { name: 'gridX', type: 'u32' },
    { name: 'fill', type: 'f32' },
    { name: '_pad0', type: 'u32' },
  ],
};
