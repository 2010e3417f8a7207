import { CpuBackend, colSumCpu, type GpuContext, InputError, type WebGpuBackend } from '@ftcal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBuffersFreed, trackBuffers } from '../../../tools/track-buffers.ts';
import { biasReluCpu } from '../src/cpu/bias-relu.ts';
import { reluBackwardCpu } from '../src/cpu/relu-backward.ts';
import { sgdMomentumCpu } from '../src/cpu/sgd-momentum.ts';
import { softmaxXentCpu } from '../src/cpu/softmax-xent.ts';
import { SeededRandom } from '../src/random.ts';
import { type TrainingOps, trainingOps } from '../src/training.ts';
import { openTestGpu, TEST_ADAPTERS } from './gpu.ts';

function normals(count: number, seed: number, scale = 1): Float32Array {
  const rand = new SeededRandom(seed);
  return Float32Array.from({ length: count }, () => rand.normal() * scale);
}

function labelsFor(rows: number, cols: number, seed: number): Int32Array {
  const rand = new SeededRandom(seed);
  return Int32Array.from({ length: rows }, () => Math.floor(rand.next() * cols));
}

/** |a − b| ≤ rel·|b| + abs, element by element, naming the first element that is off. */
function expectClose(a: Float32Array, b: Float32Array, rel: number, abs: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (Math.abs(a[i]! - b[i]!) > rel * Math.abs(b[i]!) + abs) {
      throw new Error(`element ${i}: ${a[i]} vs ${b[i]} (rel ${rel}, abs ${abs})`);
    }
  }
}

/** Mean cross-entropy in float64, written from the definition −log(e^{z_y} / Σ e^{z_c}). */
function meanXent(z: Float32Array | Float64Array, rows: number, cols: number, labels: Int32Array): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(z[r * cols + c]!);
    total -= Math.log(Math.exp(z[r * cols + labels[r]!]!) / sum);
  }
  return total / rows;
}

describe('training twins against independent formulas', () => {
  it('softmaxXent: the loss is the definition and the gradient is its central finite difference', () => {
    const rows = 5;
    const cols = 7;
    const z = normals(rows * cols, 3, 2);
    const labels = labelsFor(rows, cols, 4);
    const { loss, grad } = softmaxXentCpu(z, rows, cols, labels);
    expect(loss).toBeCloseTo(meanXent(z, rows, cols, labels), 6);
    const h = 1e-4;
    const z64 = Float64Array.from(z);
    for (let i = 0; i < z.length; i++) {
      const keep = z64[i]!;
      z64[i] = keep + h;
      const up = meanXent(z64, rows, cols, labels);
      z64[i] = keep - h;
      const down = meanXent(z64, rows, cols, labels);
      z64[i] = keep;
      expect(Math.abs(grad[i]! - (up - down) / (2 * h))).toBeLessThan(1e-6);
    }
  });

  it('softmaxXent: stays finite for logits of ±80', () => {
    const z = Float32Array.from([80, -80, 0, -80, 80, 0]);
    const { loss, grad } = softmaxXentCpu(z, 2, 3, Int32Array.from([0, 0]));
    expect(loss).toBeCloseTo(80, 4);
    expect(grad[3]).toBeCloseTo(-0.5, 6);
    expect(grad[4]).toBeCloseTo(0.5, 6);
  });

  it('biasRelu, reluBackward and colSum follow their definitions', () => {
    const x = Float32Array.from([1, -2, 0.5, -0.25, 3, -3]);
    const bias = Float32Array.from([-1, 1, 0.25]);
    expect([...biasReluCpu(x, 2, 3, bias)]).toEqual([0, 0, 0.75, 0, 4, 0]);
    expect([...biasReluCpu(x, 2, 3, bias, { relu: false })]).toEqual([0, -1, 0.75, -1.25, 4, -2.75]);
    const h = biasReluCpu(x, 2, 3, bias);
    expect([...reluBackwardCpu(Float32Array.from([1, 2, 3, 4, 5, 6]), h)]).toEqual([0, 0, 3, 0, 5, 0]);
    expect([...colSumCpu(x, 2, 3)]).toEqual([0.75, 1, -2.5]);
  });

  it('sgdMomentum: two steps match the update written out by hand, inputs untouched', () => {
    const w0 = Float32Array.from([1, -2]);
    const g = Float32Array.from([0.5, 0.25]);
    const o = { lr: 0.1, momentum: 0.9, weightDecay: 0.01 };
    const s1 = sgdMomentumCpu(w0, g, new Float32Array(2), o);
    // v1 = g + wd·w0; w1 = w0 − lr·v1; v2 = μ·v1 + g + wd·w1; w2 = w1 − lr·v2
    const v1 = [0.5 + 0.01, 0.25 - 0.02];
    const w1 = [1 - 0.1 * v1[0]!, -2 - 0.1 * v1[1]!];
    const v2 = [0.9 * v1[0]! + 0.5 + 0.01 * w1[0]!, 0.9 * v1[1]! + 0.25 + 0.01 * w1[1]!];
    const s2 = sgdMomentumCpu(s1.params, g, s1.velocity, o);
    for (let i = 0; i < 2; i++) {
      expect(s1.params[i]).toBeCloseTo(w1[i]!, 6);
      expect(s2.velocity[i]).toBeCloseTo(v2[i]!, 6);
      expect(s2.params[i]).toBeCloseTo(w1[i]! - 0.1 * v2[i]!, 6);
    }
    expect([...w0]).toEqual([1, -2]);
  });

  it('one SGD step on the cross-entropy lowers the loss', () => {
    const rows = 16;
    const cols = 4;
    const z = normals(rows * cols, 9);
    const labels = labelsFor(rows, cols, 10);
    const before = softmaxXentCpu(z, rows, cols, labels);
    const step = sgdMomentumCpu(z, before.grad, new Float32Array(z.length), { lr: 0.5 });
    expect(softmaxXentCpu(step.params, rows, cols, labels).loss).toBeLessThan(before.loss);
  });
});

