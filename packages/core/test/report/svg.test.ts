import { describe, expect, it } from 'vitest';
import { gammaCurveLayout, gammaCurveSvg } from '../../src/report/svg/gamma-curve.ts';
import { histogram } from '../../src/report/svg/histogram.ts';
import { logitGapSvg } from '../../src/report/svg/logit-gap.ts';
import { decimatePath } from '../../src/report/svg/path-decimate.ts';
import { reliabilitySvg } from '../../src/report/svg/reliability.ts';
import { linearScale, niceTicks } from '../../src/report/svg/scale.ts';
import type { CurvePoint, ReliabilityBin } from '../../src/report/types.ts';
import { bruteCurve, eceOf, marksOf, syntheticBins, syntheticRows, trapezoidAusuc } from './fixture.ts';
import { geometryNumbers, parseXml, pathPoints, walk, type XmlElement } from './xml-check.ts';

/** Parses the SVG and checks what every plot must have: accessible name, finite geometry. */
function checkSvg(svg: string): XmlElement {
  const root = parseXml(svg);
  expect(root.name).toBe('svg');
  expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  expect(root.attrs.role).toBe('img');
  const ids = root.attrs['aria-labelledby']!.split(' ');
  const byId = new Map([...walk(root)].filter((e) => e.attrs.id).map((e) => [e.attrs.id!, e]));
  expect(ids.map((id) => byId.get(id)?.name)).toEqual(['title', 'desc']);
  expect(byId.get(ids[0]!)!.text.length).toBeGreaterThan(5);
  expect(byId.get(ids[1]!)!.text.length).toBeGreaterThan(20);
  const bad = geometryNumbers(root).filter((n) => !Number.isFinite(n.value));
  expect(bad).toEqual([]);
  return root;
}

function find(root: XmlElement, predicate: (e: XmlElement) => boolean): XmlElement[] {
  return [...walk(root)].filter(predicate);
}

const byClass = (root: XmlElement, cls: string) => find(root, (e) => e.attrs.class === cls);
const texts = (root: XmlElement) => find(root, (e) => e.name === 'text').map((e) => e.text);

function shoelace(points: readonly [number, number][]): number {
  let a = 0;
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i]!;
    const [x1, y1] = points[(i + 1) % points.length]!;
    a += x0 * y1 - x1 * y0;
  }
  return Math.abs(a) / 2;
}

