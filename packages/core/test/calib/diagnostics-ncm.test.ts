import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import type { WebGpuBackend } from '../../src/backend/webgpu.ts';
import { rowOutcomes } from '../../src/calib/accuracy.ts';
import { diagnostics, type Summary } from '../../src/calib/diagnostics.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { ncm } from '../../src/calib/ncm.ts';
import { accumulateStats } from '../../src/calib/stats.ts';
import { InputError } from '../../src/errors.ts';
import { openTestGpu, TEST_ADAPTERS } from '../gpu-harness.ts';
import type { Fixture } from './fixtures.ts';
import { expectTable, expectValue, FIXTURES, type GoldenStat, loadFixture, sourceOf } from './fixtures.ts';

const cpu = new CpuBackend();

function expectSummary(actual: Summary, golden: GoldenStat): void {
  expect(actual.count).toBe(golden.count);
  expectValue(actual.mean, golden.mean, 1e-9);
  expectValue(actual.std, golden.std, 1e-9);
}

function ncmOf(backend: Backend, fx: Fixture) {
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);
  return ncm(backend, {
    reference: sourceOf(fx.features.reference, 'ref.npy'),
    referenceLabels: fx.features.referenceLabels,
    features: sourceOf(fx.features.eval, 'feat.npy'),
    labels: fx.labels,
    groups,
    chunkRows: 50,
  });
}

describe.each(FIXTURES)('diagnostics and NCM against NumPy: %s', (name) => {
  const fx = loadFixture(name);
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);

  it('logit, max-logit, threshold and weight-norm summaries', async () => {
    const data = await accumulateStats(cpu, sourceOf(fx.logits), {
      groups,
      labels: fx.labels,
      chunkRows: 37,
    });
    const d = diagnostics(data, fx.weights);
    const golden = fx.expected.diagnostics;
    for (const lg of ['all', 'seen', 'absent'] as const) {
      for (const cg of ['seen', 'absent', 'other'] as const)
        expectSummary(d.logits![lg]![cg], golden.logits[lg]![cg]!);
      for (const k of ['seen', 'absent', 'seenOrOther'] as const)
        expectSummary(d.maxLogits[lg]![k], golden.maxLogits[lg]![k]!);
      expectSummary(d.thresholds[lg]!, golden.thresholds[lg]!);
    }
    for (const cg of ['seen', 'absent', 'other'] as const)
      expectSummary(d.weightNorms![cg], golden.weightNorms[cg]!);
  });

  it('NCM accuracy table (f32 cosine scores vs float64: identical predictions)', async () => {
    const r = await ncmOf(cpu, fx);
    expectTable({ ...r.table }, fx.expected.ncm);
    expect(r.classesWithoutReference).toEqual([]);
    expect(r.featureDim).toBe(16);
  });
});

describe('diagnostics and NCM edge cases', () => {
  it('diagnostics without labels or weights give only the "all" summaries', async () => {
    const fx = loadFixture('basic');
    const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);
    const d = diagnostics(await accumulateStats(cpu, sourceOf(fx.logits), { groups }));
    expect(d.logits.seen).toBeUndefined();
    expect(d.logits.all.seen.count).toBe(200 * fx.seen.length);
    expect(d.weightNorms).toBeNull();
    expect(d.thresholds.seen).toBeUndefined();
    expect(d.thresholds.all.count).toBe(200);
  });

  it('a class with no reference rows scores -Infinity; a dimension mismatch is an InputError', async () => {
    const groups = makeGroups(3, [0, 1], [2]);
    const ref = Float32Array.from([1, 0, 0, 1]);
    const x = Float32Array.from([2, 0.1, 0.1, 3]);
    const r = await ncm(cpu, {
      reference: sourceOf({ rows: 2, cols: 2, data: ref }),
      referenceLabels: Int32Array.from([0, 2]),
      features: sourceOf({ rows: 2, cols: 2, data: x }),
      labels: Int32Array.from([0, 2]),
      groups,
    });
    expect(r.classesWithoutReference).toEqual([1]);
    expect(r.table['Y/Y']).toBe(100);
    const bad = ncm(cpu, {
      reference: sourceOf({ rows: 2, cols: 2, data: ref }),
      referenceLabels: Int32Array.from([0, 2]),
      features: sourceOf({ rows: 1, cols: 4, data: new Float32Array(4) }),
      labels: Int32Array.from([0]),
      groups,
    });
    await expect(bad).rejects.toThrow(InputError);
  });
});

describe.each(TEST_ADAPTERS)('NCM: GPU backend against the CPU twin on %s', (adapter) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openTestGpu(adapter);
  });
  afterAll(() => gpu?.dispose());

  it('same predictions on every fixture', async (ctx) => {
    if (!gpu) return ctx.skip();
    for (const name of FIXTURES) {
      const fx = loadFixture(name);
      const [g, c] = [await ncmOf(gpu, fx), await ncmOf(cpu, fx)];
      expect(rowOutcomes(g.stats).correctIfSO).toEqual(rowOutcomes(c.stats).correctIfSO);
      expect(g.table).toEqual(c.table);
    }
  });
});
