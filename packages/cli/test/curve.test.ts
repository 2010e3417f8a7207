import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf } from './expect-cli.ts';
import { scratch } from './files.ts';
import { type Golden, labelledArgs, writeGolden } from './golden.ts';
import { ftcal } from './run-cli.ts';

describe('ftcal curve (built binary)', () => {
  const s = scratch();
  let golden: Golden;
  const labelled = () => labelledArgs(s.path);

  beforeAll(async () => {
    golden = await writeGolden('basic', s.path);
  });
  afterAll(() => s.remove());

  it('writes the golden curve exactly: every point, every digit (NumPy reference)', () => {
    const out = s.path('curve.csv');
    const r = ftcal(['curve', ...labelled(), '--out', out, '--chunk-rows', '9']);
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').split('\n');
    expect(lines[0]).toBe('gamma,seen,unseen,overall');
    expect(lines.at(-1)).toBe('');
    const points = lines.slice(1, -1).map((l) => {
      const [gamma, seen, unseen, overall] = l.split(',').map(Number);
      return { gamma, seen, unseen, overall };
    });
    expect(points).toEqual(golden.expected.curve.points);
    expect(r.stdout).toMatch(
      new RegExp(
        `^${points.length} points \\(${golden.expected.curve.distinctThresholds} distinct thresholds\\)`,
      ),
    );
    expect(r.stdout).toContain(`AUSUC ${golden.expected.curve.ausuc.toFixed(4)}`);
  });

  it('draws the plot with γ = 0, the oracle point and a calibrator’s γ marked', () => {
    const cal = s.path('cal.json');
    const fit = ['--fit-logits', s.path('fit-logits.npy'), '--fit-labels', s.path('fit-labels.npy')];
    expect(ftcal(['calibrate', ...labelled(), ...fit, '--out', cal]).code).toBe(0);
    const plot = s.path('curve.svg');
    const doc = jsonOf(
      ftcal([
        'curve',
        ...labelled(),
        '--out',
        s.path('c2.csv'),
        '--plot',
        plot,
        '--calibrator',
        cal,
        '--json',
      ]),
    );
    expect(doc).toMatchObject({
      schemaVersion: 1,
      command: 'curve',
      points: golden.expected.curve.points.length,
      distinctThresholds: golden.expected.curve.distinctThresholds,
    });
    expect(doc.ausuc).toBeCloseTo(golden.expected.curve.ausuc, 12);
    expect(doc.marks.map((m: { label: string }) => m.label)).toEqual(['γ = 0', 'oracle', 'alg']);
    expect(doc.marks[1].gamma).toBe(golden.expected.methods.oracle);
    expect(Math.abs(doc.marks[2].gamma - golden.expected.methods.alg)).toBeLessThan(1e-5);
    const svg = readFileSync(plot, 'utf8');
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const label of ['γ = 0', 'oracle', 'alg']) expect(svg).toContain(label);
  });
});
