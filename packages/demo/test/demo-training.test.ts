import { CpuBackend } from '@ftcal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDomainB } from '../src/domain.ts';
import { forward, gradients, initMlp, type Mlp } from '../src/mlp.ts';
import { type DigitSet, loadMnist, onlyClasses, PIXELS, splitDigits } from '../src/mnist.ts';
import { SeededRandom } from '../src/random.ts';
import { train } from '../src/train.ts';
import { type TrainingBackend, withTraining } from '../src/training.ts';
import { openTestGpu, TEST_ADAPTERS } from './gpu.ts';

const cpu = withTraining(new CpuBackend());
const digits = loadMnist();

/** Mean cross-entropy of a 2-layer ReLU MLP in float64, written independently of the kernels. */
function referenceLoss(m: Mlp, p: Float64Array, x: Float32Array, labels: Int32Array): number {
  const { inputs: I, hidden: H, classes: C } = m;
  const rows = labels.length;
  const b1 = I * H;
  const w2 = b1 + H;
  const b2 = w2 + H * C;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const h = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      let s = p[b1 + j]!;
      for (let i = 0; i < I; i++) s += x[r * I + i]! * p[i * H + j]!;
      h[j] = Math.max(s, 0);
    }
    const z = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let s = p[b2 + c]!;
      for (let j = 0; j < H; j++) s += h[j]! * p[w2 + j * C + c]!;
      z[c] = s;
    }
    const m0 = Math.max(...z);
    const lse = m0 + Math.log(z.reduce((a, v) => a + Math.exp(v - m0), 0));
    total += lse - z[labels[r]!]!;
  }
  return total / rows;
}

/** Byte equality; vitest's deep equality is slow on million-element typed arrays. */
function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

function subset(set: DigitSet, count: number): DigitSet {
  return {
    images: set.images.slice(0, count * PIXELS),
    labels: set.labels.slice(0, count),
    count,
  };
}

describe('demo data', () => {
  it('reads the 10,000 mnist digits as 784-pixel images in [0, 1]', () => {
    expect(digits).toHaveLength(10);
    const total = digits.reduce((n, d) => n + d.length / PIXELS, 0);
    expect(total).toBe(10_000);
    for (const d of digits) {
      expect(d.length % PIXELS).toBe(0);
      expect(Math.min(...d.subarray(0, 5 * PIXELS))).toBe(0);
      expect(Math.max(...d.subarray(0, 5 * PIXELS))).toBeLessThanOrEqual(1);
    }
  });

  it('splits every digit by the seed alone: same seed, same split; parts disjoint and complete', () => {
    const a = splitDigits(digits, { pretrain: 0.5, finetune: 0.3 }, 7);
    const b = splitDigits(digits, { pretrain: 0.5, finetune: 0.3 }, 7);
    const c = splitDigits(digits, { pretrain: 0.5, finetune: 0.3 }, 8);
    expect(sameBytes(a.finetune.images, b.finetune.images)).toBe(true);
    expect(a.test.labels).toEqual(b.test.labels);
    expect(a.test.labels).not.toEqual(c.test.labels);
    expect(a.pretrain.count + a.finetune.count + a.test.count).toBe(10_000);
    // Each digit is split in the same proportions (±1 image of rounding).
    for (let d = 0; d < 10; d++) {
      const n = digits[d]!.length / PIXELS;
      const inPre = a.pretrain.labels.filter((y) => y === d).length;
      expect(Math.abs(inPre - n * 0.5)).toBeLessThanOrEqual(1);
    }
    // No image is in two parts: an FNV hash of its pixel bits is its fingerprint.
    const key = (s: DigitSet, r: number) => {
      let h = 0x811c9dc5;
      for (const bits of new Uint32Array(s.images.slice(r * PIXELS, (r + 1) * PIXELS).buffer)) {
        h = Math.imul(h ^ bits, 16777619);
      }
      return h;
    };
    const test = new Set(Array.from({ length: a.test.count }, (_, r) => key(a.test, r)));
    let shared = 0;
    for (let r = 0; r < a.pretrain.count; r++) if (test.has(key(a.pretrain, r))) shared++;
    // mnist holds a few pixel-identical duplicates; a split by index can put twins apart.
    expect(shared).toBeLessThan(5);
  });

  it('domain B moves each digit two pixels right and adds seeded noise, clipped to [0, 1]', () => {
    const set = subset(splitDigits(digits, { pretrain: 0.5, finetune: 0.3 }, 1).test, 3);
    const clean = toDomainB(set, { shiftX: 2, shiftY: 0, noiseSigma: 0 }, 1, 1);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const want = x >= 2 ? set.images[y * 28 + x - 2]! : 0;
        expect(clean.images[y * 28 + x]).toBe(want);
      }
    }
    const noisy = toDomainB(set, { shiftX: 2, shiftY: 0, noiseSigma: 0.2 }, 1, 1);
    expect(
      sameBytes(noisy.images, toDomainB(set, { shiftX: 2, shiftY: 0, noiseSigma: 0.2 }, 1, 1).images),
    ).toBe(true);
    expect(Math.min(...noisy.images)).toBe(0);
    expect(Math.max(...noisy.images)).toBeLessThanOrEqual(1);
    let diff = 0;
    for (let i = 0; i < noisy.images.length; i++) diff += (noisy.images[i]! - clean.images[i]!) ** 2;
    expect(Math.sqrt(diff / noisy.images.length)).toBeGreaterThan(0.08);
  });

  it('onlyClasses keeps the rows of the listed labels in order', () => {
    const set = subset(splitDigits(digits, { pretrain: 0.5, finetune: 0.3 }, 1).finetune, 50);
    const s = onlyClasses(set, [0, 1, 2, 3, 4]);
    expect([...s.labels]).toEqual([...set.labels].filter((y) => y < 5));
  });

  it('the seeded generator is reproducible and roughly standard normal', () => {
    const a = new SeededRandom(3, 1);
    const b = new SeededRandom(3, 1);
    const xs = Array.from({ length: 20_000 }, () => a.normal());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.normal()));
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    expect(new SeededRandom(3, 2).next()).not.toBe(new SeededRandom(3, 1).next());
  });
});