describe('gamma-curve plot', () => {
  const rows = syntheticRows(600);
  const points = bruteCurve(rows);
  const marks = marksOf(points, rows);
  const ausuc = trapezoidAusuc(points);

  it('is well-formed SVG with AUSUC in its title and every mark labelled', () => {
    const root = checkSvg(gammaCurveSvg({ points, marks, ausuc }));
    expect(find(root, (e) => e.name === 'title')[0]!.text).toBe(`γ curve, AUSUC ${ausuc.toFixed(4)}`);
    const labels = texts(root).join('\n');
    for (const m of marks) expect(labels).toContain(m.label);
    expect(labels).toContain('Seen-class accuracy S/Y (%)');
    expect(labels).toContain('Overall accuracy Y/Y (%)');
  });

  it('draws where gammaCurveLayout says: frames, γ range and the marks’ lines in the overall panel', () => {
    const plot = { points, marks, ausuc };
    const layout = gammaCurveLayout(plot);
    const root = checkSvg(gammaCurveSvg(plot));
    expect([root.attrs.width, root.attrs.height]).toEqual([String(layout.width), String(layout.height)]);
    expect(layout.seenUnseen.frame).toEqual({ x: 70, y: 52, width: 320, height: 320 });
    const overall = layout.overall!;
    const [lo, hi] = overall.gamma;
    for (const m of marks) {
      expect(m.gamma).toBeGreaterThan(lo);
      expect(m.gamma).toBeLessThan(hi);
    }
    const { frame } = overall;
    const dashed = find(
      byClass(root, 'panel overall')[0]!,
      (e) => e.name === 'line' && e.attrs['stroke-dasharray'] !== undefined,
    );
    expect(dashed.map((e) => Number(e.attrs.x1))).toEqual(
      marks.map((m) => Math.round((frame.x + ((m.gamma - lo) / (hi - lo)) * frame.width) * 100) / 100),
    );
    expect(gammaCurveLayout({ ...plot, overallPanel: false }).overall).toBeNull();
  });

  it('shades exactly the AUSUC area and starts the path at the lowest-γ point', () => {
    const root = checkSvg(gammaCurveSvg({ points, marks, ausuc }));
    const area = pathPoints(byClass(root, 'ausuc-area')[0]!.attrs.d!);
    // The plot frame is 320×320 px for 100%×100%.
    expect(shoelace(area) / (320 * 320)).toBeCloseTo(ausuc, 3);
    const curve = pathPoints(byClass(root, 'curve')[0]!.attrs.d!);
    const first = points[0]!;
    const last = points[points.length - 1]!;
    expect(curve[0]![0]).toBeCloseTo(70 + (first.seen / 100) * 320, 1);
    expect(curve[0]![1]).toBeCloseTo(52 + 320 - (first.unseen / 100) * 320, 1);
    expect(curve[curve.length - 1]![0]).toBeCloseTo(70 + (last.seen / 100) * 320, 1);
  });

  it('shades a γ interval in the overall panel and along the curve, with its legend', () => {
    const oracle = marks.find((m) => m.label === 'oracle') ?? marks[0]!;
    const lo = oracle.gamma - 0.5;
    const hi = oracle.gamma + 0.75;
    const interval = { label: oracle.label, gamma: [lo, hi] as const, level: 0.95 };
    const root = checkSvg(gammaCurveSvg({ points, marks, ausuc, intervals: [interval] }));
    const span = byClass(root, 'gamma-interval');
    expect(span).toHaveLength(1);
    const stretch = pathPoints(byClass(root, 'gamma-interval-curve')[0]!.attrs.d!);
    const inside = points.filter((p) => p.gamma >= lo && p.gamma <= hi);
    expect(stretch.length).toBeGreaterThan(0);
    expect(stretch.length).toBeLessThanOrEqual(inside.length);
    expect(stretch[0]![0]).toBeCloseTo(70 + (inside[0]!.seen / 100) * 320, 1);
    const legend = texts(root).join('\n');
    expect(legend).toContain(`${oracle.label} γ, 95% bootstrap interval`);
    expect(find(root, (e) => e.name === 'desc')[0]!.text).toContain('95% bootstrap interval');
    // An interval with no finite end draws nothing and breaks nothing.
    const none = checkSvg(
      gammaCurveSvg({
        points,
        marks,
        ausuc,
        intervals: [{ label: 'x', gamma: [Number.NaN, 1], level: 0.95 }],
      }),
    );
    expect(byClass(none, 'gamma-interval')).toHaveLength(0);
  });

  it('keeps coordinates finite when accuracies are NaN and γ is infinite', () => {
    const hostile: CurvePoint[] = [
      { gamma: Number.NEGATIVE_INFINITY, seen: 90, unseen: 10, overall: 60 },
      { gamma: -1, seen: Number.NaN, unseen: 12, overall: Number.NaN },
      { gamma: 0.5, seen: 80, unseen: Number.NaN, overall: 61 },
      { gamma: 1e300, seen: 70, unseen: 40, overall: 62 },
      { gamma: Number.POSITIVE_INFINITY, seen: 0, unseen: 100, overall: Number.POSITIVE_INFINITY },
    ];
    const weirdMarks = [
      { label: 'nll <&> "quoted"', gamma: Number.NaN, seen: Number.NaN, unseen: 5, overall: Number.NaN },
      { label: 'pcv', gamma: Number.POSITIVE_INFINITY, seen: 50, unseen: 50 },
    ];
    for (const input of [
      { points: hostile, marks: weirdMarks, ausuc: Number.NaN },
      { points: [], marks: [], ausuc: Number.NaN },
      {
        points: [{ gamma: 0, seen: Number.NaN, unseen: Number.NaN, overall: Number.NaN }],
        marks: weirdMarks,
        ausuc: 0,
      },
      { points: [{ gamma: 3, seen: 50, unseen: 50, overall: 50 }], marks: [], ausuc: 0, overallPanel: false },
    ]) {
      const root = checkSvg(gammaCurveSvg(input));
      expect(texts(root).join(' ')).not.toMatch(/NaN|Infinity/);
    }
    const root = checkSvg(gammaCurveSvg({ points: hostile, marks: weirdMarks, ausuc: Number.NaN }));
    expect(texts(root).join('\n')).toContain('nll <&> "quoted"');
  });

  it('thins a curve of 200k points to the plot resolution without moving its ends', () => {
    const n = 200_000;
    const many: CurvePoint[] = Array.from({ length: n + 1 }, (_, k) => {
      const f = k / n;
      return {
        gamma: -10 + 20 * f,
        seen: 95 * (1 - f ** 3),
        unseen: 80 * Math.sqrt(f),
        overall: 60 + 10 * Math.sin(6 * f),
      };
    });
    const svg = gammaCurveSvg({ points: many, marks: [], ausuc: trapezoidAusuc(many) });
    expect(svg.length).toBeLessThan(150_000);
    const root = checkSvg(svg);
    const curve = pathPoints(byClass(root, 'curve')[0]!.attrs.d!);
    expect(curve.length).toBeLessThan(4 * 320 + 8);
    expect(curve[0]![0]).toBeCloseTo(70 + 0.95 * 320, 1);
    expect(curve[curve.length - 1]![1]).toBeCloseTo(52 + 320 - 0.8 * 320, 1);
    const area = pathPoints(byClass(root, 'ausuc-area')[0]!.attrs.d!);
    expect(shoelace(area) / (320 * 320)).toBeCloseTo(trapezoidAusuc(many), 3);
  });
});

