import { fixed, logitValue } from '../format.ts';
import type { CurveMark, CurvePoint, GammaCurvePlot } from '../types.ts';
import { axes, el, type Frame, line, polyline, svgDocument, symbol, text } from './draw.ts';
import { drawMarks, markStyle } from './marks.ts';
import { OKABE_ITO } from './palette.ts';
import { PathThinner } from './path-decimate.ts';
import { linearScale, quantileRange, sortedFinite } from './scale.ts';

const PANEL = 320;
const LEFT = 70;
const TOP = 52;
const GUTTER = 100;

const finiteNumber = Number.isFinite as (v: unknown) => v is number;

/**
 * The γ curve: absent (U/Y) against seen (S/Y) accuracy, the shaded area being AUSUC, with the chosen
 * operating points marked; optionally a second panel of overall accuracy (Y/Y) against γ.
 */
export function gammaCurveSvg(plot: GammaCurvePlot, id = 'gamma-curve'): string {
  const withOverall = plot.overallPanel ?? true;
  let unusable = 0;
  for (const p of plot.points) if (!(finiteNumber(p.seen) && finiteNumber(p.unseen))) unusable++;
  const legendRows = Math.ceil(plot.marks.length / 3);
  const width = withOverall ? LEFT + PANEL + GUTTER + PANEL + 30 : LEFT + PANEL + 40;
  const height = TOP + PANEL + 50 + (legendRows > 0 ? 12 + legendRows * 18 : 0);
  const left: Frame = { x: LEFT, y: TOP, width: PANEL, height: PANEL };
  const ausuc = fixed(plot.ausuc, 4);

  const parts: string[] = [
    text(LEFT, 24, `γ curve: seen vs absent-class accuracy (AUSUC ${ausuc})`, { class: 'title' }),
    seenUnseenPanel(left, plot.points, plot.marks),
  ];
  if (withOverall) {
    const right: Frame = { x: LEFT + PANEL + GUTTER, y: TOP, width: PANEL, height: PANEL };
    parts.push(overallPanel(right, plot.points, plot.marks));
  }
  parts.push(legend(LEFT, TOP + PANEL + 62, width - LEFT, plot.marks));

  const described = plot.marks.map(
    (m) =>
      `${m.label}: γ ${logitValue(m.gamma)}, seen ${fixed(m.seen, 2)}%, absent ${fixed(m.unseen, 2)}%` +
      (m.overall !== undefined ? `, overall ${fixed(m.overall, 2)}%` : ''),
  );
  const desc =
    `Absent-class accuracy U/Y against seen-class accuracy S/Y, in percent, along the exact γ curve ` +
    `(${plot.points.length} points${unusable > 0 ? `, ${unusable} without finite accuracies left out` : ''}); ` +
    `the shaded area is AUSUC = ${ausuc}.` +
    (withOverall ? ' Second panel: overall accuracy Y/Y against γ.' : '') +
    (described.length > 0 ? ` Operating points: ${described.join('; ')}.` : '');
  return svgDocument({ id, width, height, title: `γ curve, AUSUC ${ausuc}`, desc, body: parts.join('') });
}

function seenUnseenPanel(frame: Frame, points: readonly CurvePoint[], marks: readonly CurveMark[]): string {
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
  const placed = marks
    .map((m, index) => ({ m, index }))
    .filter(({ m }) => finiteNumber(m.seen) && finiteNumber(m.unseen))
    .map(({ m, index }) => ({ x: xs(m.seen), y: ys(m.unseen), index, label: m.label }));
  parts.push(drawMarks(frame, placed));
  return el('g', { class: 'panel seen-unseen' }, parts.join(''));
}

function overallPanel(frame: Frame, all: readonly CurvePoint[], marks: readonly CurveMark[]): string {
  // Loops rather than filter/map/spread: the curve can have millions of points.
  const drawn = (p: CurvePoint) => finiteNumber(p.gamma) && finiteNumber(p.overall);
  const gammas = new Float64Array(all.length);
  let count = 0;
  for (const p of all) if (drawn(p)) gammas[count++] = p.gamma;
  const markGammas = marks.map((m) => m.gamma).filter(finiteNumber);
  const extent = quantileRange(sortedFinite(gammas.subarray(0, count)).sorted);
  const lo = Math.min(extent?.[0] ?? 0, ...markGammas);
  const hi = Math.max(extent?.[1] ?? 1, ...markGammas);
  const pad = (hi - lo) * 0.03 || 1;
  const xs = linearScale([lo - pad, hi + pad], [frame.x, frame.x + frame.width]);
  let min = 100;
  let max = 0;
  for (const p of all) {
    if (!drawn(p)) continue;
    if (p.overall < min) min = p.overall;
    if (p.overall > max) max = p.overall;
  }
  const yLo = Math.max(0, Math.floor(min / 5) * 5 - 5);
  const yHi = Math.min(100, Math.ceil(max / 5) * 5 + 5);
  const ys = linearScale([yLo, yHi], [frame.y + frame.height, frame.y]);
  const parts = [
    axes(frame, xs, ys, {
      xLabel: 'γ, bias on absent-class logits (logit units)',
      yLabel: 'Overall accuracy Y/Y (%)',
    }),
  ];
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
  if (count === 0) {
    parts.push(noData(frame, 'no curve points with finite γ'));
  } else {
    // Accuracy is constant between thresholds: a step drawn halfway between neighbouring curve points.
    const steps = new PathThinner();
    let previous: CurvePoint | null = null;
    let x0 = frame.x;
    for (const p of all) {
      if (!drawn(p)) continue;
      if (previous) {
        const mid = xs((previous.gamma + p.gamma) / 2);
        steps.add(mid, ys(previous.overall));
        x0 = mid;
      }
      steps.add(x0, ys(p.overall));
      previous = p;
    }
    steps.add(frame.x + frame.width, ys(previous!.overall));
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

function legend(x: number, y: number, width: number, marks: readonly CurveMark[]): string {
  const col = width / 3;
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
  return el('g', { class: 'legend' }, parts.join(''));
}

export function noData(frame: Frame, message: string): string {
  return text(frame.x + frame.width / 2, frame.y + frame.height / 2, message, {
    'text-anchor': 'middle',
    class: 'note',
  });
}
