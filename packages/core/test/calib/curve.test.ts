import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import type { WebGpuBackend } from '../../src/backend/webgpu.ts';
import { accuracyAt, rowOutcomes } from '../../src/calib/accuracy.ts';
import { ausuc, gammaCurve } from '../../src/calib/curve.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { accumulateStats, type DataStats } from '../../src/calib/stats.ts';
import { openTestGpu, randomNormal, rng, TEST_ADAPTERS } from '../gpu-harness.ts';
import { expectTable, FIXTURES, type Fixture, loadFixture, sourceOf } from './fixtures.ts';

const cpu = new CpuBackend();

function statsOf(fx: Fixture, backend: Backend = cpu, chunkRows?: number): Promise<DataStats> {
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);
  return accumulateStats(backend, sourceOf(fx.logits), {
    groups,
    labels: fx.labels,
    ...(chunkRows ? { chunkRows } : {}),
  });
}

describe.each(FIXTURES)('accuracy and γ curve against the NumPy brute force: %s', (name) => {
  const fx = loadFixture(name);

  it('gives the golden accuracy table at every golden γ, exactly', async () => {
    const data = await statsOf(fx);
    for (const { gamma, table } of fx.expected.accuracy) expectTable({ ...accuracyAt(data, gamma) }, table);
  });

  it('gives the golden curve: same points, same accuracies, same AUSUC', async () => {
    const curve = await gammaCurve(cpu, await statsOf(fx));
    const golden = fx.expected.curve;
    expect(curve.distinctThresholds).toBe(golden.distinctThresholds);
    expect(curve.points.length).toBe(golden.points.length);
    curve.points.forEach((p, k) => {
      expect(p).toEqual(golden.points[k]);
    });
    expect(curve.ausuc).toBeCloseTo(golden.ausuc, 12);
  });

  it('is the same whatever the chunk size', async () => {
    const whole = await gammaCurve(cpu, await statsOf(fx));
    const chunked = await gammaCurve(cpu, await statsOf(fx, cpu, 7));
    expect(chunked.points).toEqual(whole.points);
  });

  it('has AUSUC in [0, 1], seen non-increasing and unseen non-decreasing along the curve', async () => {
    const { points, ausuc: area } = await gammaCurve(cpu, await statsOf(fx));
    expect(area).toBeGreaterThanOrEqual(0);
    expect(area).toBeLessThanOrEqual(1);
    for (let k = 1; k < points.length; k++) {
      expect(points[k]!.gamma).toBeGreaterThan(points[k - 1]!.gamma);
      expect(points[k]!.seen).toBeLessThanOrEqual(points[k - 1]!.seen);
      expect(points[k]!.unseen).toBeGreaterThanOrEqual(points[k - 1]!.unseen);
    }
  });

  it('agrees with accuracyAt at every curve point', async () => {
    const data = await statsOf(fx);
    const curve = await gammaCurve(cpu, data);
    for (const p of curve.points) {
      const t = accuracyAt(data, p.gamma);
      expect([t['S/Y'], t['U/Y'], t['Y/Y']]).toEqual([p.seen, p.unseen, p.overall]);
    }
  });
});

