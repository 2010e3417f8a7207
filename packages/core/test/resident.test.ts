import { ROW_STATS_FIELDS } from '@ftcal/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowStats } from '../src/backend/backend.ts';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { rowStatsCpu } from '../src/cpu/row-stats.ts';
import { softmaxCpu } from '../src/cpu/softmax.ts';
import { InputError } from '../src/errors.ts';
import { readRowStats, recordRowStats, recordSoftmax, rowStatsBytes } from '../src/webgpu/resident-rows.ts';
import { randomNormal, rng } from './gpu-harness.ts';
import { GPU_RUNS, openGpuRun } from './gpu-variants.ts';

function logits(rows: number, cols: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: rows * cols }, () => randomNormal(next) * 3);
}

function groupsFor(cols: number, seed: number): Uint32Array {
  const next = rng(seed);
  return Uint32Array.from({ length: cols }, () => Math.floor(next() * 3));
}

function labelsFor(rows: number, cols: number, seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: rows }, () => Math.floor(next() * cols));
}

function expectClose(gpu: Float32Array, cpu: Float32Array): void {
  expect(gpu.length).toBe(cpu.length);
  for (let i = 0; i < gpu.length; i++) {
    const g = gpu[i]!;
    const c = cpu[i]!;
    if (Object.is(g, c) || (Number.isNaN(g) && Number.isNaN(c))) continue;
    if (Math.abs(g - c) > 1e-5 * Math.abs(c) + 1e-6) throw new Error(`element ${i}: gpu ${g} vs cpu ${c}`);
  }
}

/**
 * Maxima, arguments and labels exactly; sums and log-sum-exps within f32 reordering error, scaled by
 * the row's largest |logit| as in row-stats.test.ts.
 */
function expectSameStats(gpu: RowStats, cpu: RowStats, z: Float32Array, cols: number): void {
  expect(gpu.rows).toBe(cpu.rows);
  for (let r = 0; r < cpu.rows; r++) {
    let scale = 0;
    for (let c = 0; c < cols; c++) scale = Math.max(scale, Math.abs(z[r * cols + c]!));
    for (const name of ROW_STATS_FIELDS) {
      const g = gpu[name][r]!;
      const c = cpu[name][r]!;
      if (Object.is(g, c) || (Number.isNaN(g) && Number.isNaN(c))) continue;
      const exact = name.startsWith('arg') || name.startsWith('max') || name === 'label';
      if (exact || !(Math.abs(g - c) <= 1e-5 * Math.abs(c) + 1e-6 * scale)) {
        throw new Error(`row ${r} ${name}: gpu ${g} vs cpu ${c}`);
      }
    }
  }
}

describe.each(GPU_RUNS)('resident softmax and row statistics vs the CPU twins on $title', (run) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openGpuRun(run);
  });
  afterAll(() => gpu?.dispose());

  // Capping bindings at alignment/4 rows forces several offset-bound chunks over one resident buffer.
  for (const capped of [false, true]) {
    for (const [rows, cols] of [
      [1, 5],
      [203, 33],
      [150, 1000],
    ] as const) {
      const what = `${rows}×${cols}${capped ? ', bindings capped' : ''}`;

      it(`softmax and log-softmax ${what}`, async (t) => {
        if (!gpu) return t.skip();
        const ctx = gpu.ctx;
        const z = logits(rows, cols, rows + cols);
        const groups = groupsFor(cols, cols);
        const logitsBuf = ctx.upload(z, 'test-logits');
        const groupsBuf = ctx.upload(groups, 'test-groups');
        const cap = capped ? ctx.limits.minStorageBufferOffsetAlignment * cols : undefined;
        ctx.capBindingBytes(cap);
        try {
          for (const log of [false, true]) {
            const options = { gamma: 0.75, temperature: 1.3, log };
            const out = await ctx.checked('test resident softmax', async () => {
              const encoder = ctx.device.createCommandEncoder();
              const rec = recordSoftmax(
                ctx,
                encoder,
                { logits: logitsBuf, groups: groupsBuf, rows, cols },
                options,
              );
              ctx.device.queue.submit([encoder.finish()]);
              if (cap && rows * cols * 4 > cap) expect(rec.chunks.length).toBeGreaterThan(1);
              const host = await ctx.readF32(rec.out, rows * cols);
              rec.release();
              rec.out.destroy();
              return host;
            });
            expectClose(out, softmaxCpu(z, rows, cols, { ...options, groups }));
          }
        } finally {
          ctx.capBindingBytes(undefined);
          logitsBuf.destroy();
          groupsBuf.destroy();
        }
      });

      it(`row statistics with and without labels ${what}`, async (t) => {
        if (!gpu) return t.skip();
        const ctx = gpu.ctx;
        const z = logits(rows, cols, 3 * rows + cols);
        const groups = groupsFor(cols, cols + 1);
        const labels = labelsFor(rows, cols, rows);
        const logitsBuf = ctx.upload(z, 'test-logits');
        const groupsBuf = ctx.upload(groups, 'test-groups');
        const labelsBuf = ctx.upload(labels, 'test-labels');
        // A caller-owned output, reused by both runs as a benchmark would.
        const outBuf = ctx.storage(rowStatsBytes(rows), 'test-stats');
        const cap = capped ? ctx.limits.minStorageBufferOffsetAlignment * cols : undefined;
        ctx.capBindingBytes(cap);
        try {
          for (const withLabels of [true, false]) {
            const got = await ctx.checked('test resident rowStats', async () => {
              const encoder = ctx.device.createCommandEncoder();
              const rec = recordRowStats(
                ctx,
                encoder,
                { logits: logitsBuf, groups: groupsBuf, rows, cols },
                { temperature: 0.8, out: outBuf, ...(withLabels ? { labels: labelsBuf } : {}) },
              );
              ctx.device.queue.submit([encoder.finish()]);
              expect(rec.out).toBe(outBuf);
              const stats = await readRowStats(ctx, rec);
              rec.release();
              return stats;
            });
            const options = { groups, temperature: 0.8, ...(withLabels ? { labels } : {}) };
            expectSameStats(got, rowStatsCpu(z, rows, cols, options), z, cols);
          }
        } finally {
          ctx.capBindingBytes(undefined);
          for (const b of [logitsBuf, groupsBuf, labelsBuf, outBuf]) b.destroy();
        }
      });
    }
  }

  it('rejects a logits buffer smaller than rows×cols with an InputError', async (t) => {
    if (!gpu) return t.skip();
    const ctx = gpu.ctx;
    const small = ctx.storage(64);
    const groups = ctx.storage(16);
    const encoder = ctx.device.createCommandEncoder();
    const record = () => recordSoftmax(ctx, encoder, { logits: small, groups, rows: 5, cols: 4 });
    expect(record).toThrow(InputError);
    expect(record).toThrow(/^softmax: logits buffer holds 64 bytes, 5×4 need 80$/);
    small.destroy();
    groups.destroy();
  });
});
