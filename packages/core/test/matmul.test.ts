import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatmulOptions } from '../src/backend/backend.ts';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { MATMUL_BLOCK_K, matmulCpu } from '../src/cpu/matmul.ts';
import { KernelMemoryExhausted, MatmulKernel } from '../src/cpu/matmul-wasm.ts';
import type { DeviceTraits } from '../src/webgpu/kernel-variants.ts';
import {
  type MatmulProblem,
  type MatmulVariant,
  matmulGpu,
  pickMatmulVariant,
  planMatmulChunks,
  recordMatmul,
  vec4Loadable,
} from '../src/webgpu/matmul.ts';
import { randomNormal, rng } from './gpu-harness.ts';
import { GPU_RUNS, openGpuRun } from './gpu-variants.ts';

function normals(count: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: count }, () => randomNormal(next));
}

interface Case {
  m: number;
  n: number;
  k: number;
  batch: number;
  transA: boolean;
  transB: boolean;
  sharedB: boolean;
  bias: boolean;
}

function inputs(c: Case, seed: number) {
  const a = normals(c.batch * c.m * c.k, seed);
  const b = normals((c.sharedB ? 1 : c.batch) * c.k * c.n, seed + 1);
  const options: MatmulOptions = { transA: c.transA, transB: c.transB, batch: c.batch };
  if (c.bias) options.bias = normals(c.n, seed + 2);
  return { a, b, options };
}

/** Σ_p |a_ip·b_pj| + |bias_j| for every output: the scale of the rounding error of a sum of products. */
function magnitude(a: Float32Array, b: Float32Array, c: Case, options: MatmulOptions): Float64Array {
  const abs = (x: Float32Array) => x.map(Math.abs);
  return naiveMatmul(abs(a), abs(b), c, { ...options, ...(options.bias ? { bias: abs(options.bias) } : {}) });
}

/** |x − ref| ≤ rel·(Σ_p |a_ip·b_pj| + |bias_j|) elementwise. */
function expectWithin(
  got: Float32Array,
  ref: Float32Array | Float64Array,
  scale: Float64Array,
  rel: number,
): void {
  expect(got.length).toBe(ref.length);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i]! - ref[i]!);
    if (!(err <= rel * scale[i]!)) {
      throw new Error(`element ${i}: got ${got[i]} vs ${ref[i]} (error ${err}, allowed ${rel * scale[i]!})`);
    }
  }
}

function label(c: Case): string {
  const op = `${c.transA ? 'Aᵀ' : 'A'}·${c.transB ? 'Bᵀ' : 'B'}`;
  const extras = [c.batch > 1 ? `batch ${c.batch}${c.sharedB ? ', shared B' : ''}` : '', c.bias ? 'bias' : '']
    .filter(Boolean)
    .join(', ');
  return `${c.m}×${c.n}×${c.k} ${op}${extras ? ` (${extras})` : ''}`;
}

const TRANS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** Independent of the twin: op(A) and op(B) indexed straight from the stored layouts, summed in float64. */
function naiveMatmul(a: Float32Array, b: Float32Array, c: Case, options: MatmulOptions): Float64Array {
  const { m, n, k, batch } = c;
  const out = new Float64Array(batch * m * n);
  for (let e = 0; e < batch; e++) {
    const bBase = c.sharedB ? 0 : e * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = options.bias ? options.bias[j]! : 0;
        for (let p = 0; p < k; p++) {
          const av = c.transA ? a[e * m * k + p * m + i]! : a[e * m * k + i * k + p]!;
          const bv = c.transB ? b[bBase + j * k + p]! : b[bBase + p * n + j]!;
          s += av * bv;
        }
        out[(e * m + i) * n + j] = s;
      }
  }
  return out;
}

describe('matmul: the CPU arithmetic (matmulCpu) against a naive float64 triple loop', () => {
  const cases: Case[] = [];
  for (const [transA, transB] of TRANS) {
    cases.push({ m: 3, n: 5, k: 4, batch: 1, transA, transB, sharedB: false, bias: false });
    cases.push({ m: 4, n: 2, k: 7, batch: 3, transA, transB, sharedB: false, bias: true });
    cases.push({ m: 2, n: 6, k: 3, batch: 3, transA, transB, sharedB: true, bias: true });
    // Several summation blocks of 256 steps, the last one partial.
    cases.push({ m: 3, n: 9, k: 700, batch: 1, transA, transB, sharedB: false, bias: true });
  }
  cases.push({ m: 1, n: 1, k: 1, batch: 1, transA: false, transB: false, sharedB: false, bias: true });
  it.each(cases.map((c) => [label(c), c] as const))('%s', (_name, c) => {
    const { a, b, options } = inputs(c, c.m * 100 + c.n * 10 + c.k);
    const got = matmulCpu(a, b, c.m, c.n, c.k, options);
    // f32 sums of at most 256 terms, then ⌈K/256⌉ block sums and the bias: the classic bound for
    // recursive summation, (terms − 1)·u per stage, u = 2⁻²⁴, and one more u for the last rounding.
    const stages = Math.min(c.k, MATMUL_BLOCK_K) + Math.ceil(c.k / MATMUL_BLOCK_K) + 2;
    expectWithin(got, naiveMatmul(a, b, c, options), magnitude(a, b, c, options), stages * 2 ** -24);
  });
});