describe('reliability diagram', () => {
  const before = syntheticBins(3, 0.6);
  const after = syntheticBins(3, 1.4);
  const panels = [
    { label: 'Before', bins: before, ece: eceOf(before) },
    { label: 'After (alg)', bins: after, ece: eceOf(after) },
  ];

  it('draws one accuracy bar per non-empty bin at its accuracy, with ECE in the titles', () => {
    const root = checkSvg(reliabilitySvg(panels));
    const title = find(root, (e) => e.name === 'title')[0]!.text;
    expect(title).toContain(`Before ECE ${eceOf(before).toFixed(4)}`);
    expect(title).toContain(`After (alg) ECE ${eceOf(after).toFixed(4)}`);
    const bars = byClass(root, 'bar-accuracy');
    const filled = [...before, ...after].filter((b) => b.count > 0);
    expect(bars).toHaveLength(filled.length);
    bars.forEach((bar, i) => {
      // The diagram is 300 px for accuracy 0–1.
      expect(Number(bar.attrs.height) / 300).toBeCloseTo(filled[i]!.accuracy, 3);
    });
    const gaps = byClass(root, 'bar-gap');
    gaps.forEach((gap, i) => {
      expect(Number(gap.attrs.height) / 300).toBeCloseTo(
        Math.abs(filled[i]!.accuracy - filled[i]!.meanConfidence),
        3,
      );
    });
    expect(byClass(root, 'bar-count')).toHaveLength(filled.length);
    const counts = texts(root);
    for (const b of filled) expect(counts).toContain(String(b.count));
  });

  it('skips bins it cannot draw and stays finite', () => {
    const bad: ReliabilityBin[] = [
      { lo: 0, hi: 0.5, count: 10, meanConfidence: Number.NaN, accuracy: 0.3 },
      { lo: 0.5, hi: 0.4, count: 3, meanConfidence: 0.5, accuracy: 0.5 },
      { lo: 0.7, hi: 0.7, count: 4, meanConfidence: 0.7, accuracy: 0.25 },
      { lo: 0.5, hi: Number.POSITIVE_INFINITY, count: 3, meanConfidence: 0.7, accuracy: 0.6 },
      { lo: 0.6, hi: 0.8, count: 0, meanConfidence: Number.NaN, accuracy: Number.NaN },
      { lo: 0.8, hi: 1, count: 5, meanConfidence: 0.9, accuracy: 1 },
    ];
    const root = checkSvg(reliabilitySvg([{ label: 'x', bins: bad, ece: Number.NaN }]));
    // Only the last bin and the zero-width one (as equal-mass binning makes) can be drawn.
    const bars = byClass(root, 'bar-accuracy');
    expect(bars).toHaveLength(2);
    expect(Number(bars[0]!.attrs.width)).toBe(3);
    expect(Number(bars[0]!.attrs.height) / 300).toBeCloseTo(0.25, 3);
    checkSvg(reliabilitySvg([]));
    checkSvg(reliabilitySvg([{ label: 'empty', bins: [], ece: 0 }]));
  });

  it('draws the bootstrap band of each bin’s accuracy where it is defined, and says so', () => {
    const accuracy = before.map((b, k): [number, number] =>
      k === 0 ? [Number.NaN, Number.NaN] : [Math.max(0, b.accuracy - 0.1), Math.min(1, b.accuracy + 0.05)],
    );
    const root = checkSvg(
      reliabilitySvg([{ ...panels[0]!, band: { accuracy, level: 0.95, replicates: 200 } }, panels[1]!]),
    );
    const drawn = before.filter((b, k) => b.count > 0 && k > 0);
    const bands = byClass(root, 'accuracy-band');
    expect(bands).toHaveLength(drawn.length);
    bands.forEach((band, i) => {
      const [lo, hi] = accuracy[before.indexOf(drawn[i]!)]!;
      expect(Number(band.attrs.height) / 300).toBeCloseTo(hi - lo, 3);
      expect(Number(band.attrs.y)).toBeCloseTo(64 + 300 * (1 - hi), 1);
    });
    expect(texts(root).join(' ')).toContain('Before: ECE');
    expect(find(root, (e) => e.name === 'desc')[0]!.text).toContain('95% bootstrap band');
  });
});

