import { CpuBackend, type WebGpuBackend } from '@ftcal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoConfig, demoConfig } from '../src/config.ts';
import type { DemoMethod, DemoRow } from '../src/evaluate.ts';
import { onlyClasses } from '../src/mnist.ts';
import { trainDemo } from '../src/pipeline.ts';
import { type DemoResult, runDemo } from '../src/run.ts';
import { withTraining } from '../src/training.ts';
import { demoVerdict } from '../src/verdict.ts';
import { openTestGpu, TEST_ADAPTERS } from './gpu.ts';

// A small run (a tenth of the digits, a 64-unit hidden layer, two epochs each) keeps llvmpipe quick;
// the full-size run's GPU/CPU agreement is the same code path, measured with `ftcal demo --device gpu`.
const small: Partial<DemoConfig> = {
  use: 0.1,
  hidden: 64,
  pretrain: { epochs: 2, lr: 0.05 },
  finetune: { epochs: 2, lr: 0.005 },
};

function expectSameNumbers(a: DemoResult, b: DemoResult, lossRel: number, gammaAbs: number): void {
  // One test row changing its argmax moves an accuracy by 100/rows points; float rounding may do that
  // for a row whose two best logits are within ~1e-6, so one row of slack is allowed, no more.
  const oneRow = 100 / a.data.testRows + 1e-9;
  expect(b.rows.map((r) => r.name)).toEqual(a.rows.map((r) => r.name));
  a.rows.forEach((ra, i) => {
    const rb = b.rows[i]!;
    for (const k of ['Y/Y', 'S/Y', 'U/Y'] as const) {
      expect(Math.abs(ra.accuracy[k] - rb.accuracy[k]), `${ra.name} ${k}`).toBeLessThanOrEqual(oneRow);
      expect(Math.abs(ra.ncm[k] - rb.ncm[k]), `${ra.name} NCM ${k}`).toBeLessThanOrEqual(oneRow);
    }
    expect(Math.abs(ra.ausuc - rb.ausuc)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(ra.gamma - rb.gamma), `${ra.name} γ`).toBeLessThanOrEqual(gammaAbs);
  });
  const runs = (r: DemoResult) => [r.losses.pretrain, r.losses.finetune, ...r.losses.pcvFolds].flat();
  const la = runs(a);
  const lb = runs(b);
  expect(lb.length).toBe(la.length);
  la.forEach((v, i) => {
    expect(Math.abs(v - lb[i]!) / v).toBeLessThanOrEqual(lossRel);
  });
}

function row(
  method: DemoMethod | null,
  model: DemoRow['model'],
  yy: number,
  sy: number,
  uy: number,
  ncmU: number,
) {
  const t = { 'Y/Y': yy, 'S/Y': sy, 'U/Y': uy, 'S/S': sy, 'U/U': uy, H: 0 };
  return {
    name: method ?? model,
    model,
    method,
    gamma: method ? 2 : 0,
    accuracy: t,
    ausuc: 0.5,
    ncm: { ...t, 'U/Y': ncmU },
  };
}

describe('demo verdict', () => {
  it('says what the rows show: collapse, intact features, recovery and its cost', () => {
    const v = demoVerdict([
      row(null, 'pre-trained', 60, 58, 62, 80),
      row(null, 'fine-tuned', 50, 95, 5, 79.5),
      row('alg', 'fine-tuned', 70, 90, 50, 79.5),
      row('pcv', 'fine-tuned', 55, 40, 70, 79.5),
    ]);
    expect(v.collapsed).toBe(true);
    expect(v.featuresIntact).toBe(true);
    expect(v.recovered).toEqual({ alg: true, pcv: true });
    expect(v.recoveredBy).toEqual(['alg', 'pcv']);
    expect(v.sentences[0]).toMatch(/collapsed U\/Y from 62\.0% to 5\.0%/);
    expect(v.sentences[1]).toMatch(/survived/);
    expect(v.sentences[2]).toMatch(/from alg .* recovered it: .*above the pre-trained model\.$/);
    expect(v.sentences[3]).toMatch(/S\/Y paid for it \(95\.0% → 40\.0%\)/);
  });

  it('reports no collapse, damaged features and a failed recovery when the numbers say so', () => {
    const v = demoVerdict([
      row(null, 'pre-trained', 60, 58, 62, 80),
      row(null, 'fine-tuned', 62, 70, 50, 60),
      row('alg', 'fine-tuned', 61, 69, 52, 60),
    ]);
    expect(v.collapsed).toBe(false);
    expect(v.featuresIntact).toBe(false);
    expect(v.recovered.alg).toBe(false);
    expect(v.sentences[0]).toMatch(/did not collapse/);
    expect(v.sentences[1]).toMatch(/damaged the features/);
    expect(v.sentences[2]).toMatch(/from alg did not recover it/);
  });
});

