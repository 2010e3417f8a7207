import { openOrSkip } from '../../../tools/gpu-tests.ts';
import { WebGpuBackend } from '../src/backend/webgpu.ts';
import { planDevice } from '../src/device/select.ts';
import { NoAdapterError } from '../src/errors.ts';
import { GpuContext } from '../src/gpu/context.ts';

export { TEST_ADAPTERS } from '../../../tools/gpu-tests.ts';

/**
 * Opens the adapter a GPU suite runs on, by name as `device: 'gpu'` with `adapter` finds it (one of
 * TEST_ADAPTERS: llvmpipe and SwiftShader in CI). Null skips the suite; under FTCAL_REQUIRE_GPU=1 a
 * missing adapter throws instead.
 */
export function openTestGpu(adapter: string): Promise<WebGpuBackend | null> {
  return openOrSkip(
    adapter,
    async () => new WebGpuBackend(await GpuContext.open((await planDevice('gpu', { adapter })).found!)),
    (e) => e instanceof NoAdapterError,
  );
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

/** rows×cols seeded normal logits times `scale`, on a lattice of `lattice` when given (exact ties). */
export function randomLogits(rows: number, cols: number, seed: number, scale = 3, lattice = 0): Float32Array {
  const next = rng(seed);
  const z = new Float32Array(rows * cols);
  for (let i = 0; i < z.length; i++) {
    const v = randomNormal(next) * scale;
    z[i] = lattice ? Math.round(v / lattice) * lattice : v;
  }
  return z;
}

/** Random group codes; `codes` picks which of 0 (S), 1 (U), 2 (O) may appear. */
export function randomGroups(cols: number, seed: number, codes: readonly number[] = [0, 1, 2]): Uint32Array {
  const next = rng(seed);
  return Uint32Array.from({ length: cols }, () => codes[Math.floor(next() * codes.length)]!);
}

/** A label in [0, cols) per row. */
export function randomLabels(rows: number, cols: number, seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: rows }, () => Math.floor(next() * cols));
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
