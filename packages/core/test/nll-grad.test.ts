import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackBuffers } from '../../../tools/track-buffers.ts';
import type { NllGradOptions, NllGradResult } from '../src/backend/backend.ts';
import { ResidentLogits } from '../src/backend/resident-logits.ts';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { nllGradCpu } from '../src/cpu/nll-grad.ts';
import { InputError } from '../src/errors.ts';
import { arraySource, type RowSource } from '../src/io/row-source.ts';
import { deviceLogits } from '../src/webgpu/device-logits.ts';
import { nllStage1 } from '../src/webgpu/nll-grad.ts';
import { openTestGpu, randomNormal, rng, TEST_ADAPTERS } from './gpu-harness.ts';
import { GPU_RUNS, openGpuRun } from './gpu-variants.ts';

function logits(rows: number, cols: number, seed: number, scale = 3): Float32Array {
  const next = rng(seed);
  const z = new Float32Array(rows * cols);
  for (let i = 0; i < z.length; i++) z[i] = randomNormal(next) * scale;
  return z;
}

/** Random groups with every code present when cols ≥ 3 (withOther = false leaves O empty). */
function groupsFor(cols: number, seed: number, withOther = true): Uint32Array {
  const next = rng(seed);
  const g = Uint32Array.from({ length: cols }, () => Math.floor(next() * (withOther ? 3 : 2)));
  if (cols >= 2) {
    g[0] = 0;
    g[1] = 1;
  }
  if (cols >= 3 && withOther) g[2] = 2;
  return g;
}

/** Labels in S ∪ U, as the engine guarantees. */
function labelsFor(rows: number, groups: Uint32Array, seed: number): Int32Array {
  const next = rng(seed);
  const allowed = [...groups.keys()].filter((c) => groups[c] !== 2);
  return Int32Array.from({ length: rows }, () => allowed[Math.floor(next() * allowed.length)]!);
}

/** Independent float64 NLL sum, straight from the definition: per row log Σ exp(s_c) − s_y, no shortcuts. */
function nllDirect(
  z: Float32Array,
  rows: number,
  cols: number,
  o: NllGradOptions,
  gamma: number,
  tau: number,
) {
  const t = Math.exp(tau);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const s = Array.from(
      { length: cols },
      (_, c) => (z[r * cols + c]! + (o.groups[c] === 1 ? gamma : 0)) / t,
    );
    const m = Math.max(...s);
    total += m + Math.log(s.reduce((a, v) => a + Math.exp(v - m), 0)) - s[o.labels[r]!]!;
  }
  return total;
}

function nllAt(z: Float32Array, rows: number, cols: number, o: NllGradOptions, gamma: number, tau: number) {
  return nllGradCpu(z, rows, cols, { ...o, candidates: Float64Array.of(gamma, tau) }).nll[0]!;
}

