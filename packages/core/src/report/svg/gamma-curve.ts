import { fixed, logitValue } from '../format.ts';
import type { CurveMark, CurvePoint, GammaCurvePlot, GammaInterval } from '../types.ts';
import { axes, el, type Frame, line, polyline, rect, svgDocument, symbol, text } from './draw.ts';
import { drawMarks, markStyle } from './marks.ts';
import { OKABE_ITO } from './palette.ts';
import { PathThinner } from './path-decimate.ts';
import { linearScale, quantileRange, sortedFinite } from './scale.ts';

const PANEL = 320;
const LEFT = 70;
const TOP = 52;
const GUTTER = 100;

const finiteNumber = Number.isFinite as (v: unknown) => v is number;

/** The intervals a plot can draw: both ends finite. */
function drawnIntervals(plot: GammaCurvePlot): GammaInterval[] {
  return (plot.intervals ?? []).filter((i) => finiteNumber(i.gamma[0]) && finiteNumber(i.gamma[1]));
}

/** Where a γ-curve plot's panels sit (SVG user units) and the value ranges their axes span. */
export interface GammaCurveLayout {
  width: number;
  height: number;
  /** U/Y (y) against S/Y (x), both 0–100 %. */
  seenUnseen: { frame: Frame; seen: readonly [number, number]; unseen: readonly [number, number] };
  /** Y/Y (%) against γ; null without the overall panel. Values beyond the ranges are drawn at the edge. */
  overall: { frame: Frame; gamma: readonly [number, number]; overall: readonly [number, number] } | null;
}

/**
 * The geometry `gammaCurveSvg` draws with, for a page that overlays the plot (a live operating point,
 * a γ picked by pointer): the γ range covers the curve's points (the outer 0.5% of them left out, so a
 * few extreme thresholds do not squash the rest), every mark and every γ interval.
 */
export function gammaCurveLayout(plot: GammaCurvePlot): GammaCurveLayout {
  const withOverall = plot.overallPanel ?? true;
  const intervals = drawnIntervals(plot);
  const legendRows = Math.ceil(plot.marks.length / 3) + intervals.length;
  const width = withOverall ? LEFT + PANEL + GUTTER + PANEL + 30 : LEFT + PANEL + 40;
  const height = TOP + PANEL + 50 + (legendRows > 0 ? 12 + legendRows * 18 : 0);
  const seenUnseen = {
    frame: { x: LEFT, y: TOP, width: PANEL, height: PANEL },
    seen: [0, 100],
    unseen: [0, 100],
  } as const;
  if (!withOverall) return { width, height, seenUnseen, overall: null };
  return {
    width,
    height,
    seenUnseen,
    overall: {
      frame: { x: LEFT + PANEL + GUTTER, y: TOP, width: PANEL, height: PANEL },
      ...overallRanges(plot.points, [
        ...plot.marks.map((m) => m.gamma),
        ...intervals.flatMap((i) => i.gamma),
      ]),
    },
  };
}

/**
 * The γ curve: absent (U/Y) against seen (S/Y) accuracy, the shaded area being AUSUC, with the chosen
 * operating points marked; optionally a second panel of overall accuracy (Y/Y) against γ.
 */
export function gammaCurveSvg(plot: GammaCurvePlot, id = 'gamma-curve'): string {
  const layout = gammaCurveLayout(plot);
  const intervals = drawnIntervals(plot);
  let unusable = 0;
  for (const p of plot.points) if (!(finiteNumber(p.seen) && finiteNumber(p.unseen))) unusable++;
  const ausuc = fixed(plot.ausuc, 4);

  const parts: string[] = [
    text(LEFT, 24, `γ curve: seen vs absent-class accuracy (AUSUC ${ausuc})`, { class: 'title' }),
    seenUnseenPanel(layout.seenUnseen.frame, plot.points, plot.marks, intervals),
  ];
  if (layout.overall) parts.push(overallPanel(layout.overall, plot.points, plot.marks, intervals));
  parts.push(legend(LEFT, TOP + PANEL + 62, layout.width - LEFT, plot.marks, intervals));

  const described = plot.marks.map(
    (m) =>
      `${m.label}: γ ${logitValue(m.gamma)}, seen ${fixed(m.seen, 2)}%, absent ${fixed(m.unseen, 2)}%` +
      (m.overall !== undefined ? `, overall ${fixed(m.overall, 2)}%` : ''),
  );
  const desc =
    `Absent-class accuracy U/Y against seen-class accuracy S/Y, in percent, along the exact γ curve ` +
    `(${plot.points.length} points${unusable > 0 ? `, ${unusable} without finite accuracies left out` : ''}); ` +
    `the shaded area is AUSUC = ${ausuc}.` +
    (layout.overall ? ' Second panel: overall accuracy Y/Y against γ.' : '') +
    (described.length > 0 ? ` Operating points: ${described.join('; ')}.` : '') +
    intervals.map((i) => ` ${intervalText(i)}.`).join('');
  return svgDocument({
    id,
    width: layout.width,
    height: layout.height,
    title: `γ curve, AUSUC ${ausuc}`,
    desc,
    body: parts.join(''),
  });
}

