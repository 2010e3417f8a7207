import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { accuracyAt } from '../../src/calib/accuracy.ts';
import { Calibrator, fingerprint } from '../../src/calib/calibrator.ts';
import { calibrate, evaluate } from '../../src/calib/evaluate.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { accumulateStats } from '../../src/calib/stats.ts';
import { softmaxCpu } from '../../src/cpu/softmax.ts';
import { InputError } from '../../src/errors.ts';
import { expectTable, expectValue, loadFixture, sourceOf } from './fixtures.ts';

const cpu = new CpuBackend();
const fx = loadFixture('basic');
const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);

describe('Calibrator', () => {
  const cal = new Calibrator({
    groups,
    gamma: 1.25,
    temperature: 0.8,
    method: 'alg',
    created: '2026-01-01T00:00:00.000Z',
  });

  it('round-trips through JSON text', () => {
    const back = Calibrator.fromJSON(JSON.stringify(cal));
    expect(back.toJSON()).toEqual(cal.toJSON());
    expect(back.groups.codes).toEqual(groups.codes);
  });

  const valid = () => JSON.parse(JSON.stringify(cal)) as Record<string, unknown>;
  it.each([
    ['text that is not JSON', () => '{"kind":', /not valid JSON/],
    ['an array', () => [], /not a JSON object/],
    ['another kind', () => ({ ...valid(), kind: 'other' }), /"kind"/],
    ['a newer schema', () => ({ ...valid(), schemaVersion: 3 }), /schemaVersion 3 is not supported/],
    [
      'overlapping groups',
      () => ({ ...valid(), groups: { numClasses: 12, seen: [0, 1], absent: [1], other: [] } }),
      /both seen and absent/,
    ],
    [
      'wrong other list',
      () => ({ ...valid(), groups: { ...(valid().groups as object), other: [] } }),
      /groups\.other/,
    ],
    ['a zero temperature', () => ({ ...valid(), temperature: 0 }), /"temperature"/],
    ['a string gamma', () => ({ ...valid(), gamma: '1' }), /"gamma"/],
    [
      'a γ beyond float32',
      () => ({ ...valid(), gamma: 1e39 }),
      /"gamma" must be a finite number within float32/,
    ],
    [
      'a T whose 1/T overflows float32',
      () => ({ ...valid(), temperature: 1e-39 }),
      /"temperature" must be .*reciprocal/,
    ],
    [
      'a trillion classes (refused before anything is allocated)',
      () => ({ ...valid(), groups: { numClasses: 1e12, seen: [0], absent: [1], other: [] } }),
      /"groups\.numClasses" must be a whole number in \[2, 16777216\]/,
    ],
    [
      'a bad fingerprint',
      () => ({
        ...valid(),
        provenance: { created: 'x', fingerprints: [{ rows: 1, cols: 2, sha256: 'xyz' }] },
      }),
      /fingerprint/,
    ],
  ])('rejects %s with an InputError naming the file', (_, make, message) => {
    const v = make();
    const read = () => Calibrator.fromJSON(typeof v === 'string' ? v : JSON.stringify(v), 'cal.json');
    expect(read).toThrow(InputError);
    expect(read).toThrow(/^cal\.json: /);
    expect(read).toThrow(message);
  });

  it('calibrated logits are (z + γ·[c∈U]) / T and probabilities are their softmax', async () => {
    const { data: z, rows, cols } = fx.logits;
    const out = await cal.applyArray(cpu, z, rows, cols, 'logits');
    for (let i = 0; i < z.length; i++) {
      const c = i % cols;
      const want = (z[i]! + (groups.codes[c] === 1 ? 1.25 : 0)) / 0.8;
      expect(Math.abs(out[i]! - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
    }
    const p = await cal.applyArray(cpu, z, rows, cols, 'probabilities');
    expect(p).toEqual(softmaxCpu(z, rows, cols, { gamma: 1.25, temperature: 0.8, groups: groups.codes }));
  });

  it('refuses to return NaN for usable logits whose calibrated scores overflow float32, naming the row', async () => {
    const big = new Calibrator({ groups, gamma: 3e38, temperature: 1, method: 'alg' });
    const z = new Float32Array(3 * 12).fill(1);
    z[12 + groups.absent[0]!] = 3e38;
    for (const output of ['logits', 'probabilities', 'log-probabilities'] as const) {
      await expect(big.applyArray(cpu, z, 3, 12, output)).rejects.toThrow(
        /^<memory>: at row 1 the calibrated scores \(z \+ γ\)\/T overflow float32 with γ = 3e\+38, T = 1; /,
      );
    }
    const chunks = big.apply(cpu, sourceOf({ data: z, rows: 3, cols: 12 }, 'z.npy'), { chunkRows: 1 });
    await expect(
      (async () => {
        for await (const _ of chunks);
      })(),
    ).rejects.toThrow(/^z\.npy: at row 1 /);
    // NaN and +Inf rows in the input are the caller's to report (nanPolicy), not an overflow.
    z[12 + groups.absent[0]!] = Number.NaN;
    await expect(big.applyArray(cpu, z, 3, 12, 'probabilities')).resolves.toBeInstanceOf(Float32Array);
  });

  it('streams chunks that concatenate to the whole result; rejects another head', async () => {
    const whole = await cal.applyArray(cpu, fx.logits.data, 200, 12, 'log-probabilities');
    const parts: Float32Array[] = [];
    for await (const c of cal.apply(cpu, sourceOf(fx.logits), {
      output: 'log-probabilities',
      chunkRows: 33,
    })) {
      parts.push(c.data);
    }
    expect(Float32Array.from(parts.flatMap((p) => Array.from(p)))).toEqual(whole);
    await expect(
      cal.apply(cpu, sourceOf({ rows: 1, cols: 3, data: new Float32Array(3) }), {}).next(),
    ).rejects.toThrow(/fitted for 12 classes/);
  });

  it('the argmax of calibrated logits is the accuracy table at γ', async () => {
    const oracle = fx.expected.methods.oracle;
    const c2 = new Calibrator({ groups, gamma: oracle, temperature: 1, method: 'oracle' });
    const z = await c2.applyArray(cpu, fx.logits.data, 200, 12, 'logits');
    const after = await accumulateStats(cpu, sourceOf({ rows: 200, cols: 12, data: z }), {
      groups,
      labels: fx.labels,
    });
    const before = await accumulateStats(cpu, sourceOf(fx.logits), { groups, labels: fx.labels });
    expect(accuracyAt(after, 0)).toEqual(accuracyAt(before, oracle));
  });

  it('fingerprints hash the whole matrix when small, the first and last rows otherwise', async () => {
    const src = sourceOf(fx.logits, 'val.npy');
    const f = await fingerprint(src);
    const bytes = new Uint8Array(fx.logits.data.buffer, fx.logits.data.byteOffset, fx.logits.data.byteLength);
    expect(f).toEqual({
      source: 'val.npy',
      rows: 200,
      cols: 12,
      scope: 'all',
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    const edges = await fingerprint(src, { wholeHashBytes: 100, edgeRows: 3 });
    const h = createHash('sha256')
      .update(bytes.subarray(0, 3 * 48))
      .update(bytes.subarray(197 * 48));
    expect(edges.sha256).toBe(h.digest('hex'));
    expect(edges.scope).toBe('first-and-last-rows');
  });
});

describe('evaluate and calibrate against the golden values', () => {
  const folds = fx.folds.map((f, i) => ({
    seen: f.seen,
    labels: f.labels,
    logits: sourceOf(f.logits, `fold${i}.npy`),
    pretrained: sourceOf(f.pretrained, `pre${i}.npy`),
  }));

  it('evaluate gives the accuracy table, AUSUC and confidence metrics at (γ, T), JSON-clean', async () => {
    const golden = fx.expected.metrics[1]!;
    const ev = await evaluate(cpu, {
      logits: sourceOf(fx.logits, 'val.npy'),
      labels: fx.labels,
      groups,
      gamma: golden.gamma,
      temperature: golden.temperature,
      weights: fx.weights,
      chunkRows: 64,
    });
    expect(ev.schemaVersion).toBe(1);
    const goldenTable = fx.expected.accuracy.find((a) => a.gamma === golden.gamma)!.table;
    expectTable({ ...ev.table }, goldenTable);
    expectValue(ev.table.ausuc, fx.expected.curve.ausuc, 1e-12);
    expectValue(ev.table.nll, golden.nll, 1e-6);
    expectValue(ev.table.ece, golden.ece, 1e-6);
    expectValue(ev.table.brier, golden.brier, 1e-6);
    expect(ev.curve.points.length).toBe(fx.expected.curve.points.length);
    expect(ev.data).toMatchObject({ source: 'val.npy', rows: 200, seenRows: 114, absentRows: 86 });
    const json = JSON.stringify(ev);
    expect(json).not.toMatch(/\{"0":/);
    for (const key of [
      '"Y/Y"',
      '"S/Y"',
      '"U/Y"',
      '"S/S"',
      '"U/U"',
      '"H"',
      '"ausuc"',
      '"gamma"',
      '"temperature"',
      '"nll"',
      '"ece"',
      '"brier"',
    ]) {
      expect(json).toContain(key);
    }
  });

  it('calibrate runs every method, reports one table, and selects alg by default', async () => {
    const progress: number[] = [];
    const cal = await calibrate(cpu, {
      logits: sourceOf(fx.logits, 'val.npy'),
      labels: fx.labels,
      groups,
      train: { logits: sourceOf(fx.train.logits, 'train.npy'), labels: fx.train.labels },
      folds,
      maxSeenDrop: 5,
      onProgress: (_stage, done) => progress.push(done),
    });
    const m = fx.expected.methods;
    expect(cal.methods.map((r) => r.method)).toEqual([
      'alg',
      'oracle',
      'constrained',
      'hmean',
      'pcv',
      'nll',
      'temperature',
    ]);
    const by = Object.fromEntries(cal.methods.map((r) => [r.method, r]));
    expect(Math.abs(by.alg!.gamma - m.alg)).toBeLessThan(1e-5);
    expect(by.oracle!.gamma).toBe(m.oracle);
    expect(by.constrained!.gamma).toBe(m.constrained['5.0']);
    expect(by.hmean!.gamma).toBe(m.hmean);
    expect(by.pcv!.gamma).toBe(m.pcv);
    expect(Math.abs(by.nll!.gamma - m.nll.gamma)).toBeLessThan(1e-5);
    expect(Math.abs(by.temperature!.temperature - m.temperature.temperature)).toBeLessThan(1e-5);
    expectValue(by.nll!.table.nll, m.nll.nll, 1e-6);
    for (const r of cal.methods) expect(by.oracle!.table['Y/Y']).toBeGreaterThanOrEqual(r.table['Y/Y']);
    expect(cal.method).toBe('alg');
    expect(cal.gamma).toBe(by.alg!.gamma);
    expect(cal.after).toEqual(by.alg!.table);
    expectTable({ ...cal.before }, fx.expected.accuracy[0]!.table);
    expectValue(cal.before.nll, fx.expected.metrics[0]!.nll, 1e-6);
    expect(cal.calibrator.provenance.fingerprints.map((f) => f.source)).toEqual(['val.npy', 'train.npy']);
    expect(Calibrator.fromJSON(JSON.stringify(cal.calibrator)).gamma).toBe(cal.gamma);
    expect(progress.at(-1)).toBe(200);
  });

  it('calibrate without train or folds runs the rest and selects nll; asking for alg without train fails', async () => {
    const set = { logits: sourceOf(fx.logits), labels: fx.labels, groups };
    const cal = await calibrate(cpu, set);
    // The fitted linear methods fit on the labelled set here; wa has no head weights.
    expect(cal.methods.map((r) => r.method)).toEqual([
      'oracle',
      'constrained',
      'hmean',
      'nll',
      'temperature',
      'vector',
      'matrix',
      'dirichlet',
      'affine',
    ]);
    expect(cal.method).toBe('nll');
    expect(cal.temperature).not.toBe(1);
    await expect(calibrate(cpu, { ...set, methods: ['alg'] })).rejects.toThrow(/alg needs the fine-tuning/);
    await expect(calibrate(cpu, { ...set, methods: ['oracle'], select: 'nll' })).rejects.toThrow(/not among/);
  });
});