describe('nllGrad: CPU twin', () => {
  const rows = 23;
  const cols = 11;
  const z = logits(rows, cols, 5);
  const groups = groupsFor(cols, 6);
  const labels = labelsFor(rows, groups, 7);
  const points: [number, number][] = [
    [0, 0],
    [1.7, -0.4],
    [-2.5, 0.9],
  ];

  it('NLL equals an independent float64 formula', () => {
    const candidates = Float64Array.from(points.flat());
    const out = nllGradCpu(z, rows, cols, { groups, labels, candidates });
    expect(out.k).toBe(3);
    points.forEach(([g, t], j) => {
      expect(out.nll[j]).toBeCloseTo(nllDirect(z, rows, cols, { groups, labels, candidates }, g, t), 9);
    });
  });

  it('gradient and Hessian match central finite differences of the NLL', () => {
    const o = { groups, labels, candidates: new Float64Array(2) };
    const h = 1e-4;
    for (const [g, t] of points) {
      const out = nllGradCpu(z, rows, cols, { ...o, candidates: Float64Array.of(g, t) });
      // First derivatives from the independent formula, second from the twin's own gradient.
      const dg = (nllDirect(z, rows, cols, o, g + h, t) - nllDirect(z, rows, cols, o, g - h, t)) / (2 * h);
      const dt = (nllDirect(z, rows, cols, o, g, t + h) - nllDirect(z, rows, cols, o, g, t - h)) / (2 * h);
      expect(out.grad[0]).toBeCloseTo(dg, 5);
      expect(out.grad[1]).toBeCloseTo(dt, 5);
      const gradAt = (gg: number, tt: number) =>
        nllGradCpu(z, rows, cols, { ...o, candidates: Float64Array.of(gg, tt) }).grad;
      const gp = gradAt(g + h, t);
      const gm = gradAt(g - h, t);
      const tp = gradAt(g, t + h);
      const tm = gradAt(g, t - h);
      expect(out.hess[0]).toBeCloseTo((gp[0]! - gm[0]!) / (2 * h), 5);
      expect(out.hess[1]).toBeCloseTo((gp[1]! - gm[1]!) / (2 * h), 5);
      expect(out.hess[1]).toBeCloseTo((tp[0]! - tm[0]!) / (2 * h), 5);
      expect(out.hess[2]).toBeCloseTo((tp[1]! - tm[1]!) / (2 * h), 5);
      // The NLL's own second differences agree too (coarser: they lose more digits).
      const f0 = nllAt(z, rows, cols, o, g, t);
      const h2 = 1e-3;
      const dgg =
        (nllAt(z, rows, cols, o, g + h2, t) - 2 * f0 + nllAt(z, rows, cols, o, g - h2, t)) / h2 ** 2;
      const dtt =
        (nllAt(z, rows, cols, o, g, t + h2) - 2 * f0 + nllAt(z, rows, cols, o, g, t - h2)) / h2 ** 2;
      expect(Math.abs(out.hess[0]! - dgg)).toBeLessThan(1e-3 * Math.max(1, Math.abs(dgg)));
      expect(Math.abs(out.hess[2]! - dtt)).toBeLessThan(1e-3 * Math.max(1, Math.abs(dtt)));
    }
  });

  it('gives each candidate the same answer alone as in a batch', () => {
    const candidates = Float64Array.from(points.flat());
    const all = nllGradCpu(z, rows, cols, { groups, labels, candidates });
    points.forEach(([g, t], j) => {
      const one = nllGradCpu(z, rows, cols, { groups, labels, candidates: Float64Array.of(g, t) });
      expect(all.nll[j]).toBe(one.nll[0]);
      expect([...all.grad.subarray(2 * j, 2 * j + 2)]).toEqual([...one.grad]);
      expect([...all.hess.subarray(3 * j, 3 * j + 3)]).toEqual([...one.hess]);
    });
  });

  it('keeps full precision when P_U is within rounding of 0 or 1', () => {
    // One absent class far above (row 0) or below (row 1) the rest: P_U·P_SO is ~e^-40, not 0.
    const zz = Float32Array.from([50, 10, 10, -30, 10, 10]);
    const g = Uint32Array.from([1, 0, 0]);
    const out = nllGradCpu(zz, 2, 3, {
      groups: g,
      labels: Int32Array.of(0, 1),
      candidates: Float64Array.of(0, 0),
    });
    const expected = 2 * Math.exp(-40) + Math.exp(-40) / 2; // both rows, to leading order
    expect(out.hess[0]! / expected).toBeCloseTo(1, 6);
    expect(out.grad[0]! / (-2 * Math.exp(-40) + Math.exp(-40) / 2)).toBeCloseTo(1, 6);
  });

  it('treats -Infinity logits as probability 0', () => {
    const zz = Float32Array.from([1, Number.NEGATIVE_INFINITY, 2, 0.5]);
    const g = Uint32Array.from([0, 1, 1, 0]);
    const o = { groups: g, labels: Int32Array.of(2), candidates: Float64Array.of(0.3, 0.2) };
    const out = nllGradCpu(zz, 1, 4, o);
    const dropped = nllGradCpu(Float32Array.from([1, 2, 0.5]), 1, 3, {
      ...o,
      groups: Uint32Array.from([0, 1, 0]),
      labels: Int32Array.of(1),
    });
    for (const key of ['nll', 'grad', 'hess'] as const) {
      [...out[key]].forEach((v, i) => {
        expect(v).toBeCloseTo(dropped[key][i]!, 12);
      });
    }
  });
});

