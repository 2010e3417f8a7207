import { existsSync } from 'node:fs';
import type { GpuBackendName } from '../platform.ts';

/**
 * Loads Dawn for Node (the `webgpu` package) lazily, so the CPU path works on machines where the native
 * addon or its system libraries are missing. The import failure is kept as a reason for `doctor`.
 */
type DawnModule = { create(flags: string[]): GPU; globals: Record<string, unknown> };

let loaded: Promise<DawnModule> | undefined;

export function loadDawn(): Promise<DawnModule> {
  loaded ??= import('webgpu').then(
    (m) => {
      const mod = m as unknown as DawnModule;
      // WebGPU constants (GPUBufferUsage, …) live on globalThis in browsers; Dawn for Node exports them.
      for (const [k, v] of Object.entries(mod.globals)) {
        if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
      }
      return mod;
    },
    (e: unknown) => {
      if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
        throw new Error('Dawn for Node is not installed (npm install webgpu@^0.6.2 beside @ftcal/core)');
      }
      throw new Error(`Dawn for Node could not load: ${e instanceof Error ? e.message : String(e)}`);
    },
  );
  return loaded;
}

/**
 * Dawn quantizes timestamp queries (to 65.5 µs on SwiftShader) unless told not to; ftcal's only reader
 * of timestamps is the benchmark's pass timer, which needs them exact, and quantization guards against
 * timing attacks by web pages, which a Node process does not host. The toggle is `timestamp_quantization`
 * (on by default) in the Dawn of webgpu 0.6; older Dawn called it `disable_timestamp_quantization`
 * (off by default). Dawn ignores toggle names it does not know, so both are passed.
 *
 * Workgroup memory is zeroed by the shader's own loop (Tint's), not through Vulkan's
 * VK_KHR_zero_initialize_workgroup_memory: SwiftShader's implementation of that extension made pipeline
 * creation grow with the workgroup memory (measured: 27 s for the radix scatter's 13 KiB and 47 s for the
 * 32 KiB matmul, against about 1 s each with the loop), and the loop costs a GPU one write per word.
 * One flag per kind: each names every toggle of that kind, comma-separated.
 */
const TOGGLES = [
  'disable-dawn-features=timestamp_quantization,use_vulkan_zero_initialize_workgroup_memory_extension',
  'enable-dawn-features=disable_timestamp_quantization',
];

/**
 * Where SwiftShader's Vulkan driver manifest is: FTCAL_SWIFTSHADER_ICD, else where Chromium's and
 * Chrome's packages install it (Debian and Ubuntu, Fedora, Google's .deb and .rpm).
 */
const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/usr/lib64/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

export function swiftShaderIcd(): string {
  const given = process.env.FTCAL_SWIFTSHADER_ICD;
  if (given) {
    if (!existsSync(given)) throw new Error(`FTCAL_SWIFTSHADER_ICD names ${given}, which does not exist`);
    return given;
  }
  const found = SWIFTSHADER_ICDS.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      "SwiftShader's Vulkan driver was not found (install chromium, which ships vk_swiftshader_icd.json, or set FTCAL_SWIFTSHADER_ICD to its path)",
    );
  }
  return found;
}

const DRIVER_VARS = ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES'] as const;

/**
 * Dawn's Vulkan backend on SwiftShader alone. The Vulkan loader takes its driver list from VK_DRIVER_FILES
 * (or the older VK_ICD_FILENAMES) when Dawn first looks for adapters, so both name SwiftShader's manifest
 * for that first request only, as Dawn itself does for the SwiftShader it can bundle; then they are put
 * back, and other instances (the default backend's hardware adapters) keep the system's drivers.
 */
async function swiftShaderGpu(dawn: DawnModule): Promise<GPU> {
  const icd = swiftShaderIcd();
  const saved = DRIVER_VARS.map((name) => process.env[name]);
  for (const name of DRIVER_VARS) process.env[name] = icd;
  try {
    const gpu = dawn.create(['backend=vulkan', ...TOGGLES]);
    await gpu.requestAdapter({ featureLevel: 'compatibility' });
    return gpu;
  } finally {
    DRIVER_VARS.forEach((name, i) => {
      if (saved[i] === undefined) delete process.env[name];
      else process.env[name] = saved[i];
    });
  }
}

/**
 * Instances live as long as the process: if a Dawn instance is garbage-collected while a device made
 * from it is still in use, Dawn's worker threads abort the process (seen with the OpenGL ES backend).
 */
const instances = new Map<GpuBackendName, Promise<GPU>>();

/** The GPU instance for one Dawn backend. OpenGL ES without a display needs EGL's surfaceless platform. */
export function createGpu(backend: GpuBackendName): Promise<GPU> {
  let gpu = instances.get(backend);
  if (!gpu) {
    gpu = loadDawn().then((dawn) => {
      if (backend === 'swiftshader') return swiftShaderGpu(dawn);
      if (backend === 'opengles') process.env.EGL_PLATFORM ??= 'surfaceless';
      return dawn.create(backend === 'default' ? TOGGLES : [`backend=${backend}`, ...TOGGLES]);
    });
    // A failed attempt (SwiftShader not installed yet) is not remembered.
    gpu.catch(() => instances.delete(backend));
    instances.set(backend, gpu);
  }
  return gpu;
}