describe('runDemo on the CPU backend', () => {
  it('is a pure function of the seed, and another seed gives another run', async () => {
    const cpu = new CpuBackend();
    const a = (await runDemo(cpu, { seed: 4, config: small })).result;
    const b = (await runDemo(cpu, { seed: 4, config: small })).result;
    const c = (await runDemo(cpu, { seed: 5, config: small })).result;
    expect(b.rows).toEqual(a.rows);
    expect(b.losses).toEqual(a.losses);
    expect(c.losses.pretrain).not.toEqual(a.losses.pretrain);
    expect(a.data.testRows).toBeGreaterThan(150);
    // Each epoch's mean loss falls in every training run.
    for (const losses of [a.losses.pretrain, a.losses.finetune, ...a.losses.pcvFolds]) {
      expect(losses[1]!).toBeLessThan(losses[0]!);
    }
  });
});

describe('the demo’s pseudo cross-validation folds', () => {
  it('train like the main model (every row of their classes, its step count) and score all of S', async () => {
    const cpu = new CpuBackend();
    const config = { ...demoConfig(false), ...small };
    const steps = new Map<string, { total: number; done: number }>();
    const trained = await trainDemo(withTraining(cpu), config, 3, (p) => {
      if (p.stage === 'finetune' || p.stage === 'pcv')
        steps.set(p.detail ?? p.stage, { total: p.total, done: p.done });
    });
    const main = steps.get('finetune')!;
    expect(main.total).toBe(Math.ceil(trained.finetuneSet.count / config.batchSize) * config.finetune.epochs);
    expect(trained.folds).toHaveLength(2);
    trained.folds.forEach((fold, f) => {
      expect(fold.steps).toBe(main.total);
      expect(steps.get(`fold ${f + 1}/2`)).toEqual({ total: main.total, done: main.total });
      // All rows of its classes: more epochs over fewer rows for the same steps.
      const rows = onlyClasses(trained.finetuneSet, fold.seen).count;
      expect(fold.losses).toHaveLength(Math.ceil(main.total / Math.ceil(rows / config.batchSize)));
      expect([...fold.seen, ...fold.pseudoAbsent].sort()).toEqual(config.seen);
    });
    const { result } = await runDemo(cpu, { seed: 3, config: small });
    for (const fold of result.pcvFolds) expect(fold.rows).toBe(result.data.finetuneRows);
    cpu.dispose();
  });
});

describe.each(TEST_ADAPTERS)('runDemo on the GPU vs the CPU backend on %s', (adapter) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openTestGpu(adapter);
  });
  afterAll(() => gpu?.dispose());

  // SwiftShader runs the tiled matmuls' workgroup barriers as coroutine switches: about 30 s here on an
  // idle 2-core machine (llvmpipe: 14 s), several times that on a loaded one.
  it('trains and evaluates to the same numbers up to float rounding', { timeout: 400_000 }, async (ctx) => {
    if (!gpu) return ctx.skip();
    const onCpu = (await runDemo(new CpuBackend(), { seed: 6, config: small })).result;
    const onGpu = (await runDemo(gpu, { seed: 6, config: small })).result;
    expect(onGpu.backend).toMatch(/^webgpu/);
    // Observed on llvmpipe and SwiftShader: losses within 3e-7 relative, γ within 5e-7, identical accuracies.
    expectSameNumbers(onCpu, onGpu, 1e-5, 1e-3);
  });
});
