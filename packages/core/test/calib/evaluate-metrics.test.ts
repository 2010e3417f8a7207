import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { Calibrator } from '../../src/calib/calibrator.ts';
import { calibrate, evaluate } from '../../src/calib/evaluate.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { InputError } from '../../src/errors.ts';
import { arraySource } from '../../src/io/row-source.ts';
import { decode, expectValue, type Golden, sourceOf } from './fixtures.ts';

/**
 * DESIGN.md §1.2's options through the engine: evaluate and calibrate with topK, classwise, bootstrap
 * and inputKind give the golden values of make_metrics_golden.py, from their one pass.
 */
const cpu = new CpuBackend();
afterAll(() => cpu.dispose());

// biome-ignore lint/suspicious/noExplicitAny: raw fixture JSON
const raw: any = JSON.parse(
  readFileSync(new URL('../golden/metrics-other-ties.json', import.meta.url), 'utf8'),
);
const logits = decode(raw.logits);
const labels = Int32Array.from(raw.labels as number[]);
const fit = { logits: decode(raw.fit.logits), labels: Int32Array.from(raw.fit.labels as number[]) };
const groups = makeGroups(raw.numClasses, raw.seen, raw.absent);
const boot = raw.expected.bootstrap;

function expectInterval(
  got: [number, number] | undefined,
  want: [Golden, Golden],
  tol: number,
  what: string,
) {
  expect(got, what).toBeDefined();
  expectValue(got![0], want[0], tol);
  expectValue(got![1], want[1], tol);
}

describe('evaluate with top-k, classwise ECE and the bootstrap', () => {
  it('gives the golden table, classwise breakdown and intervals at (γ, T) from one pass', async () => {
    const e = await evaluate(cpu, {
      logits: sourceOf(logits),
      labels,
      groups,
      gamma: boot.gamma,
      temperature: boot.temperature,
      topK: 3,
      classwise: true,
      bootstrap: { replicates: boot.replicates, seed: boot.seed },
      chunkRows: 16,
    });
    expect(e.ci!.replicates).toBe(boot.replicates);
    expect(e.ci!.at).toEqual({ gamma: boot.gamma, temperature: boot.temperature });
    for (const key of ['Y/Y', 'S/Y', 'U/Y', 'H', 'ausuc'] as const) {
      expectInterval(e.ci![key], boot.intervals[key], 1e-9, key);
    }
    expectInterval(e.ci!.nll, boot.intervals.nll, 1e-6, 'nll');
    expectInterval(e.ci!.ece, boot.intervals.ece, 1e-6, 'ece');
    for (const m of ['oracle', 'hmean', 'constrained'] as const) {
      expectInterval(e.ci!.gamma[m], boot.intervals[`gamma.${m}`], 1e-12, m);
    }
    expect(e.ci!.gamma.alg).toBeUndefined();
    expect(e.table['Y/Y@3']).toBeDefined();
    expect(e.table.classwiseEce).toBe(e.classwise!.classwiseEce);
    expect(e.classwise!.perClass).toHaveLength(12);
    expect(e.table.mce).toBe(e.confidence.mce);
    expect(e.table.rmsce).toBe(e.confidence.rmsce);
  });

  it('matches the golden top-k and classwise values at each golden point', async () => {
    for (const p of raw.expected.points) {
      const e = await evaluate(cpu, {
        logits: sourceOf(logits),
        labels,
        groups,
        gamma: p.gamma,
        temperature: p.temperature,
        topK: 5,
        classwise: true,
      });
      for (const [key, value] of Object.entries(p.topK['5'] as Record<string, Golden>)) {
        expectValue(e.table[key as 'Y/Y@5']!, value, 1e-12);
      }
      expectValue(e.table.classwiseEce!, p.classwise.classwiseEce, 1e-6);
      expectValue(e.classwise!.absent, p.classwise.absent, 1e-6);
      expectValue(e.table.mce, p.equalWidth.mce, 1e-6);
      expectValue(e.table.rmsce, p.equalWidth.rmsce, 1e-6);
      expect(e.ci).toBeNull();
    }
  });
});

