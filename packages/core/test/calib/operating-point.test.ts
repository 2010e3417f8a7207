import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { accuracyAt } from '../../src/calib/accuracy.ts';
import { gammaCurve } from '../../src/calib/curve.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { confidenceMetrics } from '../../src/calib/metrics.ts';
import { operatingPoints } from '../../src/calib/operating-point.ts';
import { accumulateStats } from '../../src/calib/stats.ts';
import { FtcalError } from '../../src/errors.ts';
import { arraySource } from '../../src/io/row-source.ts';
import { randomNormal, rng } from '../gpu-harness.ts';
import { expectTable, expectValue, FIXTURES, loadFixture, sourceOf } from './fixtures.ts';

const cpu = new CpuBackend();

/** From f32 logits and float64 statistics: within 1e-6 of the float64 NumPy values. */
const TOL = 1e-6;

describe.each(FIXTURES)('metrics from statistics against NumPy: %s', (name) => {
  const fx = loadFixture(name);
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);

  for (const [i, golden] of fx.expected.metrics.entries()) {
    it(`at golden point ${i} (γ=${golden.gamma.toFixed(3)}, T=${golden.temperature})`, async () => {
      const data = await accumulateStats(cpu, sourceOf(fx.logits), {
        groups,
        labels: fx.labels,
        temperature: golden.temperature,
      });
      const p = operatingPoints(data).at(golden.gamma);
      expect(p.temperature).toBe(golden.temperature);
      expectValue(p.nll, golden.nll, TOL);
      expectValue(p.brier, golden.brier, TOL);
      expectValue(p.ece, golden.ece, TOL);
      p.calibration.bins.forEach((b, k) => {
        const g = golden.bins[k]!;
        expect(b.count).toBe(g.count);
        expectValue(b.meanConfidence, g.meanConfidence, TOL);
        expectValue(b.accuracy, g.accuracy, 1e-12);
      });
      const accuracy = fx.expected.accuracy.find((a) => a.gamma === golden.gamma);
      if (accuracy) expectTable({ ...p.table }, accuracy.table);
    });
  }

  it('gives accuracyAt exactly at every curve point and between them', async () => {
    const data = await accumulateStats(cpu, sourceOf(fx.logits), { groups, labels: fx.labels });
    const points = operatingPoints(data);
    const curve = await gammaCurve(cpu, data);
    for (const { gamma } of curve.points) {
      expect(points.at(gamma).table).toEqual(accuracyAt(data, gamma));
    }
  });
});

/** Mean NLL and Brier by a float64 softmax straight from the logits. */
function direct(
  z: Float32Array,
  rows: number,
  cols: number,
  labels: Int32Array,
  absent: Set<number>,
  gamma: number,
  t: number,
) {
  let nll = 0;
  let brier = 0;
  for (let r = 0; r < rows; r++) {
    const s = Array.from(
      z.subarray(r * cols, (r + 1) * cols),
      (v, c) => (v + (absent.has(c) ? gamma : 0)) / t,
    );
    const m = Math.max(...s);
    const e = s.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, v) => a + v, 0);
    const p = e.map((v) => v / sum);
    const y = labels[r]!;
    nll += m + Math.log(sum) - s[y]!;
    brier += p.reduce((a, v, c) => a + (v - (c === y ? 1 : 0)) ** 2, 0);
  }
  return { nll: nll / rows, brier: brier / rows };
}

describe('metrics from statistics against a float64 softmax of the logits', () => {
  it('agree to f32 rounding of z/T, for logits of tens of units, at many γ and T', async () => {
    const next = rng(7);
    const rows = 500;
    const cols = 9;
    const z = new Float32Array(rows * cols);
    const labels = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      labels[r] = Math.floor(next() * 8);
      for (let c = 0; c < cols; c++) z[r * cols + c] = 6 * randomNormal(next) + (c < 4 ? 12 : 0);
      z[r * cols + labels[r]!]! += 8;
    }
    const groups = makeGroups(cols, [0, 1, 2, 3], [4, 5, 6, 7]);
    const source = arraySource(z, rows, cols, '<random>');
    const absent = new Set(groups.absent);
    for (const temperature of [1, 0.5, 3]) {
      const data = await accumulateStats(cpu, source, { groups, labels, temperature });
      const points = operatingPoints(data, { bins: 10 });
      for (const gamma of [-4, 0, 3.5, 9, 20]) {
        const got = points.at(gamma);
        const want = direct(z, rows, cols, labels, absent, gamma, temperature);
        expect(Math.abs(got.nll - want.nll) / want.nll).toBeLessThan(1e-5);
        expect(Math.abs(got.brier - want.brier)).toBeLessThan(1e-6);
        const metrics = await confidenceMetrics(cpu, data, { gamma, bins: 10 });
        expect(got.nll).toBe(metrics.nll);
        expect(got.ece).toBe(metrics.ece);
        expect(got.calibration.bins.map((b) => b.count)).toEqual(
          metrics.calibration.bins.map((b) => b.count),
        );
        expect(got.table).toEqual(accuracyAt(data, gamma));
      }
    }
  });

  it('refuses a set with no rows, and a γ that is not finite, with InputErrors', async () => {
    const groups = makeGroups(3, [0], [1, 2]);
    // The statistics pass itself refuses a set with no rows, saying so.
    await expect(
      accumulateStats(cpu, arraySource(new Float32Array(0), 0, 3, 'empty.npy'), {
        groups,
        labels: new Int32Array(0),
      }),
    ).rejects.toThrow(/^empty\.npy: holds no rows; pass logits with at least one row$/);
    const one = await accumulateStats(cpu, arraySource(Float32Array.from([1, 2, 3]), 1, 3), {
      groups,
      labels: Int32Array.from([2]),
    });
    const points = operatingPoints(one);
    expect(() => points.at(Number.POSITIVE_INFINITY)).toThrow(FtcalError);
    expect(() => operatingPoints(one, { bins: 0 })).toThrow(FtcalError);
    // One row labelled 2, logits 1, 2, 3: correct at γ = 0 with p = e³ / (e + e² + e³).
    const p = points.at(0);
    const lse = Math.log(Math.E + Math.E ** 2 + Math.E ** 3);
    expect(p.nll).toBeCloseTo(lse - 3, 6);
    expect(p.table['U/Y']).toBe(100);
  });
});
