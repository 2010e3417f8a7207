import { platform } from '#platform';
import type { AdapterRoute, GpuBackendName } from '../platform/platform.ts';

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

/**
 * What ftcal's kernels need from a device: workgroups of up to 256 invocations along x (the largest WG
 * any kernel or driver uses; WebGPU's core defaults), the most storage buffers one kernel binds (the
 * radix sort's 6), and nll-grad's 14 KiB of workgroup memory. A compatibility-level device made with
 * default limits has less (128, 4), so a caller's device is checked against these before any work.
 */
export const KERNEL_LIMITS = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxStorageBuffersPerShaderStage: 6,
  maxComputeWorkgroupStorageSize: 16384,
} as const;

/** `name value < need` for each kernel limit that `limits` falls short of. */
export function kernelLimitShortfalls(limits: GPUSupportedLimits): string[] {
  return Object.entries(KERNEL_LIMITS)
    .filter(([name, need]) => Number(limits[name as keyof typeof KERNEL_LIMITS]) < need)
    .map(([name, need]) => `${name} ${limits[name as keyof typeof KERNEL_LIMITS]} < ${need}`);
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|software|microsoft basic render/i;

export interface FoundAdapter {
  adapter: GPUAdapter;
  report: AdapterReport;
  /** The backend it was found through, to find it again (a second device, a peer on the same adapter). */
  backend: GpuBackendName;
}

function graphicsApiOf(requested: GpuBackendName, description: string): AdapterReport['backend'] {
  if (requested === 'vulkan' || requested === 'opengles') return requested;
  if (requested === 'swiftshader') return 'vulkan';
  if (/vulkan/i.test(description)) return 'vulkan';
  if (/opengl/i.test(description)) return 'opengles';
  if (/metal/i.test(description)) return 'metal';
  if (/d3d12/i.test(description)) return 'd3d12';
  return platform.defaultGraphicsApi;
}

/** What an adapter, or a device made from one, says about itself (info, features, limits). */
export function describeAdapter(
  info: Partial<GPUAdapterInfo>,
  features: GPUSupportedFeatures,
  limits: GPUSupportedLimits,
  backend: GpuBackendName = 'default',
): AdapterReport {
  const description = info.description ?? '';
  const wanted: Record<string, number> = {};
  for (const name of LIMITS_OF_INTEREST) wanted[name] = Number(limits[name]);
  const names = [...features].map(String).sort();
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description,
    backend: graphicsApiOf(backend, description),
    featureLevel: names.includes('core-features-and-limits') ? 'core' : 'compatibility',
    software:
      SOFTWARE_NAMES.test(`${info.device} ${description} ${info.vendor}`) || info.isFallbackAdapter === true,
    features: names,
    limits: wanted,
    subgroupSizes:
      info.subgroupMinSize !== undefined && info.subgroupMaxSize !== undefined
        ? [info.subgroupMinSize, info.subgroupMaxSize]
        : null,
  };
}

/**
 * The WebGPU entry point for one backend: Dawn's in Node (loaded on first use; its default backend is
 * Vulkan, Metal or D3D12, and 'opengles' is its OpenGL ES backend on EGL), navigator.gpu in a browser
 * (only 'default' there).
 */
export function createGpu(backend: GpuBackendName = 'default'): Promise<GPU> {
  return platform.gpu(backend);
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

/** Requests one adapter and describes it; returns a reason string instead when none comes back. */
export async function findAdapter(
  backend: GpuBackendName,
  featureLevel: 'core' | 'compatibility',
): Promise<FoundAdapter | string> {
  let gpu: GPU;
  try {
    gpu = await platform.gpu(backend);
  } catch (e) {
    return firstLine(e);
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ featureLevel, powerPreference: 'high-performance' });
  } catch (e) {
    return `${backend} adapter request failed: ${firstLine(e)}`;
  }
  if (!adapter) return platform.noAdapter(backend, featureLevel);
  const report = describeAdapter(adapter.info, adapter.features, adapter.limits, backend);
  const short = kernelLimitShortfalls(adapter.limits);
  if (short.length > 0) {
    return `${report.description || report.device || 'the adapter'} allows less than ftcal's kernels need (${short.join(', ')})`;
  }
  return { adapter, report, backend };
}

/** One route's outcome: the adapter found there, or why none was. */
export interface AdapterProbe {
  route: AdapterRoute;
  found: FoundAdapter | null;
  reason: string | null;
}

/** Looks for an adapter on every route the platform knows (what `doctor` lists), in order. */
export async function probeAdapters(): Promise<AdapterProbe[]> {
  const probes: AdapterProbe[] = [];
  for (const route of platform.adapterRoutes) {
    const found = await findAdapter(route.backend, route.featureLevel);
    probes.push(
      typeof found === 'string' ? { route, found: null, reason: found } : { route, found, reason: null },
    );
  }
  return probes;
}

/** A short name the adapter answers to (adapterMatches): 'swiftshader', 'llvmpipe', 'hopper'. */
export function adapterName(report: AdapterReport): string {
  const word = [report.architecture, report.device, report.vendor, report.description]
    .map((w) => /[a-z0-9]+/i.exec(w)?.[0] ?? '')
    .find((w) => w !== '');
  return (word ?? report.backend).toLowerCase();
}

/**
 * Whether an adapter answers to `name`: a case-insensitive part of its vendor, architecture, device,
 * description or graphics API, as `doctor` prints them ('swiftshader', 'llvmpipe', 'nvidia', 'vulkan').
 */
export function adapterMatches(report: AdapterReport, name: string): boolean {
  const words = [report.vendor, report.architecture, report.device, report.description, report.backend];
  const wanted = name.trim().toLowerCase();
  return wanted !== '' && words.some((w) => w.toLowerCase().includes(wanted));
}
