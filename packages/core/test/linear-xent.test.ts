import { LINEAR_XENT_COEFS } from '@ftcal/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { colSumCpu } from '../src/cpu/col-sum.ts';
import { linearXentGradCpu, linearXentHvpCpu, maskFillCpu } from '../src/cpu/linear-xent.ts';
import { recordColSum } from '../src/webgpu/col-sum.ts';
import { recordLinearXent, recordMaskFill } from '../src/webgpu/linear-xent.ts';
import { GpuBuffers } from '../src/webgpu/row-runner.ts';
import { openTestGpu, randomNormal, rng, TEST_ADAPTERS } from './gpu-harness.ts';

function normals(count: number, seed: number, scale: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: count }, () => randomNormal(next) * scale);
}

/** [a | b | da | db | mask]: scales near 1, shifts, a direction, and every third class masked (not all). */
function coefFor(cols: number, seed: number, maskSome: boolean): Float32Array {
  const next = rng(seed);
  const coef = new Float32Array(LINEAR_XENT_COEFS * cols);
  for (let c = 0; c < cols; c++) {
    coef[c] = 0.5 + next();
    coef[cols + c] = randomNormal(next);
    coef[2 * cols + c] = randomNormal(next);
    coef[3 * cols + c] = randomNormal(next);
    coef[4 * cols + c] = maskSome && c % 3 === 2 ? 1 : 0;
  }
  return coef;
}

/** The labels avoid masked classes, as the fitter's do (labels are never in O). */
function labelsFor(rows: number, cols: number, coef: Float32Array, seed: number): Int32Array {
  const next = rng(seed);
  const open = Array.from({ length: cols }, (_, c) => c).filter((c) => coef[4 * cols + c] === 0);
  return Int32Array.from({ length: rows }, () => open[Math.floor(next() * open.length)]!);
}

/** Within f32 rounding of terms of size ≤ `scale` (|x| times a probability). */
function expectClose(gpu: Float32Array, cpu: Float32Array, scale: number, what: string): void {
  expect(gpu.length).toBe(cpu.length);
  for (let i = 0; i < gpu.length; i++) {
    const g = gpu[i]!;
    const c = cpu[i]!;
    if (!(Math.abs(g - c) <= 2e-5 * Math.abs(c) + 2e-6 * scale)) {
      throw new Error(`${what} element ${i}: gpu ${g} vs cpu ${c}`);
    }
  }
}

describe('linear-xent CPU twin against its definition', () => {
  it('grad: rows of G sum to 0, masked classes get 0, the loss is −log p_y', () => {
    const cols = 5;
    const x = normals(3 * cols, 1, 2);
    const coef = coefFor(cols, 2, true);
    const labels = Int32Array.of(0, 3, 4);
    const { g, h, loss } = linearXentGradCpu(x, 3, cols, labels, { coef, diag: true });
    for (let r = 0; r < 3; r++) {
      const s = Array.from({ length: cols }, (_, c) =>
        c % 3 === 2 ? Number.NEGATIVE_INFINITY : coef[c]! * x[r * cols + c]! + coef[cols + c]!,
      );
      const lse = Math.log(s.reduce((t, v) => t + Math.exp(v), 0));
      expect(loss[r]).toBeCloseTo(lse - s[labels[r]!]!, 5);
      let total = 0;
      for (let c = 0; c < cols; c++) {
        const want = Math.exp(s[c]! - lse) - (c === labels[r] ? 1 : 0);
        expect(h![r * cols + c]).toBeCloseTo(want, 6);
        expect(g[r * cols + c]).toBeCloseTo(want * x[r * cols + c]!, 5);
        total += h![r * cols + c]!;
      }
      expect(h![r * cols + 2]).toBe(0);
      expect(Math.abs(total)).toBeLessThan(1e-6);
    }
  });

  it('hvp: the directional derivative of G, by central differences', () => {
    const cols = 4;
    const s = normals(2 * cols, 3, 2);
    const ds = normals(2 * cols, 4, 1);
    const coef = coefFor(cols, 5, false);
    const labels = Int32Array.of(1, 2);
    const eps = 1e-3;
    const at = (t: number) =>
      linearXentGradCpu(
        s.map((v, i) => v + t * ds[i]!),
        2,
        cols,
        labels,
        { coef, diag: false },
      ).g;
    const plus = at(eps);
    const minus = at(-eps);
    const { g } = linearXentHvpCpu(s, 2, cols, { coef, diag: false, ds });
    for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo((plus[i]! - minus[i]!) / (2 * eps), 4);
  });
});