/** Equal as values, with -0 ≠ +0 and every NaN equal to every NaN (engines pick different NaN bits). */
function expectSameValues(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${what}: element ${i} is ${got[i]}, want ${want[i]}`);
  }
}

describe('matmul: the WebAssembly SIMD kernel against matmulCpu, bit for bit', () => {
  let kernels: MatmulKernel[] = [];
  beforeAll(async () => {
    kernels = [(await MatmulKernel.load(false))!, (await MatmulKernel.load(true))!];
  });

  it('loads (Node has WebAssembly SIMD), with the blocking matmulCpu assumes', () => {
    for (const kernel of kernels) {
      expect(kernel).not.toBeNull();
      const { kc, mc, scratchBytes } = kernel.constants;
      expect(kc).toBe(MATMUL_BLOCK_K);
      expect(scratchBytes).toBe(mc * kc * 16);
    }
  });

  // Tile edges (M mod 4, N mod 8), the row-block edge (MC = 64), summation blocks (K around 256, 512).
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 7, 5],
    [4, 8, 256],
    [5, 9, 257],
    [65, 17, 255],
    [130, 33, 513],
    [7, 130, 64],
    [64, 8, 1],
  ];
  const cases: Case[] = [];
  shapes.forEach(([m, n, k], s) => {
    TRANS.forEach(([transA, transB], t) => {
      cases.push({ m, n, k, batch: 1, transA, transB, sharedB: false, bias: (s + t) % 2 === 0 });
    });
  });
  for (const sharedB of [false, true]) {
    cases.push({ m: 9, n: 11, k: 300, batch: 3, transA: false, transB: true, sharedB, bias: true });
    cases.push({ m: 6, n: 20, k: 40, batch: 4, transA: true, transB: false, sharedB, bias: false });
  }
  it.each(cases.map((c, i) => [label(c), c, i] as const))('%s', async (_name, c, i) => {
    const { a, b, options } = inputs(c, 5000 + i);
    const want = matmulCpu(a, b, c.m, c.n, c.k, options);
    for (const [which, kernel] of kernels.entries()) {
      // Several ranges per chunk on this thread: each packs A in a slot of its own.
      for (const parts of [1, 3]) {
        const got = await kernel.matmul(a, b, c.m, c.n, c.k, options, parts, null);
        expectSameValues(got, want, `${which ? 'shared' : 'unshared'} memory, ${parts} ranges`);
      }
    }
  });

  it('keeps infinities, NaN and the sign of zero as the scalar arithmetic does', async () => {
    const c: Case = {
      m: 6,
      n: 10,
      k: 300,
      batch: 1,
      transA: false,
      transB: false,
      sharedB: false,
      bias: true,
    };
    const { a, b, options } = inputs(c, 6000);
    a.fill(-0, 0, 300); // row 0: every product ±0, so the sum's sign comes from the order of additions
    a[300] = Number.POSITIVE_INFINITY; // row 1: ±∞ products
    b[5] = Number.NaN; // column 5: NaN
    b[c.n * 7 + 2] = Number.NEGATIVE_INFINITY;
    a[2 * 300 + 7] = 0; // row 2 meets −∞ with 0: NaN (no product is skipped)
    a[3 * 300 + 9] = 3e38;
    a[3 * 300 + 10] = 3e38; // row 3 overflows to +∞ in f32
    const want = matmulCpu(a, b, c.m, c.n, c.k, options);
    expect(Number.isNaN(want[2 * 10 + 2])).toBe(true);
    for (const kernel of kernels) {
      expectSameValues(await kernel.matmul(a, b, c.m, c.n, c.k, options, 2, null), want, 'edge values');
    }
  });

  it('says when its memory cannot hold a call, and serves the next call that fits', async () => {
    const small = (await MatmulKernel.load(false, 5))!; // 320 KiB: one scratch slot (256 KiB) and a little more
    const c: Case = {
      m: 64,
      n: 64,
      k: 64,
      batch: 1,
      transA: false,
      transB: false,
      sharedB: false,
      bias: false,
    };
    const { a, b, options } = inputs(c, 8000);
    await expect(small.matmul(a, b, 64, 64, 64, options, 2, null)).rejects.toThrow(KernelMemoryExhausted);
    const tiny: Case = { ...c, m: 5, n: 3, k: 7 };
    const t = inputs(tiny, 8001);
    expectSameValues(
      await small.matmul(t.a, t.b, 5, 3, 7, t.options, 1, null),
      matmulCpu(t.a, t.b, 5, 3, 7, t.options),
      'after a refusal',
    );
  });

  it('takes turns when called concurrently (the calls share the memory)', async () => {
    const kernel = kernels[1]!;
    const jobs = [3, 70, 20].map((m, i) => {
      const c: Case = {
        m,
        n: 19,
        k: 270,
        batch: 2,
        transA: i === 1,
        transB: i === 2,
        sharedB: false,
        bias: true,
      };
      return { c, ...inputs(c, 7000 + i) };
    });
    const got = await Promise.all(
      jobs.map(({ c, a, b, options }) => kernel.matmul(a, b, c.m, c.n, c.k, options, 2, null)),
    );
    jobs.forEach(({ c, a, b, options }, i) => {
      expectSameValues(got[i]!, matmulCpu(a, b, c.m, c.n, c.k, options), `call ${i}`);
    });
  });
});

describe('matmul variant picker and chunk plan', () => {
  const p = (m: number, n: number, k: number, extra: Partial<MatmulProblem> = {}): MatmulProblem => ({
    m,
    n,
    k,
    ...extra,
  });

  it('takes the small kernel when M or N is at most 8, else tiled with vec4 loads when aligned', () => {
    expect(pickMatmulVariant(p(1, 4096, 1024))).toBe('small');
    expect(pickMatmulVariant(p(4096, 8, 1024))).toBe('small');
    expect(pickMatmulVariant(p(512, 512, 512))).toBe('tiled-vec4');
    expect(pickMatmulVariant(p(65, 130, 17))).toBe('tiled');
    // The stored row lengths decide: K and N, M when transA, K when transB.
    expect(pickMatmulVariant(p(64, 130, 64, { transB: true }))).toBe('tiled-vec4');
    expect(pickMatmulVariant(p(64, 130, 64))).toBe('tiled');
    expect(pickMatmulVariant(p(64, 64, 17, { transA: true }))).toBe('tiled-vec4');
    expect(pickMatmulVariant(p(65, 64, 64, { transA: true }))).toBe('tiled');
  });

  it('takes the 128×128 kernel from 64 whole tiles of C, on devices with 32 KiB of workgroup memory', () => {
    const device = (workgroupBytes: number): DeviceTraits => ({
      device: { features: new Set<string>() as unknown as GPUSupportedFeatures },
      limits: {
        maxComputeWorkgroupStorageSize: workgroupBytes,
        maxComputeInvocationsPerWorkgroup: 256,
        maxComputeWorkgroupSizeX: 256,
      } as GPUSupportedLimits,
      report: { subgroupSizes: null },
    });
    const big = device(32768);
    expect(pickMatmulVariant(p(1024, 1024, 1024), big)).toBe('tiled128');
    expect(pickMatmulVariant(p(1100, 1032, 1024), big)).toBe('tiled128');
    expect(pickMatmulVariant(p(512, 512, 512, { batch: 4 }), big)).toBe('tiled128');
    // 16 tiles, unaligned rows, a device with WebGPU's default 16 KiB, no device: today's kernels.
    expect(pickMatmulVariant(p(512, 512, 512), big)).toBe('tiled-vec4');
    expect(pickMatmulVariant(p(1024, 1024, 1023), big)).toBe('tiled');
    expect(pickMatmulVariant(p(1024, 1024, 1024), device(16384))).toBe('tiled-vec4');
    expect(pickMatmulVariant(p(1024, 1024, 1024))).toBe('tiled-vec4');
    expect(pickMatmulVariant(p(8, 4096, 4096), big)).toBe('small');
  });

  it('cuts pieces whose A, B and C each fit the binding', () => {
    const next = rng(5);
    for (let t = 0; t < 300; t++) {
      const dim = () => 1 + Math.floor(next() ** 3 * 3000);
      const prob = {
        m: dim(),
        n: dim(),
        k: dim(),
        batch: 1 + Math.floor(next() * 9),
        transA: false,
        transB: false,
        sharedB: next() < 0.5,
      };
      const cap = 4 * Math.max(prob.k, Math.floor(next() * 2e6));
      const c = planMatmulChunks(prob, cap, 65535);
      const floats = cap / 4;
      expect(c.batch * c.rows * prob.k).toBeLessThanOrEqual(floats);
      expect((prob.sharedB ? 1 : c.batch) * prob.k * c.cols).toBeLessThanOrEqual(floats);
      expect(c.batch * c.rows * c.cols).toBeLessThanOrEqual(floats);
      expect(c.rows).toBeGreaterThanOrEqual(1);
      expect(c.cols).toBeGreaterThanOrEqual(1);
      expect(c.batch).toBeLessThanOrEqual(prob.batch);
    }
    expect(() =>
      planMatmulChunks(
        { m: 1, n: 1, k: 100, batch: 1, transA: false, transB: false, sharedB: false },
        256,
        65535,
      ),
    ).toThrow(/^matmul: a row of 400 bytes is too wide for this GPU/);
  });
});

describe.each(GPU_RUNS)('matmul kernels vs CPU twin on $title', (run) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openGpuRun(run);
  });
  afterAll(() => gpu?.dispose());

  /**
   * Tolerance: |gpu − exact| ≤ 1e-5·(Σ_p |a_ip·b_pj| + |bias_j|), exact being the float64 triple loop (the
   * CPU backend's own f32 arithmetic sums in another order than the kernels). The kernels sum K float32 products, whose rounding error grows with that sum of magnitudes, not with |c_ij|
   * (which cancellation can make arbitrarily small).
   */
  const REL = 1e-5;

  async function check(c: Case, variants: readonly MatmulVariant[], seed: number): Promise<void> {
    const { a, b, options } = inputs(c, seed);
    const exact = naiveMatmul(a, b, c, options);
    const scale = magnitude(a, b, c, options);
    for (const v of variants) {
      try {
        expectWithin(await matmulGpu(gpu!.ctx, a, b, c.m, c.n, c.k, options, v), exact, scale, REL);
      } catch (e) {
        throw new Error(`${v}: ${(e as Error).message}`);
      }
    }
  }

  // Only the small kernel has a subgroup variant: on the device without subgroups the tiled kernels
  // would run exactly what they run on the first.
  function variantsFor(c: Case): MatmulVariant[] {
    if (run.withoutSubgroups) return ['small'];
    return vec4Loadable(c) ? ['small', 'tiled', 'tiled-vec4', 'tiled128'] : ['small', 'tiled'];
  }

  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 130, 257],
    [257, 1, 65],
    [3, 17, 64],
    [17, 3, 130],
    [64, 64, 64],
    [65, 130, 17],
    [130, 65, 257],
    [17, 64, 64],
    [64, 257, 64],
    [257, 64, 3],
    // The 128×128 kernel: whole tiles only, edge strips below, right or both, K not a multiple of 16,
    // K shorter than one k-tile.
    [256, 128, 32],
    [260, 132, 36],
    [129, 384, 20],
    [384, 200, 8],
    [132, 128, 3],
  ];
  const single: Case[] = [];
  shapes.forEach(([m, n, k], s) => {
    TRANS.forEach(([transA, transB], t) => {
      single.push({ m, n, k, batch: 1, transA, transB, sharedB: false, bias: (s + t) % 2 === 0 });
    });
  });
  single.forEach((c, i) => {
    it(`${label(c)}, every variant`, async (ctx) => {
      if (!gpu) return ctx.skip();
      await check(c, variantsFor(c), 1000 + i);
    });
  });

  const batched: Case[] = [];
  for (const [m, n, k] of [
    [3, 130, 17],
    [65, 17, 64],
    [64, 64, 64],
    [256, 132, 20],
  ] as const) {
    for (const [transA, transB] of TRANS) {
      for (const sharedB of [false, true])
        batched.push({ m, n, k, batch: 3, transA, transB, sharedB, bias: sharedB });
    }
  }
  batched.forEach((c, i) => {
    it(`${label(c)}, every variant`, async (ctx) => {
      if (!gpu) return ctx.skip();
      await check(c, variantsFor(c), 2000 + i);
    });
  });

  it('Backend.matmul picks a variant itself', async (ctx) => {
    if (!gpu) return ctx.skip();
    for (const c of [
      { m: 5, n: 130, k: 64, batch: 2, transA: false, transB: true, sharedB: true, bias: true },
      { m: 130, n: 64, k: 64, batch: 1, transA: false, transB: false, sharedB: false, bias: true },
      { m: 130, n: 65, k: 33, batch: 1, transA: true, transB: false, sharedB: false, bias: false },
    ]) {
      const { a, b, options } = inputs(c, 77);
      expectWithin(
        await gpu.matmul(a, b, c.m, c.n, c.k, options),
        naiveMatmul(a, b, c, options),
        magnitude(a, b, c, options),
        REL,
      );
    }
  });

  it('recordMatmul runs on resident buffers, several dispatches over the batch', async (ctx) => {
    if (!gpu) return ctx.skip();
    const g = gpu.ctx;
    const all = ['small', 'tiled', 'tiled-vec4', 'tiled128'] as const;
    for (const v of run.withoutSubgroups ? (['small'] as const) : all) {
      const c: Case = {
        m: 132,
        n: 136,
        k: 8,
        batch: 5,
        transA: true,
        transB: false,
        sharedB: true,
        bias: true,
      };
      const { a, b, options } = inputs(c, 4000);
      const got = await g.checked('test', async () => {
        const buffers = {
          a: g.upload(a),
          b: g.upload(b),
          bias: g.upload(options.bias!),
          c: g.storage(5 * 132 * 136 * 4),
        };
        const encoder = g.device.createCommandEncoder();
        // 5 entries, 2 per dispatch: three dispatches, the last one partial.
        const recorded = recordMatmul(g, encoder, buffers, c, { variant: v, batchPerDispatch: 2 });
        g.device.queue.submit([encoder.finish()]);
        const out = await g.readF32(buffers.c, 5 * 132 * 136);
        recorded.release();
        for (const buf of Object.values(buffers)) buf.destroy();
        return out;
      });
      expectWithin(got, naiveMatmul(a, b, c, options), magnitude(a, b, c, options), REL);
    }
  });

  it('rejects bad shapes and a vec4 variant on unaligned rows', async (ctx) => {
    if (!gpu || run.withoutSubgroups) return ctx.skip();
    await expect(gpu.matmul(new Float32Array(6), new Float32Array(5), 2, 2, 3)).rejects.toThrow(
      /B has 5 values/,
    );
    await expect(
      gpu.matmul(new Float32Array(4), new Float32Array(4), 2, 2, 2, { bias: new Float32Array(3) }),
    ).rejects.toThrow(/bias has 3 values/);
    await expect(
      matmulGpu(gpu.ctx, new Float32Array(9 * 9), new Float32Array(9 * 9), 9, 9, 9, {}, 'tiled-vec4'),
    ).rejects.toThrow(/multiples of 4/);
  });

  describe('pieces when a binding is smaller than an operand', () => {
    const chunked: [string, Case, number][] = [
      // A batch entry fits, three do not: split over batch only.
      [
        'batch',
        { m: 65, n: 33, k: 40, batch: 3, transA: false, transB: false, sharedB: false, bias: true },
        65 * 40 * 4,
      ],
      // Rows of a transposed A are strided: the pieces are gathered on the host.
      [
        'rows, Aᵀ',
        { m: 130, n: 17, k: 40, batch: 2, transA: true, transB: false, sharedB: true, bias: false },
        70 * 40 * 4,
      ],
      [
        'rows, shared B',
        { m: 257, n: 20, k: 64, batch: 2, transA: false, transB: true, sharedB: true, bias: true },
        64 * 64 * 4,
      ],
      // One B matrix is over the cap: split over columns too (strided when B is not transposed).
      [
        'columns, B',
        { m: 33, n: 130, k: 24, batch: 2, transA: false, transB: false, sharedB: false, bias: true },
        40 * 24 * 4,
      ],
      [
        'columns, Bᵀ',
        { m: 9, n: 130, k: 24, batch: 3, transA: true, transB: true, sharedB: true, bias: true },
        40 * 24 * 4,
      ],
    ];
    for (const [name, c, cap] of chunked) {
      it(`splits over ${name}`, async (ctx) => {
        // Chunking is the host's; the device without subgroups would repeat it on the same tiled kernels.
        if (!gpu || run.withoutSubgroups) return ctx.skip();
        const plan = planMatmulChunks(c, cap, gpu.ctx.limits.maxComputeWorkgroupsPerDimension);
        expect(plan.batch < c.batch || plan.rows < c.m || plan.cols < c.n).toBe(true);
        const { a, b, options } = inputs(c, cap);
        gpu.ctx.capBindingBytes(cap);
        try {
          expectWithin(
            await gpu.matmul(a, b, c.m, c.n, c.k, options),
            naiveMatmul(a, b, c, options),
            magnitude(a, b, c, options),
            REL,
          );
        } finally {
          gpu.ctx.capBindingBytes(undefined);
        }
      });
    }
  });
});