describe('logit-gap histogram', () => {
  it('splits rows by label group and marks every finite γ', () => {
    const rows = syntheticRows(600);
    const seen = rows.threshold.filter((_, i) => !rows.absent[i]);
    const unseen = rows.threshold.filter((_, i) => rows.absent[i]);
    const markers = [
      { label: 'γ=0', gamma: 0 },
      { label: 'alg', gamma: 2.4 },
    ];
    const root = checkSvg(logitGapSvg({ thresholds: { seen, unseen }, markers }));
    const all = texts(root).join('\n');
    expect(all).toContain(`Rows labelled in S (seen): ${seen.length} rows`);
    expect(all).toContain(`Rows labelled in U (absent): ${unseen.length} rows`);
    expect(all).toContain('alg γ=2.400');
    expect(byClass(root, 'bar').length).toBeGreaterThan(10);
  });

  it('counts infinite and NaN thresholds instead of drawing them', () => {
    const seen = Float64Array.from([
      1,
      2,
      2.5,
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.NaN,
    ]);
    const unseen = Float64Array.from([Number.NEGATIVE_INFINITY, 0.5, 1e30]);
    const root = checkSvg(
      logitGapSvg({
        thresholds: { seen, unseen },
        markers: [
          { label: 'oracle', gamma: 1.5 },
          { label: 'broken', gamma: Number.NaN },
        ],
      }),
    );
    const all = texts(root).join('\n');
    expect(all).toContain('2 right of axis (2 at +∞) →');
    expect(all).toContain('1 NaN');
    expect(all).toContain('1 at −∞');
    expect(find(root, (e) => e.name === 'desc')[0]!.text).toContain('Not drawn (γ not finite): broken');
    for (const thresholds of [
      { seen: [], unseen: [] },
      { seen: [Number.POSITIVE_INFINITY], unseen: [Number.NaN] },
      { seen: [5, 5, 5], unseen: [5] },
    ]) {
      checkSvg(logitGapSvg({ thresholds, markers: [{ label: 'γ=0', gamma: 0 }] }));
    }
  });

  it('histogram accounts for every value exactly once', () => {
    const values = [
      -5,
      -1,
      0,
      0.1,
      0.99,
      1,
      2,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ];
    const h = histogram(values, 0, 1, 4);
    expect(h.counts).toEqual([2, 0, 0, 2]);
    expect([h.below, h.above, h.nan, h.negInf, h.posInf]).toEqual([3, 2, 1, 1, 1]);
  });
});

describe('plot helpers', () => {
  it('nice ticks are round numbers inside the domain', () => {
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(-2.3, 9.1, 6)).toEqual([-2, 0, 2, 4, 6, 8]);
    expect(niceTicks(0, 0.15, 3)).toEqual([0, 0.05, 0.1, 0.15]);
    expect(niceTicks(1, 1, 5)).toEqual([]);
  });

  it('linear scales clamp outliers and survive degenerate domains', () => {
    const s = linearScale([0, 10], [100, 200]);
    expect([s(0), s(5), s(10), s(-1e300), s(Number.POSITIVE_INFINITY)]).toEqual([100, 150, 200, 100, 200]);
    for (const d of [
      [3, 3],
      [Number.NaN, 1],
      [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
    ] as [number, number][]) {
      expect(Number.isFinite(linearScale(d, [0, 1])(d[1]))).toBe(true);
    }
  });

  it('path thinning keeps each pixel column’s first, extreme and last points in order', () => {
    const pts: [number, number][] = [
      [0.1, 5],
      [0.2, 9],
      [0.3, 1],
      [0.4, 4],
      [0.5, 3],
      [1.2, 7],
      [1.9, 7],
    ];
    expect(decimatePath(pts)).toEqual([
      [0.1, 5],
      [0.2, 9],
      [0.3, 1],
      [0.5, 3],
      [1.2, 7],
      [1.9, 7],
    ]);
  });
});
