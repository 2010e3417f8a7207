import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { accuracyAt, rowOutcomes } from '../../src/calib/accuracy.ts';
import { gammaCurve } from '../../src/calib/curve.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { constrainedMethod, hmeanMethod, oracleMethod } from '../../src/calib/methods/curve-picks.ts';
import {
  type BootstrapInput,
  bootstrapIntervals,
  weightedMetrics,
} from '../../src/calib/metrics/bootstrap.ts';
import { confidenceMetrics, rowConfidence } from '../../src/calib/metrics.ts';
import { type DataStats, statsOfArray } from '../../src/calib/stats.ts';
import { randomNormal, rng } from '../gpu-harness.ts';

const cpu = new CpuBackend({ threads: 1 });
afterAll(() => cpu.dispose());

const groups = makeGroups(10, [0, 1, 2, 3, 4]);

/** A fine-tuned-looking labelled set: seen logits inflated, so U/Y collapses at γ = 0. */
function labelledSet(rows: number, seed: number) {
  const next = rng(seed);
  const z = new Float32Array(rows * 10);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    labels[r] = Math.floor(next() * 10);
    for (let c = 0; c < 10; c++) {
      z[r * 10 + c] = randomNormal(next) + (c < 5 ? 2 : 0) + (c === labels[r] ? 2.5 : 0);
    }
  }
  return { z, labels };
}

async function prepared(rows: number, seed: number, gamma: number) {
  const { z, labels } = labelledSet(rows, seed);
  const stats: DataStats = await statsOfArray(cpu, z, rows, 10, { groups, labels });
  const confidence = await confidenceMetrics(cpu, stats, { gamma });
  const input: BootstrapInput = {
    outcomes: rowOutcomes(stats),
    gamma,
    point: rowConfidence(stats, gamma),
    picks: { oracle: true, hmean: true, constrained: 1 },
  };
  return { stats, input, confidence };
}