describe.each(TEST_ADAPTERS)('training kernels vs CPU twins on %s', (adapter) => {
  let backend: WebGpuBackend | null = null;
  let gpu: TrainingOps | null = null;
  beforeAll(async () => {
    backend = await openTestGpu(adapter);
    gpu = backend && trainingOps(backend);
  });
  afterAll(() => backend?.dispose());

  // Shapes cover one row, one column, a column count that is not a multiple of any workgroup,
  // and more elements than one workgroup row of the flat grid.
  const shapes: [number, number][] = [
    [1, 1],
    [1, 10],
    [3, 257],
    [64, 10],
    [129, 256],
    [1000, 13],
  ];

  for (const [rows, cols] of shapes) {
    it(`biasRelu ${rows}×${cols}, with and without the ReLU, is bit-identical`, async (ctx) => {
      if (!gpu) return ctx.skip();
      const x = normals(rows * cols, rows + cols);
      const bias = normals(cols, cols, 0.5);
      for (const relu of [true, false]) {
        expect(await gpu.biasRelu(x, rows, cols, bias, { relu })).toEqual(
          biasReluCpu(x, rows, cols, bias, { relu }),
        );
      }
    });

    it(`reluBackward ${rows}×${cols} is bit-identical`, async (ctx) => {
      if (!gpu) return ctx.skip();
      const h = biasReluCpu(normals(rows * cols, rows * 3 + cols), rows, cols, new Float32Array(cols));
      const g = normals(rows * cols, rows * 5 + cols);
      expect(await gpu.reluBackward(g, h)).toEqual(reluBackwardCpu(g, h));
    });

    it(`softmaxXent ${rows}×${cols}: loss within 1e-6 relative, gradient within f32 rounding`, async (ctx) => {
      if (!gpu) return ctx.skip();
      const z = normals(rows * cols, rows * 7 + cols, 4);
      const labels = labelsFor(rows, cols, rows + 11 * cols);
      const got = await gpu.softmaxXent(z, rows, cols, labels);
      const want = softmaxXentCpu(z, rows, cols, labels);
      expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(want.loss) + 1e-7);
      expectClose(got.grad, want.grad, 1e-5, 1e-7 / rows);
    });

    it(`colSum ${rows}×${cols} within 1e-5 relative of the float64 sums`, async (ctx) => {
      if (!gpu) return ctx.skip();
      const x = normals(rows * cols, rows * 13 + cols);
      // f32 tree sums lose about log2(rows) bits to cancellation: the bound scales with Σ|x|.
      const magnitude = colSumCpu(x.map(Math.abs), rows, cols);
      const got = await gpu.colSum(x, rows, cols);
      const want = colSumCpu(x, rows, cols);
      for (let c = 0; c < cols; c++) {
        expect(Math.abs(got[c]! - want[c]!)).toBeLessThanOrEqual(1e-6 * magnitude[c]! + 1e-7);
      }
    });
  }

  for (const count of [1, 255, 256, 70_001]) {
    it(`sgdMomentum on ${count} parameters agrees within one f32 rounding per operation`, async (ctx) => {
      if (!gpu) return ctx.skip();
      const w = normals(count, count);
      const g = normals(count, count + 1, 0.1);
      const v = normals(count, count + 2, 0.1);
      const o = { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 };
      const got = await gpu.sgdMomentum(w, g, v, o);
      const want = sgdMomentumCpu(w, g, v, o);
      expectClose(got.velocity, want.velocity, 1e-6, 1e-8);
      expectClose(got.params, want.params, 1e-6, 1e-8);
    });
  }

  it('softmaxXent stays finite and agrees on huge logits and exact ties', async (ctx) => {
    if (!gpu) return ctx.skip();
    const z = Float32Array.from([3e4, -3e4, 0, 3e4, 5, 5, 5, 5, -1e30, 0, 1e30, 7]);
    const labels = Int32Array.from([1, 2, 0]);
    const got = await gpu.softmaxXent(z, 3, 4, labels);
    const want = softmaxXentCpu(z, 3, 4, labels);
    expect(Number.isFinite(got.loss)).toBe(true);
    expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(want.loss));
    expectClose(got.grad, want.grad, 1e-5, 1e-7);
  });

  it('splits every op into binding-sized chunks with the same results', async (ctx) => {
    if (!gpu) return ctx.skip();
    const rows = 203;
    const cols = 33;
    const x = normals(rows * cols, 77);
    const bias = normals(cols, 78);
    const labels = labelsFor(rows, cols, 79);
    const whole = {
      bias: await gpu.biasRelu(x, rows, cols, bias),
      xent: await gpu.softmaxXent(x, rows, cols, labels),
      sums: await gpu.colSum(x, rows, cols),
      sgd: await gpu.sgdMomentum(x, x, x, { lr: 0.1, momentum: 0.5 }),
    };
    backend!.ctx.capBindingBytes(cols * 4 * 17);
    try {
      expect(await gpu.biasRelu(x, rows, cols, bias)).toEqual(whole.bias);
      expect(await gpu.reluBackward(x, whole.bias)).toEqual(reluBackwardCpu(x, whole.bias));
      const xent = await gpu.softmaxXent(x, rows, cols, labels);
      expect(xent.grad).toEqual(whole.xent.grad);
      expect(xent.loss).toBeCloseTo(whole.xent.loss, 5);
      expectClose(await gpu.colSum(x, rows, cols), whole.sums, 1e-5, 1e-5);
      expect((await gpu.sgdMomentum(x, x, x, { lr: 0.1, momentum: 0.5 })).params).toEqual(whole.sgd.params);
    } finally {
      backend!.ctx.capBindingBytes(undefined);
    }
  });

  // One GPU call of each op, on 41 rows of 20, for the runner checks below.
  const rows = 41;
  const cols = 20;
  const x = normals(rows * cols, 5);
  const calls: [string, (t: TrainingOps) => Promise<unknown>][] = [
    ['biasRelu', (t) => t.biasRelu(x, rows, cols, x.subarray(0, cols))],
    ['softmaxXent', (t) => t.softmaxXent(x, rows, cols, labelsFor(rows, cols, 6))],
    ['colSum', (t) => t.colSum(x, rows, cols)],
    ['reluBackward', (t) => t.reluBackward(x, x)],
    ['sgdMomentum', (t) => t.sgdMomentum(x, x, x, { lr: 0.1, momentum: 0.5 })],
  ];

  it("refuses rows too wide for a binding with core's one InputError, making no buffer", async (t) => {
    if (!gpu || !backend) return t.skip();
    const ctx: GpuContext = backend.ctx;
    const tracked = trackBuffers(ctx.device);
    ctx.capBindingBytes(cols * 4 - 16);
    try {
      for (const [op, call] of calls.slice(0, 3)) {
        const e = await call(gpu).then(
          () => null,
          (err: unknown) => err,
        );
        expect(e, op).toBeInstanceOf(InputError);
        expect((e as InputError).info).toEqual({
          code: 'unsupported',
          problem: `${op}: a row of ${cols * 4} bytes is too wide for this GPU (one storage binding holds ${cols * 4 - 16} bytes)`,
          fix: 'the CPU backend handles any width: set {option}',
          option: { name: 'device', value: 'cpu' },
        });
      }
    } finally {
      ctx.capBindingBytes(undefined);
      tracked.stop();
    }
    expect(tracked.live.size).toBe(0);
  });

  for (const [op, call] of calls) {
    it(`${op}: frees every buffer it made, after success and after a failing dispatch`, async (t) => {
      if (!gpu || !backend) return t.skip();
      const ops = gpu;
      const ctx = backend.ctx;
      ctx.capBindingBytes(cols * 4 * 9);
      try {
        await expectBuffersFreed(ctx, () => call(ops));
      } finally {
        ctx.capBindingBytes(undefined);
      }
    });
  }
});

