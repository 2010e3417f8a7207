import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { l2NormalizeCpu } from '../src/cpu/l2-normalize.ts';
import { pickRowKernel } from '../src/webgpu/kernel-variants.ts';
import { L2_NORMALIZE_KERNELS } from '../src/webgpu/l2-normalize.ts';
import { randomNormal, rng } from './gpu-harness.ts';
import { GPU_RUNS, openGpuRun } from './gpu-variants.ts';

function features(rows: number, cols: number, seed: number, scale = 1): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: rows * cols }, () => randomNormal(next) * scale);
}

/** Every row's L2 norm in f64; zero rows are reported as 0. */
function rowNorms(x: Float32Array, rows: number, cols: number): number[] {
  return Array.from({ length: rows }, (_, r) => {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c]! ** 2;
    return Math.sqrt(s);
  });
}

function expectUnitRows(x: Float32Array, rows: number, cols: number, zeroRows: number[] = []): void {
  rowNorms(x, rows, cols).forEach((norm, r) => {
    if (zeroRows.includes(r)) expect(norm).toBe(0);
    else if (Math.abs(norm - 1) > 1e-6) throw new Error(`row ${r}: norm ${norm}`);
  });
}

/** |gpu − cpu| ≤ 1e-6·|cpu| for every element; both NaN counts as equal. */
function expectClose(gpu: Float32Array, cpu: Float32Array): void {
  expect(gpu.length).toBe(cpu.length);
  for (let i = 0; i < gpu.length; i++) {
    const g = gpu[i]!;
    const c = cpu[i]!;
    if (Object.is(g, c) || (Number.isNaN(g) && Number.isNaN(c))) continue;
    if (!(Math.abs(g - c) <= 1e-6 * Math.abs(c))) throw new Error(`element ${i}: gpu ${g} vs cpu ${c}`);
  }
}

describe('l2Normalize: CPU twin', () => {
  it('gives unit rows pointing the same way as the input', () => {
    const x = features(6, 13, 1, 4);
    const y = l2NormalizeCpu(x, 6, 13);
    expectUnitRows(y, 6, 13);
    const norms = rowNorms(x, 6, 13);
    for (let i = 0; i < x.length; i++) {
      expect(y[i]).toBeCloseTo(x[i]! / norms[Math.floor(i / 13)]!, 6);
    }
  });

  it('leaves an all-zero row zero, keeps ±0, and turns a row with Inf or NaN into NaN', () => {
    const x = Float32Array.from([0, -0, 0, 3, 4, 0, Number.POSITIVE_INFINITY, 1, 2, Number.NaN, 1, 2]);
    const y = l2NormalizeCpu(x, 4, 3);
    expect([...y.subarray(0, 6)]).toEqual([0, -0, 0, Math.fround(0.6), Math.fround(0.8), 0]);
    expect(y.subarray(6).every(Number.isNaN)).toBe(true);
  });
});

describe.each(GPU_RUNS)('l2Normalize kernel vs CPU twin on $title', (run) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openGpuRun(run);
  });
  afterAll(() => gpu?.dispose());

  const shapes: [number, number][] = [
    [0, 4],
    [1, 1],
    [1, 7],
    [3, 64],
    [5, 129],
    [37, 1000],
    [2, 3001],
    [300, 10],
    [65, 17],
    [100, 20],
    [33, 1024],
  ];
  it('runs the subgroup variant exactly when the device has subgroups (rows of 17+ columns)', (ctx) => {
    if (!gpu) return ctx.skip();
    const sub = gpu.ctx.features.subgroups;
    expect(pickRowKernel(gpu.ctx, L2_NORMALIZE_KERNELS, 768).kernel).toBe(
      sub ? L2_NORMALIZE_KERNELS.vec4 : L2_NORMALIZE_KERNELS.fallback,
    );
  });

  for (const [rows, cols] of shapes) {
    it(`${rows}×${cols}`, async (ctx) => {
      if (!gpu) return ctx.skip();
      const x = features(rows, cols, rows * 131 + cols, 2.5);
      const got = await gpu.l2Normalize(x, rows, cols);
      expectClose(got, l2NormalizeCpu(x, rows, cols));
      expectUnitRows(got, rows, cols);
    });
  }

  it.for([40, 300])(
    'scales rows whose squares would overflow or underflow f32, and keeps zero and non-finite rows (%i columns)',
    async (cols, ctx) => {
      if (!gpu) return ctx.skip();
      const rows = [
        features(1, cols, 1, 1e30),
        features(1, cols, 2, 1e-30),
        features(1, cols, 3, 3e38 / 4),
        new Float32Array(cols),
        features(1, cols, 4).fill(Number.NEGATIVE_INFINITY, 7, 8),
        features(1, cols, 5).fill(Number.NaN, cols - 1),
      ];
      const x = new Float32Array(rows.length * cols);
      rows.forEach((r, i) => {
        x.set(r, i * cols);
      });
      const got = await gpu.l2Normalize(x, rows.length, cols);
      expectClose(got, l2NormalizeCpu(x, rows.length, cols));
      expectUnitRows(got.subarray(0, 4 * cols), 4, cols, [3]);
      expect(got.subarray(4 * cols).every(Number.isNaN)).toBe(true);
    },
  );

  it('spreads more than 65535 rows over a 2-D grid', async (ctx) => {
    if (!gpu) return ctx.skip();
    const x = features(70_000, 3, 9);
    const got = await gpu.l2Normalize(x, 70_000, 3);
    expectClose(got, l2NormalizeCpu(x, 70_000, 3));
  });

  it('splits rows into chunks when a binding is smaller than the input', async (ctx) => {
    if (!gpu) return ctx.skip();
    const x = features(203, 33, 99);
    gpu.ctx.capBindingBytes(33 * 4 * 17);
    try {
      expectClose(await gpu.l2Normalize(x, 203, 33), l2NormalizeCpu(x, 203, 33));
    } finally {
      gpu.ctx.capBindingBytes(undefined);
    }
  });

  it('refuses a row longer than one binding with a clear error', async (ctx) => {
    if (!gpu) return ctx.skip();
    gpu.ctx.capBindingBytes(64);
    try {
      await expect(gpu.l2Normalize(new Float32Array(40), 2, 20)).rejects.toMatchObject({
        code: 'unsupported',
        option: { name: 'device', value: 'cpu' },
      });
    } finally {
      gpu.ctx.capBindingBytes(undefined);
    }
  });
});