describe('bootstrap intervals', () => {
  it('weights of one reproduce the engine’s own numbers', async () => {
    const { stats, input, confidence } = await prepared(500, 1, 1.5);
    const m = await weightedMetrics(cpu, input, new Int32Array(500).fill(1));
    const table = accuracyAt(stats, 1.5);
    for (const k of ['Y/Y', 'S/Y', 'U/Y', 'H'] as const) expect(m[k]).toBe(table[k]);
    const curve = await gammaCurve(cpu, stats);
    expect(m.ausuc).toBeCloseTo(curve.ausuc, 14);
    expect(m['gamma.oracle']).toBe(oracleMethod(curve).gamma);
    expect(m['gamma.hmean']).toBe(hmeanMethod(curve).gamma);
    expect(m['gamma.constrained']).toBe(constrainedMethod(curve, accuracyAt(stats, 0)['S/Y'], 1).gamma);
    expect(m.nll).toBeCloseTo(confidence.nll, 12);
    // The bootstrap keeps confidences as float32 (half the memory each replicate reads).
    expect(m.ece).toBeCloseTo(confidence.ece, 8);
  });

  it('weights of two are the same as every row twice; weight zero drops the row', async () => {
    const { input } = await prepared(300, 2, 2);
    const doubled = await weightedMetrics(cpu, input, new Int32Array(300).fill(2));
    const once = await weightedMetrics(cpu, input, new Int32Array(300).fill(1));
    for (const [k, v] of Object.entries(once)) {
      if (Number.isNaN(v)) expect(Number.isNaN(doubled[k as keyof typeof doubled])).toBe(true);
      else expect(doubled[k as keyof typeof doubled]).toBeCloseTo(v, 12);
    }
    // The first 150 rows alone, against weights that keep only them.
    const { z, labels } = labelledSet(300, 2);
    const half = await statsOfArray(cpu, z.subarray(0, 1500), 150, 10, {
      groups,
      labels: labels.subarray(0, 150),
    });
    const kept = await weightedMetrics(
      cpu,
      { ...input, point: null },
      Int32Array.from({ length: 300 }, (_, r) => (r < 150 ? 1 : 0)),
    );
    const direct = await weightedMetrics(
      cpu,
      { ...input, point: null, outcomes: rowOutcomes(half) },
      new Int32Array(150).fill(1),
    );
    expect(kept).toEqual(direct);
  });

  it('is reproducible for a seed and changes with it', async () => {
    const { input } = await prepared(400, 3, 1);
    const a = await bootstrapIntervals(cpu, input, { replicates: 60, seed: 11 });
    const b = await bootstrapIntervals(cpu, input, { replicates: 60, seed: 11 });
    const c = await bootstrapIntervals(cpu, input, { replicates: 60, seed: 12 });
    expect(b).toEqual(a);
    expect(c['Y/Y']).not.toEqual(a['Y/Y']);
    // Replicates spread over worker threads, however small the job: the same intervals.
    const pool = new CpuBackend({ threads: 2, minWork: 1 });
    try {
      const before = pool.parallel.tasksDone;
      expect(await bootstrapIntervals(pool, input, { replicates: 60, seed: 11 })).toEqual(a);
      expect(pool.parallel.tasksDone).toBeGreaterThan(before);
    } finally {
      pool.dispose();
    }
  });

  it('contains the estimate and narrows about as 1/√N', async () => {
    const widths: Record<string, number>[] = [];
    for (const rows of [1000, 4000]) {
      const { stats, input, confidence } = await prepared(rows, 4, 1.5);
      const ci = await bootstrapIntervals(cpu, input, { replicates: 200, seed: 5 });
      const table = accuracyAt(stats, 1.5);
      const estimate: Record<string, number> = { ...table, nll: confidence.nll };
      const w: Record<string, number> = {};
      for (const k of ['Y/Y', 'S/Y', 'U/Y', 'H', 'nll'] as const) {
        const [lo, hi] = ci[k]!;
        expect(lo).toBeLessThanOrEqual(estimate[k]!);
        expect(hi).toBeGreaterThanOrEqual(estimate[k]!);
        w[k] = hi - lo;
      }
      widths.push(w);
    }
    // Four times the rows: half the width, give or take the bootstrap's own noise at B = 200.
    for (const k of Object.keys(widths[0]!)) {
      const ratio = widths[0]![k]! / widths[1]![k]!;
      expect(ratio, k).toBeGreaterThan(1.6);
      expect(ratio, k).toBeLessThan(2.5);
    }
  });

  it('counts the replicates where a metric is undefined and leaves them out', async () => {
    // Two rows, one per label group: a replicate drawing the same row twice has an empty group.
    const z = Float32Array.from([3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const labels = Int32Array.from([0, 5]);
    const stats = await statsOfArray(cpu, z, 2, 10, { groups, labels });
    const ci = await bootstrapIntervals(
      cpu,
      { outcomes: rowOutcomes(stats), gamma: 0, picks: { oracle: true } },
      { replicates: 100, seed: 1 },
    );
    const halves = ci.undefinedReplicates['S/Y']! + ci.undefinedReplicates['U/Y']!;
    expect(halves).toBe(ci.undefinedReplicates.H);
    expect(ci.undefinedReplicates.H).toBeGreaterThan(20);
    expect(ci.undefinedReplicates.H).toBeLessThan(80);
    expect(ci['Y/Y'][0]).toBeGreaterThanOrEqual(0);
    expect(ci.nll).toBeUndefined();
  });

  it('refuses bad replicate counts and seeds with the option named', async () => {
    const { input } = await prepared(50, 6, 0);
    await expect(bootstrapIntervals(cpu, input, { replicates: 0 })).rejects.toMatchObject({
      code: 'option',
      option: { name: 'bootstrap' },
    });
    await expect(bootstrapIntervals(cpu, input, { replicates: 10, seed: -1 })).rejects.toMatchObject({
      code: 'option',
      option: { name: 'seed' },
    });
    await expect(bootstrapIntervals(cpu, input, { replicates: 10, seed: 2 ** 32 })).rejects.toMatchObject({
      option: { name: 'seed' },
    });
  });
});
