import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { ResidentLogits } from '../../src/backend/resident-logits.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { fitLinear } from '../../src/calib/linear/fit.ts';
import { type LinearMap, linearScores } from '../../src/calib/linear/map.ts';
import { defaultSkip } from '../../src/calib/linear/method.ts';
import { nllMethod, temperatureMethod } from '../../src/calib/methods/nll.ts';
import { InputError } from '../../src/errors.ts';
import { arraySource } from '../../src/io/row-source.ts';
import { FIXTURES, loadFixture } from './fixtures.ts';

/** Mean −log softmax(s_i)_{y_i} of calibrated scores, in float64: the property checks' own NLL. */
function meanNll(s: ArrayLike<number>, labels: Int32Array, cols: number): number {
  let total = 0;
  for (let r = 0; r < labels.length; r++) {
    const row = Array.from({ length: cols }, (_, c) => s[r * cols + c]!);
    const m = Math.max(...row);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - m);
    total += m + Math.log(sum) - row[labels[r]!]!;
  }
  return total / labels.length;
}

/** The affine map with θ_S = θ_U = −log T and β = γ/T: the nll method's (γ, T) as an affine map. */
function tiedAffine(gamma: number, temperature: number, codes: Uint32Array): LinearMap {
  return {
    input: 'logits',
    form: 'diagonal',
    cols: codes.length,
    weights: Float64Array.from(codes, () => 1 / temperature),
    bias: Float64Array.from(codes, (g) => (g === 1 ? gamma / temperature : 0)),
    masked: [],
  };
}

describe.each(FIXTURES)('linear family properties on %s', (name) => {
  const cpu = new CpuBackend({ threads: 1 });
  afterAll(() => cpu.dispose());
  const fx = loadFixture(name);
  const { data: z, rows } = fx.logits;
  const labels = fx.labels;
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);
  const cols = fx.numClasses;
  const passes = () => ResidentLogits.of(arraySource(z, rows, cols, name), { labels });

  it('affine with tied scales is the nll method: same objective, stationary at its (γ, T), never worse', async () => {
    const nll = await nllMethod(cpu, await passes(), groups);
    const tied = tiedAffine(nll.gamma, nll.temperature, groups.codes);
    const at = meanNll(await linearScores(cpu, tied, z, rows), labels, cols);
    expect(Math.abs(at - nll.details.nll)).toBeLessThan(1e-6);
    // Along the tied directions (one common log-scale θ, and β) the affine objective is flat at nll's
    // optimum: central differences on float64 scores s = e^θ·z + β·[c∈U].
    const h = 1e-5;
    const affineNll = (theta: number, beta: number) =>
      meanNll(
        Array.from(z, (v, i) => Math.exp(theta) * v + (groups.codes[i % cols] === 1 ? beta : 0)),
        labels,
        cols,
      );
    const theta0 = -Math.log(nll.temperature);
    const beta0 = nll.gamma / nll.temperature;
    expect(Math.abs(affineNll(theta0 + h, beta0) - affineNll(theta0 - h, beta0)) / (2 * h)).toBeLessThan(
      1e-6,
    );
    expect(Math.abs(affineNll(theta0, beta0 + h) - affineNll(theta0, beta0 - h)) / (2 * h)).toBeLessThan(
      1e-6,
    );
    const affine = await fitLinear(cpu, await passes(), groups, 'affine');
    expect(affine.details.converged).toBe(true);
    expect(affine.details.nll).toBeLessThanOrEqual(nll.details.nll + 1e-9);
  });

  it('vector scaling fits at least as well as temperature scaling', async () => {
    const temperature = await temperatureMethod(cpu, await passes(), groups);
    const vector = await fitLinear(cpu, await passes(), groups, 'vector');
    expect(vector.details.converged).toBe(true);
    expect(vector.details.nll).toBeLessThanOrEqual(temperature.details.nll + 1e-9);
  });

  it('as the ODIR weight grows, W tends to a diagonal (λ) and b to zero (μ)', async () => {
    const offDiagonal = (m: LinearMap) => {
      let sq = 0;
      for (let i = 0; i < cols; i++)
        for (let j = 0; j < cols; j++) if (i !== j) sq += m.weights[i * cols + j]! ** 2;
      return Math.sqrt(sq);
    };
    const weights = [1e-3, 1e-1, 10, 1e3];
    const fits = async (odir: (w: number) => { lambda: number; mu: number }) => {
      const maps: LinearMap[] = [];
      for (const w of weights) {
        const fit = await fitLinear(cpu, await passes(), groups, 'matrix', { odir: odir(w) });
        expect(fit.details.converged).toBe(true);
        maps.push(fit.map);
      }
      return maps;
    };
    // A heavier penalty on exactly the off-diagonal (or the bias) can only shrink it.
    const norms = (await fits((w) => ({ lambda: w, mu: 1e-3 }))).map(offDiagonal);
    for (let i = 1; i < norms.length; i++) expect(norms[i]).toBeLessThan(norms[i - 1]!);
    expect(norms.at(-1)!).toBeLessThan(1e-2 * norms[0]!);
    const biases = (await fits((w) => ({ lambda: 1e-3, mu: w }))).map((m) => Math.hypot(...m.bias));
    for (let i = 1; i < biases.length; i++) expect(biases[i]).toBeLessThan(biases[i - 1]!);
    expect(biases.at(-1)!).toBeLessThan(1e-2 * biases[0]!);
  });
});

