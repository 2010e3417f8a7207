import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu.ts';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import type { DemoConfig } from '../src/demo/config.ts';
import { type DemoResult, runDemo } from '../src/demo/run.ts';
import { openTestGpu } from './gpu-harness.ts';

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

describe('runDemo on the GPU vs the CPU backend', () => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openTestGpu();
  });
  afterAll(() => gpu?.dispose());

  it('trains and evaluates to the same numbers up to float rounding', async (ctx) => {
    if (!gpu) return ctx.skip();
    const onCpu = (await runDemo(new CpuBackend(), { seed: 6, config: small })).result;
    const onGpu = (await runDemo(gpu, { seed: 6, config: small })).result;
    expect(onGpu.backend).toMatch(/^webgpu/);
    // Observed on llvmpipe: losses within 3e-7 relative, γ within 5e-7, identical accuracies.
    expectSameNumbers(onCpu, onGpu, 1e-5, 1e-3);
  });
});
