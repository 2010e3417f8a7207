import { WebGpuBackend } from '../src/backend/webgpu.ts';
import { findAdapter } from '../src/device/adapter.ts';
import { GpuContext } from '../src/gpu/context.ts';

/**
 * Opens the GPU the tests run on: a hardware adapter if there is one, else the OpenGL ES compatibility
 * adapter (llvmpipe in CI). With FTCAL_REQUIRE_GPU=1 a missing adapter is a failure, not a skip.
 */
export async function openTestGpu(): Promise<WebGpuBackend | null> {
  const reasons: string[] = [];
  for (const [backend, level] of [
    ['default', 'core'],
    ['opengles', 'compatibility'],
  ] as const) {
    const found = await findAdapter(backend, level);
    if (typeof found === 'string') {
      reasons.push(found);
      continue;
    }
    const gpu = new WebGpuBackend(await GpuContext.open(found));
    console.info(`[gpu tests] running on ${gpu.name}`);
    return gpu;
  }
  if (process.env.FTCAL_REQUIRE_GPU === '1') {
    throw new Error(`FTCAL_REQUIRE_GPU=1 but no WebGPU adapter: ${reasons.join('; ')}`);
  }
  console.warn(`[gpu tests] skipped: no WebGPU adapter (${reasons.join('; ')})`);
  return null;
}

/** Seeded PRNG (mulberry32) so every shape and value in a test is reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomNormal(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/** Max relative error between two arrays, treating equal infinities and both-NaN as equal. */
export function maxRelError(a: Float32Array, b: Float32Array, floor = 1e-30): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return Number.POSITIVE_INFINITY;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(y), floor));
  }
  return worst;
}
