import { CpuBackend, evaluate, makeGroups, openArray, readLabels } from '@ftcal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADAPTERS } from '../../../tools/gpu-tests.ts';
import { jsonOf } from './expect-cli.ts';
import { scratch, syntheticSet, writeLabels, writeMatrix } from './files.ts';
import { expectClose, expectTable, type Golden, writeGolden } from './golden.ts';
import { ftcal } from './run-cli.ts';

describe('ftcal evaluate (built binary)', () => {
  const s = scratch();
  let golden: Golden;
  const base = () => ['--labels', s.path('labels.npy'), '--groups', s.path('groups.json'), '--device', 'cpu'];

  beforeAll(async () => {
    golden = await writeGolden('basic', s.path);
  });
  afterAll(() => s.remove());

  it('gives the golden accuracy tables, curve and confidence metrics (NumPy reference)', () => {
    for (const want of golden.expected.accuracy) {
      const doc = jsonOf(
        ftcal([
          'evaluate',
          '--logits',
          s.path('logits.npy'),
          ...base(),
          '--gamma',
          String(want.gamma),
          '--json',
        ]),
      );
      expectTable(doc.table, want.table, 1e-9, `γ = ${want.gamma}`);
      expect(doc.table.ausuc).toBeCloseTo(golden.expected.curve.ausuc, 12);
      expect(doc.curve.distinctThresholds).toBe(golden.expected.curve.distinctThresholds);
      expect(doc.curve.pointCount).toBe(golden.expected.curve.points.length);
    }
    for (const want of golden.expected.metrics) {
      const doc = jsonOf(
        ftcal([
          'evaluate',
          '--logits',
          s.path('logits.npy'),
          ...base(),
          '--gamma',
          String(want.gamma),
          '--temperature',
          String(want.temperature),
          '--json',
        ]),
      );
      expectClose(doc.table.nll, want.nll, 1e-6, 'nll');
      expectClose(doc.table.ece, want.ece, 1e-6, 'ece');
      expectClose(doc.table.brier, want.brier, 1e-6, 'brier');
      expect(doc.temperature).toBe(want.temperature);
    }
  });

  it('prints the same document as the library called directly, diagnostics and weight norms included', async () => {
    const r = ftcal([
      'evaluate',
      '--logits',
      s.path('logits.npy'),
      ...base(),
      '--gamma',
      '0.7',
      '--weights',
      s.path('weights.npy'),
      '--equal-mass',
      '--bins',
      '10',
      '--json',
    ]);
    const doc = jsonOf(r);
    const logits = await openArray(s.path('logits.npy'));
    const weights = await openArray(s.path('weights.npy'));
    const lib = await evaluate(new CpuBackend(), {
      logits,
      labels: await readLabels(s.path('labels.npy')),
      groups: makeGroups(golden.numClasses, golden.seen, golden.absent),
      gamma: 0.7,
      bins: 10,
      equalMass: true,
      weights: { data: await weights.readRows(0, weights.rows), rows: weights.rows, cols: weights.cols },
    });
    await logits.close();
    await weights.close();
    const roundTrip = JSON.parse(JSON.stringify(lib));
    expect(doc.table).toEqual(roundTrip.table);
    expect(doc.confidence).toEqual(roundTrip.confidence);
    expect(doc.diagnostics).toEqual(roundTrip.diagnostics);
    expect(doc.data).toEqual(roundTrip.data);
    expect(doc.confidence.equalMass.numBins).toBe(10);
    expect(doc.diagnostics.weightNorms.seen.count).toBe(golden.seen.length);
    expect(r.stderr).toMatch(/^ftcal: using the CPU backend/m);
  });

  it('prints a readable table and diagnostics without --json', () => {
    const r = ftcal(['evaluate', '--logits', s.path('logits.npy'), ...base()]);
    expect(r.code, r.stderr).toBe(0);
    const want = golden.expected.accuracy[0]!.table;
    expect(r.stdout).toMatch(
      /Y\/Y\s+S\/Y\s+U\/Y\s+S\/S\s+U\/U\s+H\s+AUSUC\s+NLL\s+ECE\s+MCE\s+RMSCE\s+Brier/,
    );
    expect(r.stdout).toContain(
      `${want['Y/Y']!.toFixed(2)}  ${want['S/Y']!.toFixed(2)}  ${want['U/Y']!.toFixed(2)}`,
    );
    expect(r.stdout).toMatch(/diagnostics, logits\.npy/);
    expect(r.stdout).toMatch(/maxSO − maxU/);
    // Nothing but results on stdout: the device line went to stderr.
    expect(r.stdout).not.toMatch(/using the CPU backend/);
  });

  it('gives one row per checkpoint, and a JSON array', async () => {
    const { logits } = syntheticSet(7, 200, 12, golden.seen, 1, 2);
    await writeMatrix(s.path('ckpt2.npy'), logits, 200, 12);
    const args = ['evaluate', '--logits', s.path('logits.npy'), '--logits', s.path('ckpt2.npy'), ...base()];
    const docs = jsonOf(ftcal([...args, '--json']));
    expect(Array.isArray(docs)).toBe(true);
    expect(docs).toHaveLength(2);
    expectTable(docs[0].table, golden.expected.accuracy[0]!.table, 1e-9, 'first checkpoint');
    const single = jsonOf(ftcal(['evaluate', '--logits', s.path('ckpt2.npy'), ...base(), '--json']));
    expect(docs[1].table).toEqual(single.table);
    const text = ftcal(args);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^logits\.npy\s+200\s/m);
    expect(text.stdout).toMatch(/^ckpt2\.npy\s+200\s/m);
  });

  it.for(TEST_ADAPTERS)('--device gpu:%s gives the counts --device cpu gives', async (adapter, ctx) => {
    const rows = 3000;
    const cols = 37;
    const seen = Array.from({ length: 20 }, (_, c) => c);
    const { logits, labels } = syntheticSet(11, rows, cols, seen);
    // Masked classes and exact ties exercise the tie rules on both paths.
    for (let r = 0; r < rows; r += 17) logits[r * cols + 25] = Number.NEGATIVE_INFINITY;
    for (let r = 5; r < rows; r += 29) logits[r * cols + 21] = logits[r * cols + 3]!;
    await writeMatrix(s.path('big.npy'), logits, rows, cols);
    await writeLabels(s.path('big-labels.npy'), labels);
    const args = [
      'evaluate',
      '--logits',
      s.path('big.npy'),
      '--labels',
      s.path('big-labels.npy'),
      '--seen',
      '0-19',
      '--gamma',
      '1.5',
      '--chunk-rows',
      '1000',
      '--json',
    ];
    const gpu = ftcal([...args, '--device', `gpu:${adapter}`]);
    if (gpu.code !== 0 && /no WebGPU adapter/.test(gpu.stderr) && process.env.FTCAL_REQUIRE_GPU !== '1') {
      ctx.skip();
    }
    const g = jsonOf(gpu);
    const c = jsonOf(ftcal([...args, '--device', 'cpu']));
    expect(g.backend).toMatch(/webgpu/i);
    expect(c.backend).toMatch(/cpu/i);
    expect(g.table['Y/Y']).toBe(c.table['Y/Y']);
    for (const key of ['Y/Y', 'S/Y', 'U/Y', 'S/S', 'U/U', 'H', 'ausuc'])
      expect(g.table[key]).toBe(c.table[key]);
    expect(g.curve).toEqual(c.curve);
    expect(g.data).toEqual(c.data);
    for (const key of ['nll', 'ece', 'brier']) expectClose(g.table[key], c.table[key], 1e-4, key);
    expect(gpu.stderr).toMatch(
      new RegExp(`^ftcal: using WebGPU on .*\\(named with --device gpu:${adapter}\\)$`, 'im'),
    );
  });
});
