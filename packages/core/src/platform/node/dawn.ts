import type { GpuBackendName } from '../platform.ts';

/**
 * Loads Dawn for Node (the `webgpu` package) lazily, so the CPU path works on machines where the native
 * addon or its system libraries are missing. The import failure is kept as a reason for `doctor`.
 */
type DawnModule = { create(flags: string[]): GPU; globals: Record<string, unknown> };

let loaded: Promise<DawnModule> | undefined;

export function loadDawn(): Promise<DawnModule> {
  loaded ??= import('webgpu').then((m) => {
    const mod = m as unknown as DawnModule;
    // WebGPU constants (GPUBufferUsage, …) live on globalThis in browsers; Dawn for Node exports them.
    for (const [k, v] of Object.entries(mod.globals)) {
      if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    }
    return mod;
  });
  return loaded;
}

/**
 * Instances live as long as the process: if a Dawn instance is garbage-collected while a device made
 * from it is still in use, Dawn's worker threads abort the process (seen with the OpenGL ES backend).
 */
const instances = new Map<GpuBackendName, GPU>();

/** The GPU instance for one Dawn backend. OpenGL ES without a display needs EGL's surfaceless platform. */
export async function createGpu(backend: GpuBackendName): Promise<GPU> {
  const dawn = await loadDawn();
  let gpu = instances.get(backend);
  if (!gpu) {
    if (backend === 'opengles') process.env.EGL_PLATFORM ??= 'surfaceless';
    gpu = dawn.create(backend === 'default' ? [] : [`backend=${backend}`]);
    instances.set(backend, gpu);
  }
  return gpu;
}
