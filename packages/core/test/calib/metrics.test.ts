import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import type { WebGpuBackend } from '../../src/backend/webgpu.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import type { ReliabilityBin } from '../../src/calib/metrics.ts';
import { confidenceMetrics, equalWidthBins } from '../../src/calib/metrics.ts';
import { accumulateStats } from '../../src/calib/stats.ts';
import { openTestGpu, TEST_ADAPTERS } from '../gpu-harness.ts';
import { expectValue, FIXTURES, type GoldenBin, loadFixture, sourceOf } from './fixtures.ts';

const cpu = new CpuBackend();

/** From f32 logits and float64 statistics: metrics agree with the float64 NumPy values within 1e-6. */
const TOL = 1e-6;

function expectBins(actual: ReliabilityBin[], golden: GoldenBin[]): void {
  expect(actual.length).toBe(golden.length);
  actual.forEach((b, k) => {
    const g = golden[k]!;
    expect(b.count).toBe(g.count);
    if (g.lo !== null) expectValue(b.lo, g.lo, TOL);
    if (g.hi !== null) expectValue(b.hi, g.hi, TOL);
    expectValue(b.meanConfidence, g.meanConfidence, TOL);
    expectValue(b.accuracy, g.accuracy, 1e-12);
  });
}

describe.each(FIXTURES)('confidence metrics against NumPy: %s', (name) => {
  const fx = loadFixture(name);
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);

  for (const [i, golden] of fx.expected.metrics.entries()) {
    it(`at golden point ${i} (γ=${golden.gamma.toFixed(3)}, T=${golden.temperature})`, async () => {
      const data = await accumulateStats(cpu, sourceOf(fx.logits), {
        groups,
        labels: fx.labels,
        temperature: golden.temperature,
        chunkRows: 64,
      });
      const m = await confidenceMetrics(cpu, data, { gamma: golden.gamma, equalMass: true });
      expectValue(m.nll, golden.nll, TOL);
      expectValue(m.brier, golden.brier, TOL);
      expectValue(m.ece, golden.ece, TOL);
      expectBins(m.calibration.bins, golden.bins);
      expectValue(m.equalMass!.ece, golden.eceEqualMass, TOL);
      expectBins(m.equalMass!.bins, golden.binsEqualMass);
      for (const g of ['seen', 'absent'] as const) {
        const want = golden[g]!;
        const got = m.byLabelGroup[g]!;
        expectValue(got.nll, want.nll, TOL);
        expectValue(got.brier, want.brier, TOL);
        expectValue(got.ece, want.ece, TOL);
      }
      expect(m.calibration.numBins).toBe(15);
      expectValue(
        m.mce,
        Math.max(
          ...m.calibration.bins.filter((b) => b.count).map((b) => Math.abs(b.accuracy - b.meanConfidence)),
        ),
        1e-15,
      );
    });
  }
});

describe('equal-width binning convention', () => {
  it('bins (lo, hi]: confidence 0 in the first bin, 1 in the last, an exact edge at the top of its bin', () => {
    const conf = Float32Array.from([0, 1, 0.25, 0.5, 0.25000003, 0.75]);
    const correct = Uint8Array.from([0, 1, 1, 0, 1, 1]);
    const { bins } = equalWidthBins(conf, correct, [0, 1, 2, 3, 4, 5], 4);
    expect(bins.map((b) => b.count)).toEqual([2, 2, 1, 1]);
    expect(bins[0]).toEqual({ lo: 0, hi: 0.25, count: 2, meanConfidence: 0.125, accuracy: 0.5 });
  });
});

describe.each(TEST_ADAPTERS)('confidence metrics: GPU statistics against the CPU twin on %s', (adapter) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openTestGpu(adapter);
  });
  afterAll(() => gpu?.dispose());

  it('same bin counts and metrics within 1e-6 on every fixture', async (ctx) => {
    if (!gpu) return ctx.skip();
    for (const name of FIXTURES) {
      const fx = loadFixture(name);
      const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);
      const statsOn = (b: typeof cpu | WebGpuBackend) =>
        accumulateStats(b, sourceOf(fx.logits), { groups, labels: fx.labels, temperature: 0.8 });
      const options = { gamma: 1.3, equalMass: true };
      const g = await confidenceMetrics(gpu, await statsOn(gpu), options);
      const c = await confidenceMetrics(cpu, await statsOn(cpu), options);
      expect(g.calibration.bins.map((b) => b.count)).toEqual(c.calibration.bins.map((b) => b.count));
      expect(Math.abs(g.nll - c.nll)).toBeLessThan(1e-6);
      expect(Math.abs(g.brier - c.brier)).toBeLessThan(1e-6);
      expect(Math.abs(g.ece - c.ece)).toBeLessThan(1e-6);
    }
  });
});