const TERMS = ['nll', 'grad', 'hess'] as const;

/**
 * GPU (f32) vs twin (f64): |gpu − cpu| ≤ 1e-4·Σ_i|term_i| + 1e-6 for each of the 6K sums, where Σ_i|term_i|
 * is the sum over rows of the absolute per-row term (from the twin, one row at a time). That equals
 * 1e-4 relative to the sum whenever the row terms share a sign (NLL, ∂γγ, ∂ττ mostly), and stays
 * meaningful for gradients that sum to nearly 0 across rows, as they do near the optimum.
 */
function expectCloseToTwin(
  gpu: NllGradResult,
  z: Float32Array,
  rows: number,
  cols: number,
  o: NllGradOptions,
) {
  const cpu = nllGradCpu(z, rows, cols, o);
  expect([gpu.k, gpu.rows]).toEqual([cpu.k, cpu.rows]);
  const scale = {
    nll: new Float64Array(cpu.k),
    grad: new Float64Array(2 * cpu.k),
    hess: new Float64Array(3 * cpu.k),
  };
  for (let r = 0; r < rows; r++) {
    const one = nllGradCpu(z.subarray(r * cols, (r + 1) * cols), 1, cols, {
      ...o,
      labels: o.labels.subarray(r, r + 1),
    });
    for (const key of TERMS) {
      for (let i = 0; i < one[key].length; i++) scale[key][i]! += Math.abs(one[key][i]!);
    }
  }
  for (const key of TERMS) {
    cpu[key].forEach((want, i) => {
      const got = gpu[key][i]!;
      if (!(Math.abs(got - want) <= 1e-4 * scale[key][i]! + 1e-6)) {
        throw new Error(`${key}[${i}]: gpu ${got} vs cpu ${want} (scale ${scale[key][i]})`);
      }
    });
  }
}

function candidatesFor(k: number, seed: number): Float64Array {
  const next = rng(seed);
  const c = new Float64Array(2 * k);
  for (let j = 0; j < k; j++) {
    c[2 * j] = (next() - 0.5) * 8;
    c[2 * j + 1] = (next() - 0.5) * 2;
  }
  return c;
}

