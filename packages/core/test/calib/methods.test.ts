import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { ResidentLogits } from '../../src/backend/resident-logits.ts';
import { accuracyAt } from '../../src/calib/accuracy.ts';
import { gammaCurve } from '../../src/calib/curve.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { algMethod } from '../../src/calib/methods/alg.ts';
import { constrainedMethod, hmeanMethod, oracleMethod } from '../../src/calib/methods/curve-picks.ts';
import { newtonTolerance } from '../../src/calib/methods/newton.ts';
import { nllMethod, temperatureMethod } from '../../src/calib/methods/nll.ts';
import { pcvMethod } from '../../src/calib/methods/pcv.ts';
import { accumulateStats } from '../../src/calib/stats.ts';
import { InputError } from '../../src/errors.ts';
import { openTestGpu, TEST_ADAPTERS } from '../gpu-harness.ts';
import { FIXTURES, loadFixture, sourceOf } from './fixtures.ts';

const cpu = new CpuBackend();

describe.each(FIXTURES)('methods against the NumPy implementation: %s', (name) => {
  const fx = loadFixture(name);
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);
  const golden = fx.expected.methods;
  const evalStats = () => accumulateStats(cpu, sourceOf(fx.logits), { groups, labels: fx.labels });

  it('alg from the training logits (f32 row sums: 1e-5)', async () => {
    const train = await accumulateStats(cpu, sourceOf(fx.train.logits), { groups, labels: fx.train.labels });
    const r = algMethod(train);
    expect(Math.abs(r.gamma - golden.alg)).toBeLessThan(1e-5);
    expect(r.details.fitRows).toBe(fx.train.labels.length);
    expect(r.temperature).toBe(1);
  });

  it('oracle, hmean and constrained pick the golden curve points exactly', async () => {
    const data = await evalStats();
    const curve = await gammaCurve(cpu, data);
    expect(oracleMethod(curve).gamma).toBe(golden.oracle);
    expect(hmeanMethod(curve).gamma).toBe(golden.hmean);
    const seen0 = accuracyAt(data, 0)['S/Y'];
    for (const [delta, gamma] of Object.entries(golden.constrained)) {
      const r = constrainedMethod(curve, seen0, Number(delta));
      expect(r.gamma).toBe(gamma);
      expect(r.details.point.seen).toBeGreaterThanOrEqual(seen0 - Number(delta));
    }
  });

  it('oracle overall accuracy is at least every other method’s on the same set', async () => {
    const data = await evalStats();
    const curve = await gammaCurve(cpu, data);
    const best = accuracyAt(data, oracleMethod(curve).gamma)['Y/Y'];
    const others = [
      golden.alg,
      golden.hmean,
      golden.pcv,
      golden.nll.gamma,
      0,
      ...Object.values(golden.constrained),
    ];
    for (const g of others) expect(best).toBeGreaterThanOrEqual(accuracyAt(data, g)['Y/Y']);
  });

  it('pcv per fold and as the mean', async () => {
    const folds = fx.folds.map((f, i) => ({
      seen: f.seen,
      labels: f.labels,
      logits: sourceOf(f.logits, `fold${i}.npy`),
      pretrained: sourceOf(f.pretrained, `pre${i}.npy`),
    }));
    const r = await pcvMethod(cpu, groups, folds);
    r.details.folds.forEach((f, i) => {
      expect(f.gamma).toBe(golden.pcvFolds[i]!.gamma);
      expect(f.pretrainedUnseen).toBe(golden.pcvFolds[i]!.pretrainedUnseen);
      expect(f.satisfied).toBe(true);
    });
    expect(r.gamma).toBe(golden.pcv);
    expect(r.details.usedFolds).toBe(fx.folds.length);
  });

  it('pcv skips a fold no γ can satisfy, as the paper does, and fails when every fold is skipped', async () => {
    // A pre-trained model that is always right on the fold rows: no fold γ reaches its 100%.
    const perfect = (f: (typeof fx.folds)[number]) => {
      const z = new Float32Array(f.logits.data.length);
      f.labels.forEach((y, r) => {
        z[r * f.logits.cols + y] = 10;
      });
      return { ...f.logits, data: z };
    };
    const folds = fx.folds.map((f, i) => ({
      seen: f.seen,
      labels: f.labels,
      logits: sourceOf(f.logits, `fold${i}.npy`),
      pretrained: sourceOf(i === 1 ? perfect(f) : f.pretrained, `pre${i}.npy`),
    }));
    const r = await pcvMethod(cpu, groups, folds);
    expect(r.details.folds[1]!.satisfied).toBe(false);
    expect(r.details.folds[1]!.gamma).toBeNull();
    expect(r.details.folds[1]!.pretrainedUnseen).toBe(100);
    expect(r.details.usedFolds).toBe(1);
    expect(r.gamma).toBe(golden.pcvFolds[0]!.gamma);
    const none = folds.map((f, i) => ({ ...f, pretrained: sourceOf(perfect(fx.folds[i]!), `pre${i}.npy`) }));
    await expect(pcvMethod(cpu, groups, none)).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/in none of the 2 folds/),
    });
  });

  it('nll: Newton on (γ, log T) reaches the grid-refined optimum', async () => {
    const passes = ResidentLogits.of(sourceOf(fx.logits), { labels: fx.labels });
    const r = await nllMethod(cpu, passes, groups);
    expect(r.details.converged).toBe(true);
    expect(r.details.iterations).toBeLessThan(30);
    expect(r.details.passes).toBe(r.details.iterations + 1);
    expect(Math.abs(r.gamma - golden.nll.gamma)).toBeLessThan(1e-5);
    expect(Math.abs(r.temperature / golden.nll.temperature - 1)).toBeLessThan(1e-5);
    expect(Math.abs(r.details.nll - golden.nll.nll)).toBeLessThan(1e-9);
  });

  it('nll converges from a far start where the Hessian is indefinite, streaming in chunks', async () => {
    const passes = ResidentLogits.of(sourceOf(fx.logits), {
      labels: fx.labels,
      residentBytes: 0,
      chunkRows: 64,
    });
    expect(passes.resident).toBe(false);
    const r = await nllMethod(cpu, passes, groups, { gamma: -12, temperature: 40 });
    expect([r.details.residentLogits, r.details.residentRows]).toEqual([false, 0]);
    expect(r.details.converged).toBe(true);
    expect(Math.abs(r.gamma - golden.nll.gamma)).toBeLessThan(1e-5);
  });

  it('temperature at γ = 0', async () => {
    const passes = ResidentLogits.of(sourceOf(fx.logits), { labels: fx.labels });
    const r = await temperatureMethod(cpu, passes, groups);
    expect(r.gamma).toBe(0);
    expect(r.details.converged).toBe(true);
    expect(Math.abs(r.temperature / golden.temperature.temperature - 1)).toBeLessThan(1e-5);
    expect(Math.abs(r.details.nll - golden.temperature.nll)).toBeLessThan(1e-9);
  });
});