function intervalText(i: GammaInterval): string {
  return `${i.label} γ, ${Math.round(i.level * 100)}% bootstrap interval: ${logitValue(i.gamma[0])} to ${logitValue(i.gamma[1])}`;
}

/** The colour of the mark an interval belongs to (same label), else the first mark colour. */
function intervalColour(i: GammaInterval, marks: readonly CurveMark[]): string {
  const index = marks.findIndex((m) => m.label === i.label);
  return markStyle(Math.max(index, 0)).colour;
}

function seenUnseenPanel(
  frame: Frame,
  points: readonly CurvePoint[],
  marks: readonly CurveMark[],
  intervals: readonly GammaInterval[],
): string {
  const xs = linearScale([0, 100], [frame.x, frame.x + frame.width]);
  const ys = linearScale([0, 100], [frame.y + frame.height, frame.y]);
  const parts = [
    axes(frame, xs, ys, { xLabel: 'Seen-class accuracy S/Y (%)', yLabel: 'Absent-class accuracy U/Y (%)' }),
  ];
  const thinner = new PathThinner();
  for (const p of points)
    if (finiteNumber(p.seen) && finiteNumber(p.unseen)) thinner.add(xs(p.seen), ys(p.unseen));
  const path = thinner.points();
  if (path.length === 0) {
    parts.push(noData(frame, 'no curve points with finite accuracies'));
  } else {
    const floor = ys(0);
    const first = path[0]!;
    const last = path[path.length - 1]!;
    // The trapezoid sum runs down to U/Y = 0 at both ends: that polygon is exactly the AUSUC area.
    parts.push(
      el('path', {
        class: 'ausuc-area',
        d: `${polyline([...path, [last[0], floor], [first[0], floor]])}Z`,
        fill: OKABE_ITO.skyBlue,
        'fill-opacity': 0.18,
        stroke: 'none',
      }),
      el('path', {
        class: 'curve',
        d: polyline(path),
        fill: 'none',
        stroke: OKABE_ITO.blue,
        'stroke-width': 2,
        'stroke-linejoin': 'round',
      }),
    );
  }
  // The stretch of curve whose γ lies in each interval, under the marks.
  for (const i of intervals) {
    const lo = Math.min(i.gamma[0], i.gamma[1]);
    const hi = Math.max(i.gamma[0], i.gamma[1]);
    const stretch = new PathThinner();
    for (const p of points) {
      if (p.gamma >= lo && p.gamma <= hi && finiteNumber(p.seen) && finiteNumber(p.unseen)) {
        stretch.add(xs(p.seen), ys(p.unseen));
      }
    }
    const path = stretch.points();
    if (path.length > 0) {
      parts.push(
        el('path', {
          class: 'gamma-interval-curve',
          // One point alone still shows: a zero-length segment with round caps.
          d: path.length === 1 ? `${polyline(path)}l0.01,0` : polyline(path),
          fill: 'none',
          stroke: intervalColour(i, marks),
          'stroke-opacity': 0.35,
          'stroke-width': 8,
          'stroke-linecap': 'round',
          'stroke-linejoin': 'round',
        }),
      );
    }
  }
  const placed = marks
    .map((m, index) => ({ m, index }))
    .filter(({ m }) => finiteNumber(m.seen) && finiteNumber(m.unseen))
    .map(({ m, index }) => ({ x: xs(m.seen), y: ys(m.unseen), index, label: m.label }));
  parts.push(drawMarks(frame, placed));
  return el('g', { class: 'panel seen-unseen' }, parts.join(''));
}

const drawnOverall = (p: CurvePoint) => finiteNumber(p.gamma) && finiteNumber(p.overall);

