import { readFileSync } from 'node:fs';
import { Calibrator, CpuBackend, calibrate, makeGroups, openArray, readLabels } from '@ftcal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf, messageLines } from './expect-cli.ts';
import { scratch } from './files.ts';
import { expectTable, type Golden, labelledArgs, writeGolden } from './golden.ts';
import { ftcal } from './run-cli.ts';

describe('ftcal calibrate (built binary)', () => {
  const s = scratch();
  let golden: Golden;
  const labelled = () => labelledArgs(s.path);
  const fitting = () => ['--fit-logits', s.path('fit-logits.npy'), '--fit-labels', s.path('fit-labels.npy')];
  const folds = () => [
    '--fold-logits',
    s.path('fold0-logits.npy'),
    '--fold-seen',
    '0-2',
    '--fold-labels',
    s.path('fold0-labels.npy'),
    '--pretrained-logits',
    s.path('fold0-pretrained.npy'),
    '--fold-logits',
    s.path('fold1-logits.npy'),
    '--fold-seen',
    '3,4,5',
    '--fold-labels',
    s.path('fold1-labels.npy'),
    '--pretrained-logits',
    s.path('fold1-pretrained.npy'),
  ];

  beforeAll(async () => {
    golden = await writeGolden('basic', s.path);
  });
  afterAll(() => s.remove());

  it('finds every method’s golden γ (NumPy reference) and writes the chosen one as a calibrator', () => {
    const out = s.path('cal.json');
    const doc = jsonOf(ftcal(['calibrate', ...labelled(), ...fitting(), ...folds(), '--out', out, '--json']));
    const want = golden.expected.methods;
    const byMethod = Object.fromEntries(doc.methods.map((m: { method: string }) => [m.method, m]));
    expect(Object.keys(byMethod)).toEqual([
      'alg',
      'oracle',
      'constrained',
      'hmean',
      'pcv',
      'nll',
      'temperature',
    ]);
    expect(Math.abs(byMethod.alg.gamma - want.alg)).toBeLessThan(1e-5);
    expect(byMethod.oracle.gamma).toBe(want.oracle);
    expect(byMethod.hmean.gamma).toBe(want.hmean);
    expect(byMethod.constrained.gamma).toBe(want.constrained['1.0']);
    expect(byMethod.pcv.gamma).toBe(want.pcv);
    expect(Math.abs(byMethod.nll.gamma - want.nll.gamma)).toBeLessThan(1e-5);
    expect(Math.abs(byMethod.nll.temperature / want.nll.temperature - 1)).toBeLessThan(1e-5);
    expect(Math.abs(byMethod.temperature.temperature / want.temperature.temperature - 1)).toBeLessThan(1e-5);
    // The fitting set holds seen-labelled rows only (as fine-tuning data does), so the fitted linear
    // methods are skipped for it; wa has no head weights here.
    expect(doc.skipped.map((k: { method: string }) => k.method)).toEqual([
      'vector',
      'matrix',
      'dirichlet',
      'affine',
      'wa',
    ]);
    // alg comes first among the methods that need no absent-class labels.
    expect(doc.method).toBe('alg');
    expect(doc.gamma).toBe(byMethod.alg.gamma);
    expectTable(doc.before, golden.expected.accuracy[0]!.table, 1e-9, 'before');
    const saved = Calibrator.fromJSON(readFileSync(out, 'utf8'), out);
    expect(saved.gamma).toBe(doc.gamma);
    expect(saved.method).toBe('alg');
    expect(saved.fingerprints.map((f) => f.source)).toEqual([s.path('logits.npy'), s.path('fit-logits.npy')]);
    const delta5 = jsonOf(
      ftcal([
        'calibrate',
        ...labelled(),
        '--max-seen-drop',
        '5',
        '--method',
        'constrained',
        '--out',
        out,
        '--json',
      ]),
    );
    expect(delta5.gamma).toBe(want.constrained['5.0']);
  });

  it('prints what the library computes on the same files', async () => {
    const out = s.path('cal-lib.json');
    const doc = jsonOf(ftcal(['calibrate', ...labelled(), ...fitting(), '--out', out, '--json']));
    const logits = await openArray(s.path('logits.npy'));
    const fit = await openArray(s.path('fit-logits.npy'));
    const lib = await calibrate(new CpuBackend(), {
      logits,
      labels: await readLabels(s.path('labels.npy')),
      groups: makeGroups(golden.numClasses, golden.seen, golden.absent),
      train: { logits: fit, labels: await readLabels(s.path('fit-labels.npy')) },
      methods: ['alg', 'oracle', 'constrained', 'hmean', 'nll', 'temperature'],
    });
    await logits.close();
    await fit.close();
    const roundTrip = JSON.parse(JSON.stringify(lib));
    expect(doc.methods).toEqual(roundTrip.methods);
    expect(doc.before).toEqual(roundTrip.before);
    expect(doc.after).toEqual(roundTrip.after);
    expect(doc.confidenceAfter).toEqual(roundTrip.confidenceAfter);
    const { created: _a, ...provenance } = doc.calibrator.provenance;
    const { created: _b, ...libProvenance } = roundTrip.calibrator.provenance;
    expect(provenance).toEqual(libProvenance);
    expect(JSON.parse(readFileSync(out, 'utf8')).gamma).toBe(lib.gamma);
  });

  it('lists the methods that lack their inputs as skipped, with the options that enable them', () => {
    const out = s.path('cal-skip.json');
    const r = ftcal(['calibrate', ...labelled(), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^alg\s+-.*skipped: needs the fine-tuning training logits: --fit-logits/m);
    expect(r.stdout).toMatch(/^pcv\s+-.*skipped: needs fold models: --fold-logits/m);
    expect(r.stdout).toMatch(/^nll \*/m);
    expect(r.stdout).toMatch(/before \(γ = 0, T = 1\)/);
    expect(r.stdout).toMatch(/after \(nll\)/);
    expect(r.stdout).toContain(`wrote ${out}`);
    const doc = jsonOf(ftcal(['calibrate', ...labelled(), '--method', 'oracle', '--out', out, '--json']));
    expect(doc.method).toBe('oracle');
    expect(doc.gamma).toBe(golden.expected.methods.oracle);
    expect(doc.skipped.map((m: { method: string }) => m.method)).toEqual(['alg', 'pcv', 'wa']);
    expect(Calibrator.fromJSON(readFileSync(out, 'utf8')).method).toBe('oracle');
  });

  it('runs only the methods asked for with --methods', () => {
    const out = s.path('cal-some.json');
    const doc = jsonOf(
      ftcal(['calibrate', ...labelled(), ...fitting(), '--methods', 'oracle,alg', '--out', out, '--json']),
    );
    expect(doc.methods.map((m: { method: string }) => m.method)).toEqual(['alg', 'oracle']);
    expect(doc.skipped).toEqual([]);
    expect(doc.method).toBe('alg');
    const hmean = jsonOf(ftcal(['calibrate', ...labelled(), '--methods', 'hmean', '--out', out, '--json']));
    expect(hmean.method).toBe('hmean');
    expect(hmean.gamma).toBe(golden.expected.methods.hmean);
  });

  it('refuses a chosen method without its inputs, and half-given inputs, in one line (exit 2)', () => {
    const out = s.path('never.json');
    const cases: [string[], RegExp][] = [
      [['--method', 'alg'], /--method alg needs the fine-tuning training logits: --fit-logits/],
      [['--method', 'pcv'], /--method pcv needs fold models/],
      [['--fit-logits', s.path('fit-logits.npy')], /--fit-logits without --fit-labels/],
      [
        ['--fold-logits', s.path('fold0-logits.npy'), '--pretrained-logits', s.path('fold0-pretrained.npy')],
        /--fold-seen: given 0 times for 1/,
      ],
      [['--method', 'median'], /--method: 'median' is not one of alg, oracle/],
      [['--methods', 'oracle,median'], /'median' is not a method; use some of alg, oracle/],
      [['--methods', 'alg'], /--methods names alg, which needs the fine-tuning training logits/],
      [['--methods', 'oracle', '--method', 'hmean'], /--method hmean is not among --methods oracle/],
    ];
    for (const [extra, pattern] of cases) {
      const r = ftcal(['calibrate', ...labelled(), ...extra, '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(messageLines(r)[0]).toMatch(pattern);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
    expect(() => readFileSync(out)).toThrow();
  });
});