describe('MLP training', () => {
  it('backpropagation matches central finite differences of an independent float64 forward pass', async () => {
    const m = initMlp(6, 5, 3, 11);
    const rand = new SeededRandom(12);
    const rows = 4;
    const x = Float32Array.from({ length: rows * 6 }, () => rand.next());
    const labels = Int32Array.from([0, 2, 1, 2]);
    // Non-zero biases so the bias gradients are exercised away from the ReLU kink.
    for (let i = 6 * 5; i < m.params.length; i++) m.params[i] = Math.fround(0.1 * rand.normal());
    const { loss, grad } = await gradients(cpu, m, x, labels, rows);
    const p = Float64Array.from(m.params);
    expect(loss).toBeCloseTo(referenceLoss(m, p, x, labels), 5);
    const h = 1e-5;
    for (let i = 0; i < p.length; i++) {
      const keep = p[i]!;
      p[i] = keep + h;
      const up = referenceLoss(m, p, x, labels);
      p[i] = keep - h;
      const down = referenceLoss(m, p, x, labels);
      p[i] = keep;
      expect(Math.abs(grad[i]! - (up - down) / (2 * h)), `parameter ${i}`).toBeLessThan(2e-5);
    }
  });

  it('a few epochs of SGD on real digits lower the loss and beat chance on held-out digits', async () => {
    const split = splitDigits(digits, { pretrain: 0.5, finetune: 0.3, use: 0.08 }, 3);
    const m = initMlp(PIXELS, 32, 10, 3);
    const run = await train(cpu, m, split.pretrain, {
      epochs: 3,
      batchSize: 32,
      lr: 0.05,
      momentum: 0.9,
      seed: 3,
      stream: 1,
    });
    expect(run.epochLosses).toHaveLength(3);
    expect(run.epochLosses[2]!).toBeLessThan(run.epochLosses[0]! * 0.7);
    const { logits } = await forward(cpu, run.model, split.test.images, split.test.count);
    let correct = 0;
    for (let r = 0; r < split.test.count; r++) {
      const row = Array.from(logits.subarray(r * 10, r * 10 + 10));
      if (row.indexOf(Math.max(...row)) === split.test.labels[r]) correct++;
    }
    expect(correct / split.test.count).toBeGreaterThan(0.6);
  });
});

describe.each(TEST_ADAPTERS)('MLP training on the GPU vs the CPU twins on %s', (adapter) => {
  let gpu: TrainingBackend | null = null;
  beforeAll(async () => {
    const opened = await openTestGpu(adapter);
    gpu = opened && withTraining(opened);
  });
  afterAll(() => gpu?.dispose());

  it('the same seeded run gives the same losses and weights up to float rounding', async (ctx) => {
    if (!gpu) return ctx.skip();
    const split = splitDigits(digits, { pretrain: 0.5, finetune: 0.3, use: 0.04 }, 5);
    const set = toDomainB(split.pretrain, { shiftX: 2, shiftY: 0, noiseSigma: 0.2 }, 5, 1);
    const options = {
      epochs: 2,
      batchSize: 32,
      lr: 0.05,
      momentum: 0.9,
      weightDecay: 5e-4,
      seed: 5,
      stream: 2,
    };
    const m = initMlp(PIXELS, 24, 10, 5);
    const onCpu = await train(cpu, m, set, options);
    const onGpu = await train(gpu, m, set, options);
    for (let e = 0; e < 2; e++) {
      expect(Math.abs(onGpu.epochLosses[e]! - onCpu.epochLosses[e]!)).toBeLessThan(1e-4);
    }
    let worst = 0;
    for (let i = 0; i < m.params.length; i++) {
      worst = Math.max(worst, Math.abs(onGpu.model.params[i]! - onCpu.model.params[i]!));
    }
    expect(worst, `losses ${onCpu.epochLosses} vs ${onGpu.epochLosses}`).toBeLessThan(1e-4);
  });
});