describe('method input errors', () => {
  const fx = loadFixture('basic');
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);

  it('alg needs two seen classes and rows labelled in S', async () => {
    const g1 = makeGroups(3, [0], [1, 2]);
    const z = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const data = await accumulateStats(cpu, sourceOf({ rows: 2, cols: 3, data: z }), {
      groups: g1,
      labels: Int32Array.from([0, 1]),
    });
    expect(() => algMethod(data)).toThrow(/at least 2 seen classes/);
    const g2 = makeGroups(3, [0, 1], [2]);
    const onlyU = await accumulateStats(cpu, sourceOf({ rows: 2, cols: 3, data: z }), {
      groups: g2,
      labels: Int32Array.from([2, 2]),
    });
    expect(() => algMethod(onlyU)).toThrow(InputError);
  });

  it('pcv rejects a fold subset that is not a proper subset of S', async () => {
    const fold = {
      seen: [...fx.seen],
      labels: fx.folds[0]!.labels,
      logits: sourceOf(fx.folds[0]!.logits),
      pretrained: sourceOf(fx.folds[0]!.pretrained),
    };
    await expect(pcvMethod(cpu, groups, [fold])).rejects.toThrow(/non-empty proper subset/);
    await expect(pcvMethod(cpu, groups, [{ ...fold, seen: [0, 7] }])).rejects.toThrow(/not a seen class/);
  });

  it('constrained rejects a negative drop; curve picks need both label groups', async () => {
    const data = await accumulateStats(cpu, sourceOf(fx.logits), { groups, labels: fx.labels });
    const curve = await gammaCurve(cpu, data);
    expect(() => constrainedMethod(curve, 50, -1)).toThrow(InputError);
    const seenOnly = await accumulateStats(cpu, sourceOf(fx.train.logits), {
      groups,
      labels: fx.train.labels,
    });
    expect(() => oracleMethod({ ...curve, absentRows: 0 })).toThrow(/both S and U/);
    expect(seenOnly.rows).toBe(150);
  });

  it('nll fails clearly when a label logit is -Infinity', async () => {
    const z = Float32Array.from([Number.NEGATIVE_INFINITY, 1, 2, 0, 1, 2]);
    const passes = ResidentLogits.of(sourceOf({ rows: 2, cols: 3, data: z }), {
      labels: Int32Array.from([0, 2]),
    });
    await expect(nllMethod(cpu, passes, makeGroups(3, [0, 1], [2]))).rejects.toThrow(
      /label logit is -Infinity/,
    );
  });
});

describe.each(TEST_ADAPTERS)('nll on the WebGPU backend (f32 partial sums) on %s', (adapter) => {
  it('converges to the CPU optimum within the WebGPU tolerance', async (ctx) => {
    const gpu = await openTestGpu(adapter);
    if (!gpu) return ctx.skip();
    try {
      const fx = loadFixture(FIXTURES[0]!);
      const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);
      const passes = ResidentLogits.of(sourceOf(fx.logits), { labels: fx.labels });
      const onCpu = await nllMethod(cpu, passes, groups);
      const onGpu = await nllMethod(gpu, passes, groups);
      expect(onGpu.details.tolerance).toBe(newtonTolerance(gpu));
      // The fit read the device's copy on every pass: uploaded once.
      expect([onGpu.details.residentLogits, onGpu.details.residentRows]).toEqual([true, passes.rows]);
      expect(onGpu.details.converged).toBe(true);
      expect(onGpu.details.gradNorm).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(onGpu.gamma - onCpu.gamma)).toBeLessThan(1e-3);
      expect(Math.abs(onGpu.temperature / onCpu.temperature - 1)).toBeLessThan(1e-3);
    } finally {
      gpu.dispose();
    }
  });
});