describe('calibrate with top-k, classwise ECE and the bootstrap', () => {
  it('reports them before (γ = 0) and at the chosen point, and bootstraps every pick there', async () => {
    const set = { logits: sourceOf(logits), labels, groups };
    const c = await calibrate(cpu, {
      ...set,
      train: { logits: sourceOf(fit.logits), labels: fit.labels },
      methods: ['alg', 'oracle', 'hmean', 'constrained'],
      topK: 2,
      classwise: true,
      bootstrap: { replicates: 40, seed: 3 },
    });
    const before = await evaluate(cpu, { ...set, topK: 2, classwise: true });
    const after = await evaluate(cpu, { ...set, gamma: c.gamma, topK: 2, classwise: true });
    expect(c.before['U/Y@2']).toBe(before.table['U/Y@2']);
    expect(c.before.classwiseEce).toBe(before.table.classwiseEce);
    expect(c.after['U/Y@2']).toBe(after.table['U/Y@2']);
    expect(c.after.classwiseEce).toBeCloseTo(after.table.classwiseEce!, 12);
    expect(c.classwise!.after.absent).toBeCloseTo(after.classwise!.absent, 12);
    expect(c.ci!.at).toEqual({ gamma: c.gamma, temperature: 1 });
    expect(Object.keys(c.ci!.gamma).sort()).toEqual(['alg', 'constrained', 'hmean', 'oracle']);
    const [lo, hi] = c.ci!.gamma.alg!;
    expect(lo).toBeLessThanOrEqual(c.gamma);
    expect(hi).toBeGreaterThanOrEqual(c.gamma);
  });
});

describe('the input-kind guard in the engine', () => {
  const probs = new Float32Array(logits.data.length);
  for (let r = 0; r < logits.rows; r++) {
    const row = logits.data.subarray(r * logits.cols, (r + 1) * logits.cols);
    const m = Math.max(...row);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - m);
    for (let c = 0; c < logits.cols; c++) probs[r * logits.cols + c] = Math.exp(row[c]! - m) / sum;
  }
  const source = () => arraySource(probs, logits.rows, logits.cols, 'probs.npy');

  it('refuses probabilities as logits before any result', async () => {
    const e = await evaluate(cpu, { logits: source(), labels, groups }).catch((x) => x);
    expect(e).toBeInstanceOf(InputError);
    expect(e.code).toBe('input-kind');
    expect(e.option).toEqual({ name: 'inputKind', value: 'probs' });
  });

  it("with inputKind 'probs' evaluates log p, which has the logits' softmax", async () => {
    const fromProbs = await evaluate(cpu, {
      logits: source(),
      labels,
      groups,
      inputKind: 'probs',
      gamma: 0.3,
    });
    const fromLogits = await evaluate(cpu, { logits: sourceOf(logits), labels, groups, gamma: 0.3 });
    expect(fromProbs.table['Y/Y']).toBe(fromLogits.table['Y/Y']);
    expect(fromProbs.table.nll).toBeCloseTo(fromLogits.table.nll, 5);
    expect(fromProbs.table.ece).toBeCloseTo(fromLogits.table.ece, 5);
  });
});

describe('calibrate with a linear-family method selected', () => {
  it('gives top-k, classwise ECE and intervals at its calibrated scores, as evaluate of them does', async () => {
    const { rows, cols } = logits;
    const metrics = { topK: 2, classwise: true, bootstrap: { replicates: 30, seed: 5 } };
    const c = await calibrate(cpu, {
      logits: sourceOf(logits),
      labels,
      groups,
      methods: ['oracle', 'affine'],
      select: 'affine',
      ...metrics,
    });
    expect(c.method).toBe('affine');
    const calibrator = Calibrator.fromJSON(JSON.stringify(c.calibrator), 'affine.json');
    const scores = await calibrator.applyArray(cpu, logits.data, rows, cols, 'logits');
    const e = await evaluate(cpu, {
      logits: arraySource(scores, rows, cols, 'calibrated'),
      labels,
      groups,
      ...metrics,
    });
    expect(c.after['Y/Y@2']).toBe(e.table['Y/Y@2']);
    expect(c.after['U/U@2']).toBe(e.table['U/U@2']);
    expect(c.classwise?.after).toEqual(e.classwise);
    expect(c.ci?.['Y/Y']).toEqual(e.ci?.['Y/Y']);
    expect(c.ci?.gamma.oracle).toEqual(e.ci?.gamma.oracle);
    // Before calibration: the logits themselves at γ = 0, T = 1.
    const before = await evaluate(cpu, {
      logits: sourceOf(logits),
      labels,
      groups,
      topK: 2,
    });
    expect(c.before['Y/Y@2']).toBe(before.table['Y/Y@2']);
  });
});