function overallRanges(
  all: readonly CurvePoint[],
  extraGammas: readonly number[],
): { gamma: [number, number]; overall: [number, number] } {
  // Loops rather than filter/map/spread: the curve can have millions of points.
  const gammas = new Float64Array(all.length);
  let count = 0;
  for (const p of all) if (drawnOverall(p)) gammas[count++] = p.gamma;
  const markGammas = extraGammas.filter(finiteNumber);
  const extent = quantileRange(sortedFinite(gammas.subarray(0, count)).sorted);
  const lo = Math.min(extent?.[0] ?? 0, ...markGammas);
  const hi = Math.max(extent?.[1] ?? 1, ...markGammas);
  const pad = (hi - lo) * 0.03 || 1;
  let min = 100;
  let max = 0;
  for (const p of all) {
    if (!drawnOverall(p)) continue;
    if (p.overall < min) min = p.overall;
    if (p.overall > max) max = p.overall;
  }
  const yLo = Math.max(0, Math.floor(min / 5) * 5 - 5);
  const yHi = Math.min(100, Math.ceil(max / 5) * 5 + 5);
  return { gamma: [lo - pad, hi + pad], overall: [yLo, yHi] };
}

function overallPanel(
  panel: NonNullable<GammaCurveLayout['overall']>,
  all: readonly CurvePoint[],
  marks: readonly CurveMark[],
  intervals: readonly GammaInterval[],
): string {
  const { frame } = panel;
  const xs = linearScale(panel.gamma, [frame.x, frame.x + frame.width]);
  const ys = linearScale(panel.overall, [frame.y + frame.height, frame.y]);
  const parts = [
    axes(frame, xs, ys, {
      xLabel: 'γ, bias on absent-class logits (logit units)',
      yLabel: 'Overall accuracy Y/Y (%)',
    }),
  ];
  for (const i of intervals) {
    const x0 = xs(Math.min(i.gamma[0], i.gamma[1]));
    const x1 = xs(Math.max(i.gamma[0], i.gamma[1]));
    parts.push(
      rect(x0, frame.y, Math.max(1, x1 - x0), frame.height, {
        class: 'gamma-interval',
        fill: intervalColour(i, marks),
        'fill-opacity': 0.15,
      }),
    );
  }
  marks.forEach((m, index) => {
    if (!finiteNumber(m.gamma)) return;
    const { colour, shape } = markStyle(index);
    const x = xs(m.gamma);
    parts.push(
      line(x, frame.y, x, frame.y + frame.height, {
        stroke: colour,
        'stroke-dasharray': '4 3',
        'stroke-width': 1.25,
      }),
    );
    if (m.overall !== undefined && finiteNumber(m.overall))
      parts.push(symbol(shape, x, ys(m.overall), 5, colour));
  });
  // Accuracy is constant between thresholds: a step drawn halfway between neighbouring curve points.
  const steps = new PathThinner();
  let previous: CurvePoint | null = null;
  let x0 = frame.x;
  for (const p of all) {
    if (!drawnOverall(p)) continue;
    if (previous) {
      const mid = xs((previous.gamma + p.gamma) / 2);
      steps.add(mid, ys(previous.overall));
      x0 = mid;
    }
    steps.add(x0, ys(p.overall));
    previous = p;
  }
  if (previous === null) {
    parts.push(noData(frame, 'no curve points with finite γ'));
  } else {
    steps.add(frame.x + frame.width, ys(previous.overall));
    parts.push(
      el('path', {
        class: 'overall-curve',
        d: polyline(steps.points()),
        fill: 'none',
        stroke: OKABE_ITO.blue,
        'stroke-width': 2,
        'stroke-linejoin': 'round',
      }),
    );
  }
  return el('g', { class: 'panel overall' }, parts.join(''));
}

function legend(
  x: number,
  y: number,
  width: number,
  marks: readonly CurveMark[],
  intervals: readonly GammaInterval[],
): string {
  const col = width / 3;
  const below = y + Math.ceil(marks.length / 3) * 18;
  const parts = marks.map((m, index) => {
    const { colour, shape } = markStyle(index);
    const cx = x + (index % 3) * col;
    const cy = y + Math.floor(index / 3) * 18;
    const onCurve = finiteNumber(m.seen) && finiteNumber(m.unseen);
    return (
      symbol(shape, cx + 6, cy - 4, 5, colour) +
      text(cx + 16, cy, `${m.label}: γ = ${logitValue(m.gamma)}${onCurve ? '' : ' (no finite accuracy)'}`, {
        class: 'tick',
      })
    );
  });
  intervals.forEach((i, k) => {
    const cy = below + k * 18;
    parts.push(
      rect(x, cy - 10, 12, 10, { fill: intervalColour(i, marks), 'fill-opacity': 0.3 }) +
        text(x + 16, cy, intervalText(i), { class: 'tick' }),
    );
  });
  return el('g', { class: 'legend' }, parts.join(''));
}

export function noData(frame: Frame, message: string): string {
  return text(frame.x + frame.width / 2, frame.y + frame.height / 2, message, {
    'text-anchor': 'middle',
    class: 'note',
  });
}
