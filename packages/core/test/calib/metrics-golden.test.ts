import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import type { WebGpuBackend } from '../../src/backend/webgpu.ts';
import { rowOutcomes } from '../../src/calib/accuracy.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { algTerms } from '../../src/calib/methods/alg.ts';
import { bootstrapIntervals, type Interval } from '../../src/calib/metrics/bootstrap.ts';
import { classwiseJob, classwiseOf } from '../../src/calib/metrics/classwise.ts';
import { topKJob, topKTable } from '../../src/calib/metrics/topk.ts';
import { confidenceMetrics, equalWidthBins, rowConfidence } from '../../src/calib/metrics.ts';
import { accumulateStats, statsOfArray } from '../../src/calib/stats.ts';
import { labelRanksCpu } from '../../src/cpu/label-rank.ts';
import { openTestGpu, TEST_ADAPTERS } from '../gpu-harness.ts';
import { decode, type EncodedMatrix, expectValue, type Golden, type Matrix, sourceOf } from './fixtures.ts';

/**
 * DESIGN.md §1.2's metrics against make_metrics_golden.py (NumPy, float64, brute force). Counts and
 * the accuracies built from them are exact; the confidence-based metrics come from f32 softmax, hence
 * 1e-6.
 */
const TOL = 1e-6;
const EXACT = 1e-12;

interface Errors {
  ece: number;
  mce: number;
  rmsce: number;
}

interface GoldenPoint {
  gamma: number;
  temperature: number;
  nll: number;
  equalWidth: Errors;
  equalMass: Errors;
  seen: Errors | null;
  absent: Errors | null;
  classwise: { classwiseEce: Golden; seen: Golden; absent: Golden; perClass: Golden[] };
  topK: Record<string, Record<string, Golden>>;
}

interface MetricsFixture {
  name: string;
  numClasses: number;
  seen: number[];
  absent: number[];
  logits: Matrix;
  labels: Int32Array;
  fit: { logits: Matrix; labels: Int32Array };
  expected: {
    points: GoldenPoint[];
    bootstrap: {
      gamma: number;
      temperature: number;
      maxSeenDrop: number;
      seed: number;
      replicates: number;
      intervals: Record<string, [Golden, Golden]>;
      undefinedReplicates: Record<string, number>;
    };
  };
}

const NAMES = ['metrics-other-ties', 'metrics-basic', 'metrics-one-row'] as const;

function load(name: string): MetricsFixture {
  // biome-ignore lint/suspicious/noExplicitAny: raw fixture JSON, decoded field by field
  const raw: any = JSON.parse(readFileSync(new URL(`../golden/${name}.json`, import.meta.url), 'utf8'));
  return {
    ...raw,
    logits: decode(raw.logits as EncodedMatrix),
    labels: Int32Array.from(raw.labels),
    fit: { logits: decode(raw.fit.logits), labels: Int32Array.from(raw.fit.labels) },
  };
}

function expectErrors(got: Errors, want: Errors, what: string): void {
  for (const k of ['ece', 'mce', 'rmsce'] as const) {
    try {
      expectValue(got[k], want[k], TOL);
    } catch (e) {
      throw new Error(`${what} ${k}: ${(e as Error).message}`);
    }
  }
}

function expectInterval(got: Interval | undefined, want: [Golden, Golden], tol: number, what: string): void {
  expect(got, what).toBeDefined();
  try {
    expectValue(got![0], want[0], tol);
    expectValue(got![1], want[1], tol);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

async function checkPoint(backend: Backend, fx: MetricsFixture, want: GoldenPoint): Promise<void> {
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);
  const ks = Object.keys(want.topK).map(Number);
  // One pass at T, as the engine runs it: statistics, then the classwise and top-k jobs at γ.
  const stats = await accumulateStats(backend, sourceOf(fx.logits), {
    groups,
    labels: fx.labels,
    temperature: want.temperature,
    chunkRows: 32,
    accumulators: [classwiseJob(want.gamma, 15), ...ks.map((k) => topKJob(k, want.gamma))],
  });
  const c = await confidenceMetrics(backend, stats, { gamma: want.gamma, equalMass: true });
  expectValue(c.nll, want.nll, TOL);
  expectErrors(c.calibration, want.equalWidth, 'equal-width');
  expectErrors(c, want.equalWidth, 'headline');
  expectErrors(c.equalMass!, want.equalMass, 'equal-mass');
  for (const g of ['seen', 'absent'] as const) {
    if (want[g] === null) expect(c.byLabelGroup[g]).toBeNull();
    else expectErrors(c.byLabelGroup[g]!, want[g]!, g);
  }
  ks.forEach((k, i) => {
    const table = topKTable(stats.accumulated[1 + i]!.state, k);
    for (const [key, value] of Object.entries(want.topK[String(k)]!)) {
      expectValue(table[key as keyof typeof table]!, value, EXACT);
    }
  });
  const cw = classwiseOf(stats.accumulated[0]!.state, groups.codes, 15);
  expectValue(cw.classwiseEce, want.classwise.classwiseEce, TOL);
  expectValue(cw.seen, want.classwise.seen, TOL);
  expectValue(cw.absent, want.classwise.absent, TOL);
  want.classwise.perClass.forEach((v, i) => {
    if (v === null) expect(cw.perClass[i]).toBeNull();
    else expectValue(cw.perClass[i]!, v, TOL);
  });
}

async function bootstrapOf(backend: Backend, fx: MetricsFixture) {
  const b = fx.expected.bootstrap;
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);
  const z = fx.logits;
  const stats = await statsOfArray(backend, z.data, z.rows, z.cols, {
    groups,
    labels: fx.labels,
    temperature: b.temperature,
  });
  const fit = fx.fit.logits;
  const fitStats = await statsOfArray(backend, fit.data, fit.rows, fit.cols, {
    groups,
    labels: fx.fit.labels,
  });
  return bootstrapIntervals(
    backend,
    {
      outcomes: rowOutcomes(stats),
      gamma: b.gamma,
      point: rowConfidence(stats, b.gamma),
      picks: { oracle: true, hmean: true, constrained: b.maxSeenDrop },
      alg: algTerms(fitStats),
    },
    { replicates: b.replicates, seed: b.seed },
  );
}

