import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { biasReluCpu } from '../src/cpu/bias-relu.ts';
import { colSumCpu } from '../src/cpu/col-sum.ts';
import { reluBackwardCpu } from '../src/cpu/relu-backward.ts';
import { sgdMomentumCpu } from '../src/cpu/sgd-momentum.ts';
import { softmaxXentCpu } from '../src/cpu/softmax-xent.ts';
import { openTestGpu, randomNormal, rng } from './gpu-harness.ts';

function normals(count: number, seed: number, scale = 1): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: count }, () => randomNormal(next) * scale);
}

function labelsFor(rows: number, cols: number, seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: rows }, () => Math.floor(next() * cols));
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

  it('softmaxXent: stays finite for logits of ±80 and rejects a label outside [0, cols)', () => {
    const z = Float32Array.from([80, -80, 0, -80, 80, 0]);
    const { loss, grad } = softmaxXentCpu(z, 2, 3, Int32Array.from([0, 0]));
    expect(loss).toBeCloseTo(80, 4);
    expect(grad[3]).toBeCloseTo(-0.5, 6);
    expect(grad[4]).toBeCloseTo(0.5, 6);
    expect(() => softmaxXentCpu(z, 2, 3, Int32Array.from([0, 3]))).toThrow(/label 3 at row 1/);
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
    expect(() => sgdMomentumCpu(w0, g, new Float32Array(2), { lr: -1 })).toThrow(/lr/);
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

describe('training kernels vs CPU twins', () => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openTestGpu();
  });
  afterAll(() => gpu?.dispose());

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
    gpu.ctx.capBindingBytes(cols * 4 * 17);
    try {
      expect(await gpu.biasRelu(x, rows, cols, bias)).toEqual(whole.bias);
      expect(await gpu.reluBackward(x, whole.bias)).toEqual(reluBackwardCpu(x, whole.bias));
      const xent = await gpu.softmaxXent(x, rows, cols, labels);
      expect(xent.grad).toEqual(whole.xent.grad);
      expect(xent.loss).toBeCloseTo(whole.xent.loss, 5);
      expectClose(await gpu.colSum(x, rows, cols), whole.sums, 1e-5, 1e-5);
      expect((await gpu.sgdMomentum(x, x, x, { lr: 0.1, momentum: 0.5 })).params).toEqual(whole.sgd.params);
    } finally {
      gpu.ctx.capBindingBytes(undefined);
    }
  });

  it('rejects mismatched shapes before touching the device', async (ctx) => {
    if (!gpu) return ctx.skip();
    await expect(gpu.biasRelu(new Float32Array(6), 2, 3, new Float32Array(2))).rejects.toThrow(/bias/);
    await expect(gpu.softmaxXent(new Float32Array(6), 2, 3, Int32Array.from([0, -1]))).rejects.toThrow(
      /label -1/,
    );
    await expect(gpu.reluBackward(new Float32Array(3), new Float32Array(4))).rejects.toThrow(/3 gradients/);
  });
});
