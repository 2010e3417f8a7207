import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { openArray } from '@ftcal/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { npyMatrix, writeLabels } from '../files.ts';
import { expectOneLine, expectOptionError, hostileWorld, LABELLED, snapshot } from './harness.ts';

/**
 * Hostile battery, silent wrong answers: a value that overflows float32 where it is used (γ added to
 * f32 logits, 1/T multiplying them) is refused, from a flag or from a calibrator file, instead of
 * giving NaN probabilities with exit 0 or a crash deep in the metrics.
 */
describe('hostile: no silent NaN, no overflow passed through', () => {
  const w = hostileWorld('wrong');
  let calibrator: Record<string, unknown>;

  beforeAll(async () => {
    // Logits near the float32 limit in an absent class: z + γ overflows even though γ itself fits.
    const z = new Float32Array(4 * 10).fill(1);
    z[5] = 3e38;
    writeFileSync(w.path('huge.npy'), npyMatrix(z, 4, 10));
    await writeLabels(w.path('labels4.npy'), [5, 0, 6, 1]);
    w.calibrator('cal.json');
    calibrator = JSON.parse(readFileSync(w.path('cal.json'), 'utf8'));
  });
  afterAll(() => w.remove());

  /** A schemaVersion 2 calibrator of the linear family over the toy head's 10 classes. */
  const linear = (map: { weights?: number[]; bias?: number[] }) => ({
    schemaVersion: 2,
    gamma: undefined,
    temperature: undefined,
    linear: {
      input: 'logits',
      form: 'diagonal',
      weights: map.weights ?? Array(10).fill(1),
      bias: map.bias ?? Array(10).fill(0),
      masked: [],
    },
  });

  const broken: [string, Record<string, unknown>, RegExp][] = [
    ['γ = 1e39 (overflows float32)', { gamma: 1e39 }, /"gamma".*float32/],
    ['γ = -1e39', { gamma: -1e39 }, /"gamma".*float32/],
    ['γ = 3.5e38 (just past float32)', { gamma: 3.5e38 }, /"gamma".*float32/],
    ['T = 1e-39 (1/T overflows float32)', { temperature: 1e-39 }, /"temperature".*float32/],
    ['T = 5e-324', { temperature: 5e-324 }, /"temperature".*float32/],
    ['T = 1e39 (overflows float32)', { temperature: 1e39 }, /"temperature".*float32/],
    [
      'a linear weight of 1e39 (overflows float32)',
      linear({ weights: [1e39, ...Array(9).fill(1)] }),
      /"linear\.weights".*float32/,
    ],
    ['a linear bias of -1e39', linear({ bias: [...Array(9).fill(0), -1e39] }), /"linear\.bias".*float32/],
    ['a linear map of 9 weights for 10 classes', linear({ weights: Array(9).fill(1) }), /"linear\.weights"/],
    [
      'numClasses = 1e12 (no allocation of a trillion classes)',
      { groups: { numClasses: 1e12, seen: [0], absent: [1], other: [] } },
      /"groups\.numClasses"/,
    ],
    [
      'numClasses = -3',
      { groups: { numClasses: -3, seen: [0], absent: [1], other: [] } },
      /"groups\.numClasses"/,
    ],
    [
      'a fingerprint with negative rows',
      {
        provenance: {
          created: 'x',
          fingerprints: [{ source: 'a', rows: -1, cols: 10, sha256: 'a'.repeat(64), scope: 'all' }],
        },
      },
      /fingerprint/,
    ],
  ];

  beforeEach(() => rmSync(w.path('p.npy'), { force: true }));

  it.each(broken)(
    'a calibrator with %s is refused by apply --probs, nothing written',
    (_name, change, says) => {
      writeFileSync(w.path('bad.json'), JSON.stringify({ ...calibrator, ...change }));
      const r = w.run([
        'apply',
        '--calibrator',
        'bad.json',
        '--logits',
        'logits.npy',
        '--out',
        'p.npy',
        '--probs',
        '--device',
        'cpu',
      ]);
      const line = expectOneLine(r, { code: 2, says });
      expect(line).toContain('bad.json');
      expect(snapshot(w.path('p.npy'))).toBe('missing');
    },
  );

  const flags: [string, string, string][] = [
    ['evaluate --gamma 1e39', '--gamma', '1e39'],
    ['evaluate --gamma -1e39', '--gamma', '-1e39'],
    ['evaluate --temperature 1e-39', '--temperature', '1e-39'],
    ['evaluate --temperature 1e39', '--temperature', '1e39'],
  ];

  it.each(flags)('%s is one line naming the flag, before any work', (_name, flag, value) => {
    const r = w.run(['evaluate', ...LABELLED, flag, value, '--device', 'cpu']);
    expectOptionError(r, flag, /float32/);
  });

  it('calibrate --max-seen-drop beyond float32 or negative is one line', () => {
    for (const v of ['1e39', '-1']) {
      const r = w.run([
        'calibrate',
        ...LABELLED,
        '--max-seen-drop',
        v,
        '--out',
        'c2.json',
        '--device',
        'cpu',
      ]);
      expectOptionError(r, '--max-seen-drop');
    }
  });

  it('apply --probs never writes NaN for finite logits: γ that overflows them is refused', () => {
    writeFileSync(
      w.path('big-gamma.json'),
      JSON.stringify({ ...calibrator, gamma: 3e38, provenance: { created: 'x', fingerprints: [] } }),
    );
    const r = w.run([
      'apply',
      '--calibrator',
      'big-gamma.json',
      '--logits',
      'huge.npy',
      '--out',
      'p2.npy',
      '--probs',
      '--device',
      'cpu',
    ]);
    expectOneLine(r, { code: 2, says: /huge\.npy.*row 0.*float32/, afterDevice: true });
    expect(snapshot(w.path('p2.npy'))).toBe('missing');
  });

  it('apply --probs with a linear map whose scores overflow float32 is refused, nothing written', () => {
    writeFileSync(
      w.path('big-w.json'),
      JSON.stringify({
        ...calibrator,
        ...linear({ weights: Array(10).fill(2) }),
        method: 'vector',
        provenance: { created: 'x', fingerprints: [] },
      }),
    );
    const r = w.run([
      'apply',
      '--calibrator',
      'big-w.json',
      '--logits',
      'huge.npy',
      '--out',
      'p3.npy',
      '--probs',
      '--device',
      'cpu',
    ]);
    expectOneLine(r, { code: 2, says: /huge\.npy.*row 0.*vector.*float32/, afterDevice: true });
    expect(snapshot(w.path('p3.npy'))).toBe('missing');
  });

  it('evaluate on such logits gives finite metrics, not a TypeError inside the ECE binning', () => {
    const r = w.run([
      'evaluate',
      '--logits',
      'huge.npy',
      '--labels',
      'labels4.npy',
      '--groups',
      'groups.json',
      '--gamma',
      '3e38',
      '--device',
      'cpu',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { table } = JSON.parse(r.stdout);
    for (const metric of ['nll', 'ece', 'brier']) expect(Number.isFinite(table[metric]), metric).toBe(true);
  });

  it('a good calibrator still applies: probabilities are finite and sum to one', async () => {
    const r = w.run([
      'apply',
      '--calibrator',
      'cal.json',
      '--logits',
      'logits.npy',
      '--out',
      'good.npy',
      '--probs',
      '--device',
      'cpu',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const p = await openArray(w.path('good.npy'));
    const data = await p.readRows(0, p.rows);
    await p.close();
    expect(data.every((v) => Number.isFinite(v))).toBe(true);
  });
});