describe.each(GPU_RUNS)('nllGrad kernel vs CPU twin on $title', (run) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openGpuRun(run);
  });
  afterAll(() => gpu?.dispose());

  it('runs the variant the device allows: one subgroup per row for rows of 25 or more', (ctx) => {
    if (!gpu) return ctx.skip();
    const subgroups = gpu.ctx.device.features.has('subgroups');
    const pick = (cols: number) => nllStage1(gpu!.ctx, cols).kernel.name;
    expect(pick(24)).toBe('nll-grad');
    expect(pick(25)).toBe(subgroups ? 'nll-grad-subgroup' : 'nll-grad');
    expect(pick(3001)).toBe(subgroups ? 'nll-grad-subgroup' : 'nll-grad');
  });

  // rows, cols, K, O non-empty, logit scale
  const shapes: [number, number, number, boolean, number][] = [
    [1, 1, 1, false, 3],
    [1, 7, 5, true, 3],
    [3, 128, 5, true, 3],
    [5, 129, 1, false, 3],
    [37, 1000, 5, true, 3],
    [2, 3001, 5, false, 3],
    [300, 10, 1, true, 3],
    [500, 40, 5, true, 20],
    [2000, 33, 13, true, 3],
  ];
  for (const [rows, cols, k, withOther, scale] of shapes) {
    it(`${rows}×${cols}, K=${k}${withOther ? ', O non-empty' : ''}${scale > 3 ? `, logits ×${scale}` : ''}`, async (ctx) => {
      if (!gpu) return ctx.skip();
      const z = logits(rows, cols, rows * 31 + cols, scale);
      const groups = groupsFor(cols, cols + 1, withOther);
      const o = { groups, labels: labelsFor(rows, groups, rows), candidates: candidatesFor(k, k + cols) };
      expectCloseToTwin(await gpu.nllGrad(z, rows, cols, o), z, rows, cols, o);
    });
  }

  it('walks several row steps per workgroup on many short rows', async (ctx) => {
    if (!gpu) return ctx.skip();
    // 300k rows of 2 classes: more row steps than the driver's target workgroup count.
    const rows = 300_000;
    const z = logits(rows, 2, 77);
    const groups = Uint32Array.of(0, 1);
    const o = {
      groups,
      labels: labelsFor(rows, groups, 78),
      candidates: Float64Array.of(0.7, -0.2, -1, 0.3, 0, 0, 2, -0.5, -3, 0.8),
    };
    expectCloseToTwin(await gpu.nllGrad(z, rows, 2, o), z, rows, 2, o);
  });

  it('skips -inf logits and survives ±3e38 without 0·inf', async (ctx) => {
    if (!gpu) return ctx.skip();
    const rows = 40;
    const cols = 70;
    const z = logits(rows, cols, 3);
    const groups = groupsFor(cols, 4);
    const labels = labelsFor(rows, groups, 5);
    const next = rng(6);
    for (let i = 0; i < z.length; i++)
      if (next() < 0.1 && i % cols !== labels[Math.floor(i / cols)]) z[i] = -Infinity;
    // Rows 0..9: the label logit is 3e38 and one other logit is -3e38, so every other weight underflows.
    for (let r = 0; r < 10; r++) {
      z[r * cols + labels[r]!] = 3e38;
      z[r * cols + ((labels[r]! + 1 + r) % cols)] = -3e38;
    }
    // log T ≥ 0 everywhere: 3e38 / T stays finite in f32.
    const o = { groups, labels, candidates: Float64Array.of(0.5, 0, -2, 0.4, 1, 0.3, 0, 0.1, -1, 0.2) };
    const got = await gpu.nllGrad(z, rows, cols, o);
    expectCloseToTwin(got, z, rows, cols, o);
    for (const key of TERMS) expect(got[key].every(Number.isFinite)).toBe(true);
  });

  it('splits rows and candidates into chunks and sums them on the device', async (ctx) => {
    if (!gpu) return ctx.skip();
    const rows = 203;
    const cols = 33;
    const z = logits(rows, cols, 99);
    const groups = groupsFor(cols, 9);
    const o = { groups, labels: labelsFor(rows, groups, 10), candidates: candidatesFor(13, 11) };
    gpu.ctx.capBindingBytes(cols * 4 * 17);
    try {
      expectCloseToTwin(await gpu.nllGrad(z, rows, cols, o), z, rows, cols, o);
    } finally {
      gpu.ctx.capBindingBytes(undefined);
    }
  });

  it('rejects a label outside the classes before touching the device', async (ctx) => {
    if (!gpu) return ctx.skip();
    const o = {
      groups: Uint32Array.of(0, 1),
      labels: Int32Array.of(0, 2),
      candidates: Float64Array.of(0, 0),
    };
    await expect(gpu.nllGrad(new Float32Array(4), 2, 2, o)).rejects.toThrow(InputError);
  });
});

/** Rows read from an array source, to see which passes go back to the source. */
function countedSource(z: Float32Array, rows: number, cols: number): RowSource & { reads: number } {
  const inner = arraySource(z, rows, cols, 'counted');
  const counted = {
    ...inner,
    reads: 0,
    readRows(start: number, count: number) {
      counted.reads += count;
      return inner.readRows(start, count);
    },
  };
  return counted;
}