describe.each(TEST_ADAPTERS)('training ops check their arguments once, for both paths on %s', (adapter) => {
  const cpu = new CpuBackend({ threads: 1 });
  let backend: WebGpuBackend | null = null;
  beforeAll(async () => {
    backend = await openTestGpu(adapter);
  });
  afterAll(() => {
    cpu.dispose();
    backend?.dispose();
  });

  const mistakes: [(t: TrainingOps) => Promise<unknown>, string][] = [
    [
      (t) => t.biasRelu(new Float32Array(6), 2, 3, new Float32Array(2)),
      'biasRelu: bias has 2 values for 3 columns',
    ],
    [(t) => t.biasRelu(new Float32Array(5), 2, 3, new Float32Array(3)), 'biasRelu: 5 values for shape 2×3'],
    [
      (t) => t.softmaxXent(new Float32Array(6), 2, 3, Int32Array.from([0, -1])),
      'softmaxXent: label -1 at row 1 is outside [0, 3); labels must be class indices of the logits',
    ],
    [
      (t) => t.reluBackward(new Float32Array(3), new Float32Array(4)),
      'reluBackward: 3 gradients for 4 activations',
    ],
    [(t) => t.colSum(new Float32Array(7), 2, 3), 'colSum: 7 values for shape 2×3'],
    [
      (t) => t.sgdMomentum(new Float32Array(2), new Float32Array(2), new Float32Array(2), { lr: -1 }),
      'sgdMomentum: lr must be finite and ≥ 0, got -1',
    ],
    [
      (t) => t.sgdMomentum(new Float32Array(2), new Float32Array(3), new Float32Array(2), { lr: 1 }),
      'sgdMomentum: 2 parameters, 3 gradients, 2 velocities',
    ],
  ];

  it('gives the same InputError on the CPU and on the GPU', async () => {
    const paths = [trainingOps(cpu), ...(backend ? [trainingOps(backend)] : [])];
    for (const ops of paths) {
      for (const [call, message] of mistakes) {
        const e = await call(ops).then(
          () => null,
          (err: unknown) => err,
        );
        expect(e).toBeInstanceOf(InputError);
        expect((e as InputError).message).toBe(message);
      }
    }
  });
});