describe.each(TEST_ADAPTERS)(
  'linear-xent, mask_fill and col_sum kernels vs the CPU twins on %s',
  (adapter) => {
    let gpu: WebGpuBackend | null = null;
    beforeAll(async () => {
      gpu = await openTestGpu(adapter);
    });
    afterAll(() => gpu?.dispose());

    // C = 1 and 2, odd widths, one thread per row up to a whole workgroup per row; N = 1 and many rows.
    const shapes = [
      [1, 1],
      [7, 2],
      [1, 9],
      [333, 7],
      [150, 130],
      [40, 1000],
    ] as const;

    for (const [rows, cols] of shapes) {
      for (const diag of [false, true]) {
        it(`grad and hvp, ${rows}×${cols}, ${diag ? 'diagonal' : 'full'} map`, async (t) => {
          if (!gpu) return t.skip();
          const ctx = gpu.ctx;
          const seed = 7 * rows + cols + (diag ? 1 : 0);
          // Large logits (the kernel subtracts the row max) and masked classes where C allows.
          const src = normals(rows * cols, seed, 20);
          const coef = coefFor(cols, seed + 1, cols > 2);
          const labels = labelsFor(rows, cols, coef, seed + 2);
          // Masked logits (−∞ inputs of a diagonal map, −∞ scores of a full one), never at a label.
          const hide = rng(seed + 4);
          for (let i = 0; i < src.length; i++) {
            if (cols > 1 && hide() < 0.05 && i % cols !== labels[Math.floor(i / cols)])
              src[i] = Number.NEGATIVE_INFINITY;
          }
          const ds = normals(rows * cols, seed + 3, 1);
          const bufs = new GpuBuffers(ctx);
          try {
            const read = await ctx.checked('test linear-xent', async () => {
              const srcBuf = bufs.upload(src);
              const coefBuf = bufs.upload(coef);
              const labelsBuf = bufs.upload(labels);
              const g = bufs.storage(rows * cols * 4);
              const h = bufs.storage(rows * cols * 4);
              const loss = bufs.storage(rows * 4);
              const dg = bufs.upload(ds);
              const dh = bufs.storage(rows * cols * 4);
              const encoder = ctx.device.createCommandEncoder();
              const shape = { rows, cols, diag };
              recordLinearXent(
                ctx,
                encoder,
                bufs,
                'grad',
                {
                  src: srcBuf,
                  coef: coefBuf,
                  labels: labelsBuf,
                  outG: g,
                  loss,
                  ...(diag ? { outH: h } : {}),
                },
                shape,
              );
              recordLinearXent(
                ctx,
                encoder,
                bufs,
                'hvp',
                { src: srcBuf, coef: coefBuf, outG: dg, ...(diag ? { outH: dh } : {}) },
                shape,
              );
              ctx.device.queue.submit([encoder.finish()]);
              return {
                g: await ctx.readF32(g, rows * cols),
                h: await ctx.readF32(h, rows * cols),
                loss: await ctx.readF32(loss, rows),
                dg: await ctx.readF32(dg, rows * cols),
                dh: await ctx.readF32(dh, rows * cols),
              };
            });
            const want = linearXentGradCpu(src, rows, cols, labels, { coef, diag });
            const xScale = diag ? 20 * 4 : 1;
            expectClose(read.g, want.g, xScale, 'G');
            if (diag) expectClose(read.h, want.h!, 1, 'G (diag)');
            expectClose(read.loss, want.loss, 20, 'loss');
            const wantHvp = linearXentHvpCpu(src, rows, cols, { coef, diag, ds });
            expectClose(read.dg, wantHvp.g, 5 * xScale, 'dG');
            if (diag) expectClose(read.dh, wantHvp.h!, 5, 'dG (diag)');
          } finally {
            bufs.free();
          }
        });
      }
    }

    it('mask_fill puts the fill wherever z is −∞, and nowhere else', async (t) => {
      if (!gpu) return t.skip();
      const ctx = gpu.ctx;
      const count = 1000;
      const z = normals(count, 21, 1).map((v, i) => (i % 7 === 3 ? Number.NEGATIVE_INFINITY : v));
      const out = normals(count, 22, 1);
      const bufs = new GpuBuffers(ctx);
      try {
        for (const fill of [0, Number.NEGATIVE_INFINITY]) {
          const got = await ctx.checked('test mask_fill', async () => {
            const outBuf = bufs.upload(out);
            const encoder = ctx.device.createCommandEncoder();
            recordMaskFill(ctx, encoder, bufs, bufs.upload(z), outBuf, count, fill);
            ctx.device.queue.submit([encoder.finish()]);
            return ctx.readF32(outBuf, count);
          });
          const want = out.slice();
          maskFillCpu(z, want, fill);
          expect(Array.from(got)).toEqual(Array.from(want));
          expect(want.filter((v) => v === fill).length).toBeGreaterThan(100);
        }
      } finally {
        bufs.free();
      }
    });

    it('col_sum sums columns, adds onto its output and reads a row range by binding offset', async (t) => {
      if (!gpu) return t.skip();
      const ctx = gpu.ctx;
      const cols = 64;
      const rows = 777;
      const x = normals(rows * cols, 11, 3);
      const bufs = new GpuBuffers(ctx);
      try {
        const got = await ctx.checked('test col_sum', async () => {
          const xBuf = bufs.upload(x);
          const out = bufs.storage(cols * 4);
          const encoder = ctx.device.createCommandEncoder();
          // Rows [0, 512) and then [512, 777): the second range starts at a 256-byte aligned offset.
          const split = 512;
          recordColSum(ctx, encoder, bufs, { buffer: xBuf, offset: 0, size: split * cols * 4 }, out, {
            rows: split,
            cols,
          });
          recordColSum(
            ctx,
            encoder,
            bufs,
            { buffer: xBuf, offset: split * cols * 4, size: (rows - split) * cols * 4 },
            out,
            { rows: rows - split, cols, accumulate: true },
          );
          ctx.device.queue.submit([encoder.finish()]);
          return ctx.readF32(out, cols);
        });
        expectClose(got, colSumCpu(x, rows, cols), Math.sqrt(rows) * 3, 'column sum');
      } finally {
        bufs.free();
      }
    });
  },
);