describe('linear family refusals', () => {
  const cpu = new CpuBackend({ threads: 1 });
  afterAll(() => cpu.dispose());
  const groups = makeGroups(3, [0, 1], [2]);

  it('refuses a fitting set with no rows labelled in U', async () => {
    const z = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
    const passes = ResidentLogits.of(arraySource(z, 4, 3, 'seen-only.npy'), {
      labels: Int32Array.of(0, 1, 0, 1),
    });
    const fit = fitLinear(cpu, passes, groups, 'matrix');
    await expect(fit).rejects.toThrow(InputError);
    await expect(fitLinear(cpu, passes, groups, 'vector')).rejects.toThrow(
      /^seen-only\.npy: vector is fitted on labelled rows and this fitting set has none labelled in U/,
    );
  });

  it('refuses a row whose label logit is −∞ (infinite loss), naming the row', async () => {
    const z = Float32Array.of(0, 1, 2, Number.NEGATIVE_INFINITY, 1, 0);
    const passes = ResidentLogits.of(arraySource(z, 2, 3, 'masked.npy'), { labels: Int32Array.of(2, 0) });
    for (const method of ['affine', 'matrix'] as const) {
      await expect(fitLinear(cpu, passes, groups, method)).rejects.toThrow(
        /^masked\.npy: row 1 has a −Infinity logit for its label 0/,
      );
    }
  });

  it('holds a class without fitting rows at −∞ (vector, matrix, dirichlet), where its score would fall without end', async () => {
    const four = makeGroups(4, [0, 1], [2, 3]);
    const next = (() => {
      let a = 7;
      return () => ((a = (a * 16807) % 2147483647) / 2147483647) * 4 - 2;
    })();
    const rows = 60;
    const z = Float32Array.from({ length: rows * 4 }, next);
    // Class 3 (absent) is never a label.
    const labels = Int32Array.from({ length: rows }, (_, r) => r % 3);
    const passes = ResidentLogits.of(arraySource(z, rows, 4, 'no-3.npy'), { labels });
    for (const method of ['vector', 'matrix', 'dirichlet'] as const) {
      const fit = await fitLinear(cpu, passes, four, method);
      expect(fit.details.converged, method).toBe(true);
      expect(fit.details.unlabelledClasses).toEqual([3]);
      expect(fit.map.masked).toEqual([3]);
      const s = await linearScores(cpu, fit.map, z, rows);
      for (let r = 0; r < rows; r++) expect(s[r * 4 + 3]).toBe(Number.NEGATIVE_INFINITY);
    }
    const affine = await fitLinear(cpu, passes, four, 'affine');
    expect(affine.details.unlabelledClasses).toEqual([]);
  });

  it('leaves out of the defaults a full map over 100 classes and a fit with fewer rows than parameters', () => {
    const labels = (rows: number, cols: number) => Int32Array.from({ length: rows }, (_, r) => r % cols);
    const big = makeGroups(101, [0, 1], undefined);
    expect(defaultSkip('matrix', big, labels(20_000, 101))).toEqual({
      reason: 'too-large',
      parameters: 101 * 101 + 101,
      rows: 20_000,
    });
    expect(defaultSkip('vector', big, labels(20_000, 101))).toBeNull();
    // Ten classes labelled, so vector places ten: 20 parameters for 15 rows.
    expect(defaultSkip('vector', big, labels(15, 10))).toEqual({
      reason: 'too-few-rows',
      parameters: 20,
      rows: 15,
    });
    expect(defaultSkip('affine', big, labels(15, 10))).toBeNull();
    expect(defaultSkip('nll', big, labels(1, 1))).toBeNull();
  });

  it('refuses negative ODIR weights with the option named', async () => {
    const z = Float32Array.of(0, 1, 2, 1, 0, 0);
    const passes = ResidentLogits.of(arraySource(z, 2, 3), { labels: Int32Array.of(2, 0) });
    const fit = fitLinear(cpu, passes, groups, 'matrix', { odir: { lambda: -1, mu: 0 } });
    await expect(fit).rejects.toMatchObject({ code: 'option', option: { name: 'odir' } });
  });
});
