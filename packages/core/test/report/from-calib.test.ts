import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { accuracyAt, rowOutcomes, thresholds } from '../../src/calib/accuracy.ts';
import { gammaCurve } from '../../src/calib/curve.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { confidenceMetrics } from '../../src/calib/metrics.ts';
import { statsOfArray } from '../../src/calib/stats.ts';
import {
  curvePlotOf,
  markOf,
  methodRowOf,
  reliabilityPanelOf,
  thresholdGroupsOf,
} from '../../src/report/from-calib.ts';
import { renderReportHtml } from '../../src/report/html.ts';
import { gammaCurveSvg } from '../../src/report/svg/gamma-curve.ts';
import { logitGapSvg } from '../../src/report/svg/logit-gap.ts';
import { reliabilitySvg } from '../../src/report/svg/reliability.ts';
import { parseXml, pathPoints, walk } from './xml-check.ts';

/** Logits of a "fine-tuned" head: seen classes pushed up, so γ > 0 is needed to recover U. */
function fineTunedLogits(rows: number, cols: number, seenCount: number, seed: number) {
  let a = seed;
  const next = () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648;
  };
  const z = new Float32Array(rows * cols);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const y = Math.floor(next() * cols);
    labels[r] = y;
    for (let c = 0; c < cols; c++) {
      z[r * cols + c] = 2 * next() + (c === y ? 2.5 : 0) + (c < seenCount ? 1.5 : 0);
    }
  }
  // One row whose absent logits are all -Infinity: its threshold is +Infinity.
  for (let c = seenCount; c < cols; c++) z[c] = Number.NEGATIVE_INFINITY;
  labels[0] = 0;
  return { z, labels };
}

describe('report inputs from the calibration engine', async () => {
  const rows = 500;
  const cols = 10;
  const { z, labels } = fineTunedLogits(rows, cols, 6, 42);
  const groups = makeGroups(cols, [0, 1, 2, 3, 4, 5]);
  const cpu = new CpuBackend();
  const data = await statsOfArray(cpu, z, rows, cols, { groups, labels });
  const curve = await gammaCurve(cpu, data);

  it('draws the engine’s curve with the engine’s AUSUC as the shaded area', () => {
    const marks = [markOf('γ=0', 0, accuracyAt(data, 0)), markOf('γ=1.5', 1.5, accuracyAt(data, 1.5))];
    expect(marks[0]).toMatchObject({ seen: accuracyAt(data, 0)['S/Y'], unseen: accuracyAt(data, 0)['U/Y'] });
    const svg = gammaCurveSvg(curvePlotOf(curve, marks));
    const root = parseXml(svg);
    const area = [...walk(root)].find((e) => e.attrs.class === 'ausuc-area')!;
    const pts = pathPoints(area.attrs.d!);
    let twice = 0;
    pts.forEach(([x0, y0], i) => {
      const [x1, y1] = pts[(i + 1) % pts.length]!;
      twice += x0 * y1 - x1 * y0;
    });
    expect(curve.ausuc).toBeGreaterThan(0.05);
    expect(Math.abs(twice) / 2 / (320 * 320)).toBeCloseTo(curve.ausuc, 3);
    expect(svg).toContain(`AUSUC ${curve.ausuc.toFixed(4)}`);
  });

  it('splits thresholds by label group, keeping every row and its infinite threshold', () => {
    const o = rowOutcomes(data);
    const split = thresholdGroupsOf(o);
    const t = thresholds(data.stats);
    const seenRows = Array.from(labels).filter((y) => y < 6).length;
    expect(split.seen.length).toBe(seenRows);
    expect(split.unseen.length).toBe(rows - seenRows);
    expect(Array.from(split.seen)).toEqual(Array.from(t).filter((_, r) => labels[r]! < 6));
    expect(split.seen[0]).toBe(Number.POSITIVE_INFINITY);
    const svg = logitGapSvg({ thresholds: split, markers: [{ label: 'γ=0', gamma: 0 }] });
    expect(svg).toContain('(1 at +∞)');
  });

  it('builds method rows that the page tables', () => {
    const table = accuracyAt(data, 1.5);
    const row = methodRowOf({ method: 'alg', gamma: 1.5, temperature: 1 }, { ...table, ausuc: curve.ausuc });
    expect(row.table).toMatchObject({ gamma: 1.5, temperature: 1, 'S/Y': table['S/Y'], ausuc: curve.ausuc });
    const html = renderReportHtml({ evaluated: [], device: 'cpu', date: new Date(0), methods: [row] });
    expect(html).toContain(`<td>${table['Y/Y'].toFixed(2)}</td>`);
  });

  it('draws the engine’s reliability bins before and after a bias, equal-width and equal-mass', async () => {
    const data = await statsOfArray(cpu, z, rows, cols, { groups, labels });
    const before = await confidenceMetrics(cpu, data, { equalMass: true });
    const after = await confidenceMetrics(cpu, data, { gamma: 1.5, equalMass: true });
    const svg = reliabilitySvg([
      reliabilityPanelOf('Before', before.calibration),
      reliabilityPanelOf('After (γ=1.5)', after.calibration),
      reliabilityPanelOf('After, equal-mass', after.equalMass!),
    ]);
    const root = parseXml(svg);
    const bars = [...walk(root)].filter((e) => e.attrs.class === 'bar-accuracy');
    const filled = [before.calibration, after.calibration, after.equalMass!].flatMap((c) =>
      c.bins.filter((b) => b.count > 0),
    );
    expect(bars).toHaveLength(filled.length);
    bars.forEach((bar, i) => {
      expect(Number(bar.attrs.height) / 300).toBeCloseTo(filled[i]!.accuracy, 3);
      expect(Number(bar.attrs.width)).toBeGreaterThanOrEqual(3);
    });
    expect(svg).toContain(`Before ECE ${before.ece.toFixed(4)}`);
    expect(svg).toContain(`After (γ=1.5) ECE ${after.ece.toFixed(4)}`);
  });
});
