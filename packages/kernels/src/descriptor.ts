/** How a binding is declared in the shader; core builds the bind group layout from this list. */
export type BindingKind = 'storage-read' | 'storage' | 'uniform';

export interface BindingDescriptor {
  /** Name of the `var` in the WGSL source, for error messages and tests. */
  readonly name: string;
  readonly kind: BindingKind;
}

/**
 * Everything the host needs to run one WGSL entry point: the source, the bindings in @binding order
 * (all in @group(0)), the pipeline-overridable constants and their defaults, and the uniform layout.
 */
export interface KernelDescriptor {
  readonly name: string;
  readonly code: string;
  readonly entryPoint: string;
  readonly bindings: readonly BindingDescriptor[];
  /** Pipeline-overridable constants (WGSL `override`) with the defaults the host uses unless told otherwise. */
  readonly overrides: Readonly<Record<string, number>>;
  /** Field names of the uniform struct, in order; every field is 4 bytes (u32, i32 or f32). */
  readonly uniforms: readonly UniformField[];
  /** Features the shader needs (`enable` directives); the host picks another variant when one is missing. */
  readonly requires?: readonly GPUFeatureName[];
}

export interface UniformField {
  readonly name: string;
  readonly type: 'u32' | 'i32' | 'f32';
}

/** Class-group codes used by every kernel that reads a per-class group array. */
export const GROUP_SEEN = 0;
export const GROUP_ABSENT = 1;
export const GROUP_OTHER = 2;
