import { readFileSync, writeFileSync } from 'node:fs';
import { Calibrator, CpuBackend, openArray } from '@ftcal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectInputError, jsonOf, messageLines } from './expect-cli.ts';
import { scratch, writeLabels, writeMatrix } from './files.ts';
import { ftcal } from './run-cli.ts';

/** make_linear_golden.py's linear-basic fixture: 240 rows, C = 6 (S = 0–2, U = 3–5), NumPy's fits. */
interface LinearGolden {
  numClasses: number;
  seen: number[];
  absent: number[];
  logits: { rows: number; cols: number; values: number[] };
  labels: number[];
  fits: {
    method: string;
    odir: [number, number] | null;
    loss: number;
    weights?: number[];
    scale?: number[];
  }[];
  head: { weights: { rows: number; cols: number; values: number[] }; bias: number[] };
  wa: { withBias: { ratio: number; scale: number[]; bias: number[] } };
}

const golden: LinearGolden = JSON.parse(
  readFileSync(new URL('../../core/test/golden/linear-basic.json', import.meta.url), 'utf8'),
);
const fitOf = (method: string, odir: [number, number] | null = null) =>
  golden.fits.find((f) => f.method === method && JSON.stringify(f.odir) === JSON.stringify(odir))!;

describe('ftcal calibrate and apply with the linear family (built binary)', () => {
  const s = scratch();
  const labelled = () => [
    '--logits',
    s.path('logits.npy'),
    '--labels',
    s.path('labels.npy'),
    '--groups',
    s.path('groups.json'),
    '--device',
    'cpu',
  ];
  const seenOnly = () => [
    '--fit-logits',
    s.path('seen-logits.npy'),
    '--fit-labels',
    s.path('seen-labels.npy'),
  ];

  beforeAll(async () => {
    const { rows, cols, values } = golden.logits;
    const z = Float32Array.from(values);
    await writeMatrix(s.path('logits.npy'), z, rows, cols);
    await writeLabels(s.path('labels.npy'), golden.labels);
    writeFileSync(s.path('groups.json'), JSON.stringify({ seen: golden.seen, absent: golden.absent }));
    // A fitting set of the rows labelled in S only, as fine-tuning training data would be.
    const keep = golden.labels.flatMap((y, r) => (golden.seen.includes(y) ? [r] : []));
    const seen = new Float32Array(keep.length * cols);
    keep.forEach((r, i) => {
      seen.set(z.subarray(r * cols, (r + 1) * cols), i * cols);
    });
    await writeMatrix(s.path('seen-logits.npy'), seen, keep.length, cols);
    await writeLabels(
      s.path('seen-labels.npy'),
      keep.map((r) => golden.labels[r]!),
    );
    const w = golden.head.weights;
    await writeMatrix(s.path('weights.npy'), Float32Array.from(w.values), w.rows, w.cols);
    await writeMatrix(s.path('bias.npy'), Float32Array.from(golden.head.bias), 1, golden.numClasses);
  });
  afterAll(() => s.remove());

  it('fits every linear method on the labelled set, to NumPy’s losses, and saves the chosen map', () => {
    const out = s.path('matrix.json');
    const doc = jsonOf(
      ftcal([
        'calibrate',
        ...labelled(),
        '--methods',
        'vector,matrix,dirichlet,affine,wa,oracle',
        '--weights',
        s.path('weights.npy'),
        '--bias',
        s.path('bias.npy'),
        '--method',
        'matrix',
        '--out',
        out,
        '--json',
      ]),
    );
    const by = Object.fromEntries(doc.methods.map((m: { method: string }) => [m.method, m]));
    for (const method of ['vector', 'matrix', 'dirichlet', 'affine']) {
      const d = by[method].details;
      expect(d.converged, method).toBe(true);
      expect(d.gradNorm, method).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(d.loss - fitOf(method).loss), method).toBeLessThan(5e-8);
      // No (γ, T): null in JSON; the table is that of the calibrated scores.
      expect(by[method].gamma).toBeNull();
      expect(by[method].table['Y/Y']).toBeGreaterThan(0);
    }
    expect(by.wa.details.ratio).toBeCloseTo(golden.wa.withBias.ratio, 10);
    expect(doc.method).toBe('matrix');
    expect(doc.gamma).toBeNull();
    const saved = JSON.parse(readFileSync(out, 'utf8'));
    expect(saved).toMatchObject({
      schemaVersion: 2,
      method: 'matrix',
      linear: { input: 'logits', form: 'full' },
    });
    expect(saved.gamma).toBeUndefined();
    expect(saved.linear.weights).toHaveLength(36);
    const want = fitOf('matrix').weights!;
    saved.linear.weights.forEach((w: number, i: number) => {
      expect(Math.abs(w - want[i]!)).toBeLessThan(1e-3);
    });
    expect(doc.after).toEqual(by.matrix.table);
  });

  it('applies the saved map: logits and probabilities as the library computes them', async () => {
    const cal = s.path('matrix.json');
    const calibrator = Calibrator.fromJSON(readFileSync(cal, 'utf8'), cal);
    const z = await openArray(s.path('logits.npy'));
    const rows = await z.readRows(0, z.rows);
    await z.close();
    const cpu = new CpuBackend({ threads: 1 });
    try {
      for (const [flag, output] of [
        [[], 'logits'],
        [['--probs'], 'probabilities'],
      ] as const) {
        const out = s.path(`applied-${output}.npy`);
        const r = ftcal([
          'apply',
          '--calibrator',
          cal,
          '--logits',
          s.path('logits.npy'),
          ...flag,
          '--out',
          out,
          '--device',
          'cpu',
        ]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/method matrix, s = W·z \+ b \(full W\)/);
        const got = await openArray(out);
        const data = await got.readRows(0, got.rows);
        await got.close();
        const want = await calibrator.applyArray(cpu, rows, z.rows, z.cols, output);
        expect(Array.from(data)).toEqual(Array.from(want));
      }
    } finally {
      cpu.dispose();
    }
  });

  it('skips the fitted linear methods for a fitting set without absent-labelled rows, and says why', () => {
    const doc = jsonOf(
      ftcal(['calibrate', ...labelled(), ...seenOnly(), '--out', s.path('alg.json'), '--json']),
    );
    const skipped = Object.fromEntries(
      doc.skipped.map((k: { method: string; reason: string }) => [k.method, k.reason]),
    );
    for (const method of ['vector', 'matrix', 'dirichlet', 'affine']) {
      expect(skipped[method]).toMatch(/fitting set seen-logits\.npy has no rows labelled in U/);
    }
    expect(skipped.wa).toMatch(/--weights W/);
    expect(doc.method).toBe('alg');
  });

  it('refuses a named fitted method on such a fitting set: exit 2, one line, before any work', () => {
    const r = ftcal([
      'calibrate',
      ...labelled(),
      ...seenOnly(),
      '--method',
      'dirichlet',
      '--out',
      s.path('x.json'),
    ]);
    expectInputError(
      r,
      'seen-logits.npy',
      /dirichlet is fitted on labelled rows and this fitting set has none labelled in U/,
    );
    expect(messageLines(r)[0]).toMatch(/would push the absent classes down/);
  });

  it('takes --odir λ,μ for matrix and dirichlet, and refuses a malformed one', () => {
    const doc = jsonOf(
      ftcal([
        'calibrate',
        ...labelled(),
        '--methods',
        'matrix',
        '--odir',
        '0.05,0.02',
        '--out',
        s.path('o.json'),
        '--json',
      ]),
    );
    const d = doc.methods[0].details;
    expect(d.odir).toEqual({ lambda: 0.05, mu: 0.02 });
    expect(Math.abs(d.loss - fitOf('matrix', [0.05, 0.02]).loss)).toBeLessThan(5e-8);
    for (const bad of ['0.1', '1,2,3', '-1,0', 'a,b']) {
      const r = ftcal([
        'calibrate',
        ...labelled(),
        '--methods',
        'matrix',
        '--odir',
        bad,
        '--out',
        s.path('o.json'),
      ]);
      expect(r.code).toBe(2);
      expect(messageLines(r)).toHaveLength(1);
      expect(messageLines(r)[0]).toMatch(
        /^ftcal: --odir: .*(is not λ,μ \(two numbers ≥ 0\)|is not a finite number ≥ 0)/,
      );
    }
  });

  it('wa needs --weights when named, and --bias needs --weights', () => {
    expectInputError(
      ftcal(['calibrate', ...labelled(), '--method', 'wa', '--out', s.path('w.json')]),
      '--method wa',
      /needs the head's weights: --weights W/,
    );
    const r = ftcal(['calibrate', ...labelled(), '--bias', s.path('bias.npy'), '--out', s.path('w.json')]);
    expect(r.code).toBe(2);
    expect(messageLines(r)).toEqual([
      'ftcal: --bias: a head bias without its weights; pass the head as --weights W --bias b',
    ]);
  });
});
