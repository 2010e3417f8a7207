import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu.ts';
import { ResidentLogits } from '../src/backend/resident-logits.ts';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { type ClassGroups, makeGroups } from '../src/calib/groups.ts';
import type { FittedLinearMethod } from '../src/calib/linear/family.ts';
import { fitLinear } from '../src/calib/linear/fit.ts';
import { linearScores } from '../src/calib/linear/map.ts';
import { arraySource } from '../src/io/row-source.ts';
import { deviceLogits } from '../src/webgpu/device-logits.ts';
import { openTestGpu, TEST_ADAPTERS } from './gpu-harness.ts';

/** make_linear_golden.py's fixtures: NumPy's exact-Hessian Newton fits in float64. */
interface Golden {
  name: string;
  numClasses: number;
  seen: number[];
  absent: number[];
  logits: { rows: number; cols: number; values: number[]; negInf: number[] };
  labels: number[];
  fits: {
    method: FittedLinearMethod;
    odir: [number, number] | null;
    loss: number;
    probabilities: number[];
  }[];
}

function load(name: string) {
  const g: Golden = JSON.parse(readFileSync(new URL(`./golden/${name}.json`, import.meta.url), 'utf8'));
  const z = Float32Array.from(g.logits.values);
  for (const i of g.logits.negInf) z[i] = Number.NEGATIVE_INFINITY;
  const groups: ClassGroups | null = g.numClasses < 2 ? null : makeGroups(g.numClasses, g.seen, g.absent);
  return { g, z, labels: Int32Array.from(g.labels), groups };
}

describe.each(TEST_ADAPTERS)('linear family fits on WebGPU (%s) vs NumPy', (adapter) => {
  let gpu: WebGpuBackend | null = null;
  const cpu = new CpuBackend({ threads: 1 });
  beforeAll(async () => {
    gpu = await openTestGpu(adapter);
  });
  afterAll(() => {
    gpu?.dispose();
    cpu.dispose();
  });

  for (const name of ['linear-basic', 'linear-other', 'linear-masked', 'linear-two', 'linear-one']) {
    const { g, z, labels, groups } = load(name);
    for (const f of g.fits) {
      const odir = f.odir ? { lambda: f.odir[0], mu: f.odir[1] } : undefined;
      // The truncated path too where the exact one would run: one fit each way per fixture and method.
      const exactHessianMax = f.method === 'matrix' || f.method === 'vector' ? 0 : undefined;
      it(`${name}: ${f.method}${f.odir ? ` odir ${f.odir}` : ''}${exactHessianMax === 0 ? ' (truncated Newton)' : ''}`, async (t) => {
        if (!gpu) return t.skip();
        const passes = ResidentLogits.of(arraySource(z, g.logits.rows, g.logits.cols, name), { labels });
        const fit = await fitLinear(gpu, passes, groups, f.method, { odir, exactHessianMax });
        // WebGPU's float32 partial sums stop at max|∂L/∂θ| ≤ 1e-4 (DESIGN.md §1.1).
        expect(fit.details).toMatchObject({ converged: true, residentLogits: true, tolerance: 1e-4 });
        expect(fit.details.gradNorm).toBeLessThanOrEqual(1e-4);
        // At max|g| ≤ 1e-4 the loss sits within about |g|²/λ_min of the optimum: 5e-5 here.
        expect(Math.abs(fit.details.loss - f.loss)).toBeLessThan(5e-5 * (1 + f.loss));
        const s = await linearScores(cpu, fit.map, z, g.logits.rows);
        const p = await cpu.softmax(s, g.logits.rows, g.numClasses);
        for (let i = 0; i < p.length; i++) {
          if (!(Math.abs(p[i]! - f.probabilities[i]!) < 2e-3)) {
            throw new Error(`probability ${i}: ${p[i]} vs NumPy ${f.probabilities[i]}`);
          }
        }
      });
    }
  }

  it('splits the rows over several device chunks when bindings are small, with the same fit', async (t) => {
    if (!gpu) return t.skip();
    const { g, z, labels, groups } = load('linear-masked');
    const rows = () => ResidentLogits.of(arraySource(z, g.logits.rows, g.logits.cols), { labels });
    const whole = await fitLinear(gpu, rows(), groups, 'dirichlet');
    // 64 rows of 5 classes per binding (the fewest the 256-byte offset alignment allows): three device
    // chunks of the 160 rows, each with its own working set.
    gpu.ctx.capBindingBytes(64 * g.numClasses * 4);
    try {
      const split = await fitLinear(gpu, rows(), groups, 'dirichlet');
      expect(split.details.converged).toBe(true);
      expect(Math.abs(split.details.loss - whole.details.loss)).toBeLessThan(1e-6);
      split.map.weights.forEach((w, i) => {
        expect(Math.abs(w - whole.map.weights[i]!)).toBeLessThan(1e-2);
      });
    } finally {
      gpu.ctx.capBindingBytes(undefined);
    }
  });

  it('fits rows the device copy streams (too large to keep) to the same optimum', async (t) => {
    if (!gpu) return t.skip();
    const { g, z, labels, groups } = load('linear-masked');
    const rows = () =>
      ResidentLogits.of(arraySource(z, g.logits.rows, g.logits.cols), { labels, chunkRows: 40 });
    for (const method of ['matrix', 'vector'] as const) {
      const whole = await fitLinear(gpu, rows(), groups, method);
      // Room for one 40-row chunk on the device: the other three are streamed on every pass.
      const streamed = rows();
      const copy = await deviceLogits(gpu.ctx, streamed, { deviceBytes: 40 * g.numClasses * 4 });
      expect(copy.residentRows).toBe(40);
      const fit = await fitLinear(gpu, streamed, groups, method);
      expect(fit.details).toMatchObject({ converged: true, residentLogits: false });
      expect(Math.abs(fit.details.loss - whole.details.loss)).toBeLessThan(1e-6);
      streamed.release();
    }
  });
});
