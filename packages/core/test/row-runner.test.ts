import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBuffersFreed, trackBuffers } from '../../../tools/track-buffers.ts';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { InputError } from '../src/errors.ts';
import { planRowChunks } from '../src/webgpu/row-runner.ts';
import { openTestGpu, randomNormal, rng, TEST_ADAPTERS } from './gpu-harness.ts';

describe('planRowChunks', () => {
  it('keeps one chunk when everything fits, whatever the alignment', () => {
    expect(planRowChunks(7, [12, 44], 1000, 256)).toEqual([{ r0: 0, rows: 7 }]);
  });

  it('starts every later chunk at an aligned byte offset of every buffer and covers all rows once', () => {
    const rowBytes = [33 * 4, 44, 4];
    const chunks = planRowChunks(1000, rowBytes, 33 * 4 * 150, 256);
    expect(chunks.length).toBeGreaterThan(1);
    let next = 0;
    for (const { r0, rows } of chunks) {
      expect(r0).toBe(next);
      for (const b of rowBytes) {
        expect((r0 * b) % 256).toBe(0);
        expect(rows * b).toBeLessThanOrEqual(33 * 4 * 150);
      }
      next = r0 + rows;
    }
    expect(next).toBe(1000);
  });

  it('without offsets, fills each binding with as many rows as fit', () => {
    expect(planRowChunks(10, [12, 4], 40)).toEqual([
      { r0: 0, rows: 3 },
      { r0: 3, rows: 3 },
      { r0: 6, rows: 3 },
      { r0: 9, rows: 1 },
    ]);
    expect(planRowChunks(0, [12], 40)).toEqual([]);
  });

  it('refuses rows wider than a binding, or an aligned run of rows over one, with an InputError', () => {
    const wide = (): unknown => planRowChunks(3, [80, 4], 64, 1, 'softmax');
    expect(wide).toThrow(InputError);
    expect(wide).toThrow(/^softmax: a row of 80 bytes is too wide for this GPU .*; the CPU backend/);
    expect(() => planRowChunks(100, [4], 16, 256, 'rowStats')).toThrow(
      /^rowStats: 64 rows of 4 bytes \(the fewest that keep binding offsets aligned\) are too wide/,
    );
  });
});

function randomArray(n: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => 4 * randomNormal(next));
}

describe.each(TEST_ADAPTERS)('host drivers share one row-chunk runner on %s', (adapter) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openTestGpu(adapter);
  });
  afterAll(() => gpu?.dispose());

  const rows = 41;
  const cols = 20;
  const z = randomArray(rows * cols, 7);
  const groups = Uint32Array.from({ length: cols }, (_, c) => (c % 3 === 0 ? 1 : c % 7 === 0 ? 2 : 0));
  const labels = Int32Array.from({ length: rows }, (_, r) => (r * 7) % cols);
  const drivers: [string, (b: WebGpuBackend) => Promise<unknown>][] = [
    ['softmax', (b) => b.softmax(z, rows, cols, { groups, gamma: 0.5, temperature: 2 })],
    ['rowStats', (b) => b.rowStats(z, rows, cols, { groups, labels })],
    ['l2Normalize', (b) => b.l2Normalize(z, rows, cols)],
    [
      'nllGrad',
      (b) => b.nllGrad(z, rows, cols, { groups, labels, candidates: Float64Array.of(0, 0, 1, 0.5) }),
    ],
  ];

  it('gives one InputError for a row too wide for a binding, the same in every driver, making no buffer', async (t) => {
    if (!gpu) return t.skip();
    const b = gpu;
    const tracked = trackBuffers(b.ctx.device);
    b.ctx.capBindingBytes(cols * 4 - 16);
    const errors: InputError[] = [];
    try {
      for (const [op, run] of drivers) {
        const e = await run(b).then(
          () => null,
          (err: unknown) => err,
        );
        expect(e, op).toBeInstanceOf(InputError);
        const err = e as InputError;
        expect(err.problem.startsWith(`${op}: `), err.message).toBe(true);
        errors.push(err);
      }
    } finally {
      b.ctx.capBindingBytes(undefined);
      tracked.stop();
    }
    expect(tracked.live.size).toBe(0);
    // Apart from the op's name, every driver says the same: code, problem, fix and the option to set.
    const shapes = errors.map((e) => ({ ...e.info, problem: e.problem.replace(/^\w+: /, '') }));
    for (const s of shapes) expect(s).toEqual(shapes[0]);
    expect(shapes[0]).toEqual({
      code: 'unsupported',
      problem: `a row of ${cols * 4} bytes is too wide for this GPU (one storage binding holds ${cols * 4 - 16} bytes)`,
      fix: 'the CPU backend handles any width: set {option}',
      option: { name: 'device', value: 'cpu' },
    });
    expect(errors[0]!.message).toMatch(/set device: 'cpu'$/);
  });

  const sorted: [string, (b: WebGpuBackend) => Promise<unknown>] = ['sortKeys', (b) => b.sortKeys(z)];
  for (const [op, run] of [...drivers, sorted]) {
    it(`${op}: frees every buffer it made, after success and after a failing dispatch`, async (t) => {
      if (!gpu) return t.skip();
      const b = gpu;
      const ctx = b.ctx;
      // Several chunks, so the failure comes after some have run and others are half made.
      ctx.capBindingBytes(cols * 4 * 9);
      try {
        await expectBuffersFreed(ctx, () => run(b));
        // The device is still usable afterwards.
        await run(b);
      } finally {
        ctx.capBindingBytes(undefined);
      }
    });
  }
});