describe.each(TEST_ADAPTERS)('nllGradResident on %s', (adapter) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openTestGpu(adapter);
  });
  afterAll(() => gpu?.dispose());

  const rows = 517;
  const cols = 45;
  const z = logits(rows, cols, 5);
  const groups = groupsFor(cols, 6);
  const labels = labelsFor(rows, groups, 7);
  // K = 13: pipelines for 8 and 5 candidates, as the other suites use (each K is one more pipeline).
  const o = { groups, labels, candidates: candidatesFor(13, 8) };

  it('gives the twin’s sums over many device chunks, reading the source only for the upload', async (ctx) => {
    if (!gpu) return ctx.skip();
    const source = countedSource(z, rows, cols);
    // The host holds nothing (every host pass would re-read the source); the device holds everything.
    const held = ResidentLogits.of(source, { labels, chunkRows: 100, residentBytes: 0 });
    gpu.ctx.capBindingBytes(cols * 4 * 37);
    try {
      const first = await gpu.nllGradResident(held, o);
      expectCloseToTwin(first, z, rows, cols, o);
      expect(first.residentRows).toBe(rows);
      expect(source.reads).toBe(rows);
      const copy = await deviceLogits(gpu.ctx, held);
      // Host chunks of 100 rows split into device chunks of at most 37 rows: 3 per full chunk, 1 for 17.
      expect([copy.chunks, copy.residentRows]).toEqual([16, rows]);
      const again = await gpu.nllGradResident(held, { ...o, candidates: o.candidates.slice(0, 10) });
      expect(source.reads).toBe(rows);
      // The same lanes' arithmetic in an 8- and a 5-candidate pipeline: the same sums, bit for bit.
      expect(Array.from(again.nll)).toEqual(Array.from(first.nll.subarray(0, 5)));
    } finally {
      gpu.ctx.capBindingBytes(undefined);
      held.release();
    }
  });

  it('streams what does not fit the device budget, with the same sums', async (ctx) => {
    if (!gpu) return ctx.skip();
    const source = countedSource(z, rows, cols);
    const held = ResidentLogits.of(source, { labels, chunkRows: 100, residentBytes: 0 });
    try {
      // Room for two host chunks of 100 rows: the other 317 rows are uploaded again on every pass.
      const copy = await deviceLogits(gpu.ctx, held, { deviceBytes: 200 * cols * 4 });
      expect(copy.residentRows).toBe(200);
      const first = await gpu.nllGradResident(held, o);
      expect(first.residentRows).toBe(200);
      expectCloseToTwin(first, z, rows, cols, o);
      const before = source.reads;
      const again = await gpu.nllGradResident(held, o);
      expect(source.reads - before).toBe(rows - 200);
      expect(Array.from(again.grad)).toEqual(Array.from(first.grad));
    } finally {
      held.release();
    }
  });

  it('frees its device copy when the logits are released', async (ctx) => {
    if (!gpu) return ctx.skip();
    const tracked = trackBuffers(gpu.ctx.device);
    try {
      const held = ResidentLogits.of(arraySource(z, rows, cols), { labels, chunkRows: 100 });
      await gpu.nllGradResident(held, o);
      expect(tracked.live.size).toBeGreaterThan(0);
      held.release();
      await new Promise((r) => setTimeout(r, 0));
      expect(tracked.live.size).toBe(0);
    } finally {
      tracked.stop();
    }
  });

  it('runs the no-subgroup variant when asked (fallback), to the same sums', async (ctx) => {
    if (!gpu) return ctx.skip();
    const held = ResidentLogits.of(arraySource(z, rows, cols), { labels, chunkRows: 100 });
    try {
      const picked = await gpu.nllGradResident(held, o);
      const fallback = await gpu.nllGradResident(held, { ...o, fallback: true });
      expectCloseToTwin(fallback, z, rows, cols, o);
      if (!gpu.ctx.features.subgroups) expect(Array.from(fallback.grad)).toEqual(Array.from(picked.grad));
    } finally {
      held.release();
    }
  });

  it('refuses unlabelled logits before any device work', async (ctx) => {
    if (!gpu) return ctx.skip();
    const held = ResidentLogits.of(arraySource(z, rows, cols));
    await expect(gpu.nllGradResident(held, o)).rejects.toThrow(/came without labels/);
  });
});
