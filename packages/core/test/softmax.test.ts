import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { softmaxCpu } from '../src/cpu/softmax.ts';
import { pickRowKernel } from '../src/webgpu/kernel-variants.ts';
import { SOFTMAX_KERNELS } from '../src/webgpu/resident-rows.ts';
import { randomNormal, rng } from './gpu-harness.ts';
import { GPU_RUNS, openGpuRun } from './gpu-variants.ts';

const NEG_INF = Number.NEGATIVE_INFINITY;

function logits(rows: number, cols: number, seed: number, scale = 3): Float32Array {
  const next = rng(seed);
  const z = new Float32Array(rows * cols);
  for (let i = 0; i < z.length; i++) z[i] = randomNormal(next) * scale;
  return z;
}

function groupsFor(cols: number, seed: number): Uint32Array {
  const next = rng(seed);
  return Uint32Array.from({ length: cols }, () => Math.floor(next() * 3));
}

/** |gpu − cpu| ≤ 1e-5·|cpu| + 1e-6: relative on probabilities and log-probabilities, absolute near 0. */
function expectClose(gpu: Float32Array, cpu: Float32Array): void {
  expect(gpu.length).toBe(cpu.length);
  for (let i = 0; i < gpu.length; i++) {
    const g = gpu[i]!;
    const c = cpu[i]!;
    if (Object.is(g, c) || (Number.isNaN(g) && Number.isNaN(c))) continue;
    if (Math.abs(g - c) > 1e-5 * Math.abs(c) + 1e-6) {
      throw new Error(`element ${i}: gpu ${g} vs cpu ${c}`);
    }
  }
}

describe('softmax: CPU twin against an independent float64 formula', () => {
  it('matches exp(s - max) / sum and sums to 1', () => {
    const z = logits(4, 9, 1);
    const out = softmaxCpu(z, 4, 9, { gamma: 0.5, temperature: 2, groups: groupsFor(9, 2) });
    for (let r = 0; r < 4; r++) {
      let total = 0;
      for (let c = 0; c < 9; c++) total += out[r * 9 + c]!;
      expect(total).toBeCloseTo(1, 6);
    }
  });
});

describe.each(GPU_RUNS)('softmax kernel vs CPU twin on $title', (run) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openGpuRun(run);
  });
  afterAll(() => gpu?.dispose());

  it('runs the subgroup variant exactly when the device has subgroups (rows of 17+ columns)', (ctx) => {
    if (!gpu) return ctx.skip();
    const sub = gpu.ctx.features.subgroups;
    expect(pickRowKernel(gpu.ctx, SOFTMAX_KERNELS, 1000).kernel).toBe(
      sub ? SOFTMAX_KERNELS.vec4 : SOFTMAX_KERNELS.fallback,
    );
    expect(pickRowKernel(gpu.ctx, SOFTMAX_KERNELS, 129).kernel).toBe(
      sub ? SOFTMAX_KERNELS.scalar : SOFTMAX_KERNELS.fallback,
    );
  });

  // As in row-stats.test.ts: both sides of the subgroup variant's 17-column start, vec4 and scalar
  // loads, rows in registers (up to 128 / 1024 columns with subgroups of 4 / 32) or not.
  const shapes: [number, number][] = [
    [1, 1],
    [1, 7],
    [3, 128],
    [5, 129],
    [37, 1000],
    [2, 3001],
    [300, 10],
    [65, 17],
    [100, 20],
    [33, 1024],
  ];
  for (const [rows, cols] of shapes) {
    for (const log of [false, true]) {
      it(`${rows}×${cols} ${log ? 'log-softmax' : 'softmax'} with γ, T and groups`, async (ctx) => {
        if (!gpu) return ctx.skip();
        const z = logits(rows, cols, rows * 7919 + cols);
        const options = { gamma: 1.25, temperature: 0.7, groups: groupsFor(cols, cols), log };
        expectClose(await gpu.softmax(z, rows, cols, options), softmaxCpu(z, rows, cols, options));
      });
    }
  }

  // 6 columns run the fallback everywhere; 6 repeated 5 times (30) the subgroup variant where there is one.
  it.for([1, 5])(
    'handles -inf, very large logits, exact ties and an all -inf row (row ×%i)',
    async (repeat, ctx) => {
      if (!gpu) return ctx.skip();
      const rows = [
        [NEG_INF, 1, 2, NEG_INF, 0, 2],
        [3e38, -3e38, 1e30, 0, 0, 3e38],
        [5, 5, 5, 5, 5, 5],
        [NEG_INF, NEG_INF, NEG_INF, NEG_INF, NEG_INF, NEG_INF],
      ];
      const cols = 6 * repeat;
      const z = Float32Array.from(rows.flatMap((r) => Array.from({ length: repeat }, () => r).flat()));
      for (const log of [false, true]) {
        const cpu = softmaxCpu(z, 4, cols, { log });
        const got = await gpu.softmax(z, 4, cols, { log });
        expectClose(got, cpu);
        expect(got[0]).toBe(log ? NEG_INF : 0);
        expect(got.subarray(3 * cols).every(Number.isNaN)).toBe(true);
      }
    },
  );

  it('splits rows into chunks when a binding is smaller than the input', async (ctx) => {
    if (!gpu) return ctx.skip();
    const rows = 203;
    const cols = 33;
    const z = logits(rows, cols, 99);
    gpu.ctx.capBindingBytes(cols * 4 * 17);
    try {
      expectClose(await gpu.softmax(z, rows, cols, { gamma: -2 }), softmaxCpu(z, rows, cols, { gamma: -2 }));
    } finally {
      gpu.ctx.capBindingBytes(undefined);
    }
  });
});