const cpu = new CpuBackend({ threads: 1 });
afterAll(() => cpu.dispose());

describe.each(NAMES)('§1.2 metrics against NumPy: %s', (name) => {
  const fx = load(name);

  for (const [i, want] of fx.expected.points.entries()) {
    it(`top-k, ECE/MCE/RMSCE and classwise ECE at point ${i} (γ = ${want.gamma}, T = ${want.temperature})`, async () => {
      await checkPoint(cpu, fx, want);
    });
  }

  it('bootstrap intervals for the documented seed and stream', async () => {
    const b = fx.expected.bootstrap;
    const ci = await bootstrapOf(cpu, fx);
    expect(ci.replicates).toBe(b.replicates);
    expect(ci.seed).toBe(b.seed);
    for (const key of ['Y/Y', 'S/Y', 'U/Y', 'H', 'ausuc'] as const) {
      expectInterval(ci[key], b.intervals[key]!, 1e-9, key);
    }
    expectInterval(ci.nll, b.intervals.nll!, TOL, 'nll');
    expectInterval(ci.ece, b.intervals.ece!, TOL, 'ece');
    for (const m of ['oracle', 'hmean', 'constrained', 'alg'] as const) {
      expectInterval(ci.gamma[m], b.intervals[`gamma.${m}`]!, m === 'alg' ? TOL : EXACT, `gamma.${m}`);
    }
    expect(ci.undefinedReplicates).toEqual(b.undefinedReplicates);
    expect(ci.at).toEqual({ gamma: b.gamma, temperature: null });
    ci.reliability!.accuracy.forEach((band, k) => {
      expectInterval(band, b.intervals[`bin.${k}`]!, 1e-9, `bin ${k}`);
    });
  });
});

describe('§1.2 metrics with a single class (C = 1)', () => {
  // biome-ignore lint/suspicious/noExplicitAny: raw fixture JSON
  const raw: any = JSON.parse(
    readFileSync(new URL('../golden/metrics-single-class.json', import.meta.url), 'utf8'),
  );
  const z = decode(raw.logits);
  const labels = Int32Array.from(raw.labels);
  const codes = Uint32Array.from([0]);

  it('ranks the label first, bins its probability 1 in the last bin, and has no U mean', async () => {
    const ranks = labelRanksCpu(z.data, z.rows, 1, { groups: codes, labels, gamma: 0.5 });
    expect([...ranks.rankY]).toEqual(raw.expected.rankY);
    expect([...ranks.rankOwn]).toEqual(raw.expected.rankOwn);
    const p = await cpu.softmax(z.data, z.rows, 1, { groups: codes });
    const conf = Float64Array.from(p);
    const errors = equalWidthBins(conf, Uint8Array.from([1, 1, 1]), [0, 1, 2], 15);
    expectErrors(errors, raw.expected.errors.equalWidth, 'C = 1');
    expect(errors.bins[14]!.count).toBe(3);
    const pass = await cpu.rowPass(z.data, z.rows, 1, {
      groups: codes,
      labels,
      accumulators: [classwiseJob(0, 15), topKJob(2, 0.5)],
    });
    expect(topKTable(pass.accumulated[1]!, 2)).toEqual({
      'Y/Y@2': 100,
      'S/Y@2': 100,
      'U/Y@2': Number.NaN,
      'S/S@2': 100,
      'U/U@2': Number.NaN,
    });
    const r = classwiseOf(pass.accumulated[0]!, codes, 15);
    expectValue(r.classwiseEce, raw.expected.classwise.classwiseEce, TOL);
    expectValue(r.seen, raw.expected.classwise.seen, TOL);
    expect(Number.isNaN(r.absent)).toBe(true);
  });
});

describe.each(TEST_ADAPTERS)('§1.2 metrics on the GPU against the golden values on %s', (adapter) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openTestGpu(adapter);
  });
  afterAll(() => gpu?.dispose());

  it('top-k exactly, the calibration errors within 1e-6, the bootstrap as on the CPU', async (ctx) => {
    if (!gpu) return ctx.skip();
    for (const name of NAMES) {
      const fx = load(name);
      for (const want of fx.expected.points) await checkPoint(gpu, fx, want);
      const g = await bootstrapOf(gpu, fx);
      const c = await bootstrapOf(cpu, fx);
      for (const key of ['Y/Y', 'S/Y', 'U/Y', 'H'] as const) expect(g[key]).toEqual(c[key]);
      expect(g.gamma.oracle).toEqual(c.gamma.oracle);
      expect(g.gamma.constrained).toEqual(c.gamma.constrained);
    }
  });
});