describe('curve edge cases', () => {
  it('counts rows with non-finite thresholds once, on their fixed side', async () => {
    const fx = loadFixture('exact-ties');
    const curve = await gammaCurve(cpu, await statsOf(fx));
    // make_golden.py puts one row with no finite U logit and one with no finite S∪O logit.
    expect(curve.neverAbsentRows).toBe(1);
    expect(curve.alwaysAbsentRows).toBe(1);
  });

  it('is a single point at γ = 0 when no threshold is finite', async () => {
    const groups = makeGroups(3, [0, 1], [2]);
    const z = Float32Array.from([1, 2, Number.NEGATIVE_INFINITY, 0, 3, Number.NEGATIVE_INFINITY]);
    const data = await accumulateStats(cpu, sourceOf({ rows: 2, cols: 3, data: z }), {
      groups,
      labels: Int32Array.from([1, 2]),
    });
    const curve = await gammaCurve(cpu, data);
    expect(curve.points).toEqual([{ gamma: 0, seen: 100, unseen: 0, overall: 50 }]);
    expect(curve.ausuc).toBe(0);
  });

  it('keeps the end points outside thresholds too large for ±1 to move', async () => {
    const groups = makeGroups(2, [0], [1]);
    const z = Float32Array.from([3e30, -3e30, 1, 0]);
    const data = await accumulateStats(cpu, sourceOf({ rows: 2, cols: 2, data: z }), {
      groups,
      labels: Int32Array.from([1, 1]),
    });
    const { points } = await gammaCurve(cpu, data);
    expect(points.at(-1)!.gamma).toBeGreaterThan(2 * Math.fround(3e30));
    expect(points[0]!.gamma).toBeLessThan(1);
    expect(points.at(-1)!.unseen).toBe(100);
  });

  it('gives NaN, not an error, for an empty label group', async () => {
    const groups = makeGroups(3, [0, 1], [2]);
    const data = await accumulateStats(
      cpu,
      sourceOf({ rows: 2, cols: 3, data: Float32Array.from([1, 2, 0, 0, 3, 1]) }),
      {
        groups,
        labels: Int32Array.from([1, 0]),
      },
    );
    const t = accuracyAt(data, 0);
    expect(t['S/Y']).toBe(50);
    expect(t['U/Y']).toBeNaN();
    expect(t.H).toBeNaN();
    expect((await gammaCurve(cpu, data)).ausuc).toBeNaN();
  });

  it('ausuc of a hand-made path', () => {
    const pts = [
      { gamma: 0, seen: 100, unseen: 0, overall: 0 },
      { gamma: 1, seen: 50, unseen: 50, overall: 0 },
      { gamma: 2, seen: 0, unseen: 100, overall: 0 },
    ];
    // (1 − 0.5)·(0 + 0.5)/2 + (0.5 − 0)·(0.5 + 1)/2 = 0.125 + 0.375
    expect(ausuc(pts)).toBeCloseTo(0.5, 15);
  });
});

describe.each(TEST_ADAPTERS)('γ curve: GPU backend against the CPU twin on %s', (adapter) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openTestGpu(adapter);
  });
  afterAll(() => gpu?.dispose());

  for (const name of FIXTURES) {
    it(`identical counts and thresholds on ${name}`, async (ctx) => {
      if (!gpu) return ctx.skip();
      const fx = loadFixture(name);
      const onGpu = await statsOf(fx, gpu);
      const onCpu = await statsOf(fx);
      expect(rowOutcomes(onGpu)).toEqual(rowOutcomes(onCpu));
      const g = await gammaCurve(gpu, onGpu);
      const c = await gammaCurve(cpu, onCpu);
      expect(g.seenCorrect).toEqual(c.seenCorrect);
      expect(g.absentCorrect).toEqual(c.absentCorrect);
      expect(g.points).toEqual(c.points);
    });
  }

  it('identical counts on a larger random set with many tied thresholds', async (ctx) => {
    if (!gpu) return ctx.skip();
    const rows = 3000;
    const cols = 37;
    const next = rng(11);
    const z = new Float32Array(rows * cols);
    for (let i = 0; i < z.length; i++) z[i] = Math.round(randomNormal(next) * 8) / 4;
    const labels = Int32Array.from({ length: rows }, () => Math.floor(next() * 30));
    const groups = makeGroups(
      cols,
      [...Array(15).keys()],
      [...Array(15).keys()].map((c) => c + 15),
    );
    const run = async (b: Backend) =>
      gammaCurve(
        b,
        await accumulateStats(b, sourceOf({ rows, cols, data: z }), { groups, labels, chunkRows: 1000 }),
      );
    const [g, c] = [await run(gpu), await run(cpu)];
    expect(g.seenCorrect).toEqual(c.seenCorrect);
    expect(g.absentCorrect).toEqual(c.absentCorrect);
    expect(g.ausuc).toBe(c.ausuc);
  });
});
