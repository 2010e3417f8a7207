import { createGpu, type DawnBackendName } from './dawn.ts';

/** What `doctor` prints and what the engine records about the adapter it runs on. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: 'vulkan' | 'opengles' | 'metal' | 'd3d12' | 'unknown';
  featureLevel: 'core' | 'compatibility';
  software: boolean;
  features: string[];
  limits: Record<string, number>;
  subgroupSizes: [number, number] | null;
}

/** The limits ftcal's kernels care about, requested by name from adapter.limits. */
export const LIMITS_OF_INTEREST = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'minStorageBufferOffsetAlignment',
] as const;

export const OPTIONAL_FEATURES = ['subgroups', 'timestamp-query', 'shader-f16'] as const;

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|software|microsoft basic render/i;

export interface FoundAdapter {
  adapter: GPUAdapter;
  report: AdapterReport;
}

function backendOf(requested: DawnBackendName, description: string): AdapterReport['backend'] {
  if (requested === 'vulkan' || requested === 'opengles') return requested;
  if (/vulkan/i.test(description)) return 'vulkan';
  if (/opengl/i.test(description)) return 'opengles';
  if (/metal/i.test(description)) return 'metal';
  if (/d3d12/i.test(description)) return 'd3d12';
  return process.platform === 'linux' ? 'vulkan' : 'unknown';
}

/** Requests one adapter and describes it; returns a reason string instead when none comes back. */
export async function findAdapter(
  backend: DawnBackendName,
  featureLevel: 'core' | 'compatibility',
): Promise<FoundAdapter | string> {
  let gpu: GPU;
  try {
    gpu = await createGpu(backend);
  } catch (e) {
    return `Dawn for Node could not load: ${(e as Error).message.split('\n')[0]}`;
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ featureLevel, powerPreference: 'high-performance' });
  } catch (e) {
    return `${backend} adapter request failed: ${(e as Error).message.split('\n')[0]}`;
  }
  if (!adapter) {
    return backend === 'opengles'
      ? 'no OpenGL ES adapter (install Mesa and EGL: mesa-vulkan-drivers libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri libegl-dev)'
      : `no ${featureLevel}-level ${backend === 'default' ? 'Vulkan' : backend} adapter (no GPU driver found)`;
  }
  const info = adapter.info;
  const description = info.description ?? '';
  const limits: Record<string, number> = {};
  for (const name of LIMITS_OF_INTEREST) limits[name] = Number(adapter.limits[name]);
  const features = [...adapter.features].map(String).sort();
  const core = features.includes('core-features-and-limits');
  const report: AdapterReport = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description,
    backend: backendOf(backend, description),
    featureLevel: core ? 'core' : 'compatibility',
    software:
      SOFTWARE_NAMES.test(`${info.device} ${description} ${info.vendor}`) || info.isFallbackAdapter === true,
    features,
    limits,
    subgroupSizes:
      info.subgroupMinSize !== undefined && info.subgroupMaxSize !== undefined
        ? [info.subgroupMinSize, info.subgroupMaxSize]
        : null,
  };
  return { adapter, report };
}
