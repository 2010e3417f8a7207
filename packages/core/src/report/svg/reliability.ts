import { compactCount, fixed } from '../format.ts';
import type { ReliabilityBin, ReliabilityPanel } from '../types.ts';
import { axes, el, type Frame, line, px, rect, svgDocument, text } from './draw.ts';
import { noData } from './gamma-curve.ts';
import { OKABE_ITO } from './palette.ts';
import { linearScale } from './scale.ts';

const SIZE = 300;
const STRIP = 52;
const LEFT = 70;
const TOP = 64;
const GUTTER = 90;
/** Room between the diagram and the count strip for the count labels. */
const COUNT_ROW = 30;
/** Approximate width of one digit of a 9px count label, to tell whether labels fit their bars. */
const DIGIT_W = 5.4;
const MIN_BAR = 3;

function drawable(b: ReliabilityBin): boolean {
  return (
    Number.isFinite(b.lo) &&
    Number.isFinite(b.hi) &&
    b.hi >= b.lo &&
    Number.isFinite(b.count) &&
    b.count > 0 &&
    Number.isFinite(b.accuracy) &&
    Number.isFinite(b.meanConfidence)
  );
}

/**
 * Reliability diagrams side by side (before and after calibration): per-bin accuracy bars against the
 * diagonal, the gap to the bin's mean confidence shaded, and a strip of bin counts underneath.
 */
export function reliabilitySvg(panels: readonly ReliabilityPanel[], id = 'reliability'): string {
  const n = Math.max(1, panels.length);
  const width = LEFT + n * SIZE + (n - 1) * GUTTER + 30;
  const height = TOP + SIZE + COUNT_ROW + STRIP + 52;
  const parts = [text(LEFT, 24, 'Reliability diagram (top-label confidence)', { class: 'title' })];
  panels.forEach((panel, i) => {
    parts.push(drawPanel(LEFT + i * (SIZE + GUTTER), panel));
  });
  if (panels.length === 0)
    parts.push(noData({ x: LEFT, y: TOP, width: SIZE, height: SIZE }, 'no reliability data'));
  const eces = panels.map((p) => `${p.label} ECE ${fixed(p.ece, 4)}`).join(', ');
  const banded = panels.filter((p) => p.band);
  const bands = banded
    .map(
      (p) =>
        `${p.label}: ${Math.round(p.band!.level * 100)}% bootstrap band of each bin's accuracy over ${p.band!.replicates} replicates`,
    )
    .join('; ');
  const desc =
    'Per-bin accuracy (bars) against mean top-label confidence, both 0–1, with the diagonal of perfect ' +
    'calibration; the shaded band between a bar top and its confidence is the bin gap, and the strip ' +
    `below counts rows per bin. ${eces}.${bands ? ` ${bands} (the hatched span on each bar).` : ''}`;
  return svgDocument({
    id,
    width,
    height,
    title: `Reliability diagram: ${eces}`,
    desc,
    body: parts.join(''),
  });
}

function drawPanel(x: number, panel: ReliabilityPanel): string {
  const main: Frame = { x, y: TOP, width: SIZE, height: SIZE };
  const strip: Frame = { x, y: TOP + SIZE + COUNT_ROW, width: SIZE, height: STRIP };
  const xs = linearScale([0, 1], [x, x + SIZE]);
  const ys = linearScale([0, 1], [main.y + SIZE, main.y]);
  const bins = panel.bins.filter(drawable);
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const cs = linearScale([0, maxCount], [strip.y + STRIP, strip.y + 4]);
  const parts = [
    text(
      x,
      TOP - 12,
      `${panel.label}: ECE ${fixed(panel.ece, 4)}${panel.band ? `, ${Math.round(panel.band.level * 100)}% band` : ''}`,
      { class: 'label', 'font-weight': 600 },
    ),
    axes(main, xs, ys, { xLabel: '', yLabel: 'Accuracy (fraction, 0–1)', hideX: true }),
    axes(strip, xs, cs, {
      xLabel: 'Confidence (mean top-label probability, 0–1)',
      yLabel: 'Rows',
      yTicks: 2,
    }),
  ];
  const showCounts = bins.length <= 20;
  // Counts sit level over their bars when every label fits its bar, else all turn upright to read alike.
  const upright = bins.some((b) => compactCount(b.count).length * DIGIT_W > xs(b.hi) - xs(b.lo));
  for (const b of bins) {
    // Equal-mass bins can be a single confidence value wide: give them a visible minimum width.
    const w = Math.max(MIN_BAR, xs(b.hi) - xs(b.lo) - 2);
    const x0 = (xs(b.lo) + xs(b.hi)) / 2 - w / 2;
    const acc = ys(b.accuracy);
    const conf = ys(b.meanConfidence);
    parts.push(
      rect(x0, acc, w, main.y + SIZE - acc, {
        class: 'bar-accuracy',
        fill: OKABE_ITO.blue,
        'fill-opacity': 0.85,
      }),
      rect(x0, Math.min(acc, conf), w, Math.abs(acc - conf), {
        class: 'bar-gap',
        fill: OKABE_ITO.vermillion,
        'fill-opacity': 0.25,
        stroke: OKABE_ITO.vermillion,
        'stroke-width': 1,
      }),
      rect(x0, cs(b.count), w, strip.y + STRIP - cs(b.count), { class: 'bar-count', fill: '#888888' }),
    );
    const band = panel.band?.accuracy[panel.bins.indexOf(b)];
    if (band && Number.isFinite(band[0]) && Number.isFinite(band[1])) {
      const top = ys(Math.max(band[0], band[1]));
      const bottom = ys(Math.min(band[0], band[1]));
      parts.push(
        rect(x0 + w * 0.2, top, w * 0.6, Math.max(1, bottom - top), {
          class: 'accuracy-band',
          fill: OKABE_ITO.black,
          'fill-opacity': 0.3,
          stroke: OKABE_ITO.black,
          'stroke-width': 1,
        }),
      );
    }
    if (showCounts) {
      parts.push(
        upright
          ? text(x0 + w / 2 + 3, strip.y - 3, compactCount(b.count), {
              'font-size': 9,
              transform: `rotate(-90 ${px(x0 + w / 2 + 3)} ${px(strip.y - 3)})`,
            })
          : text(x0 + w / 2, strip.y - 5, compactCount(b.count), { 'text-anchor': 'middle', 'font-size': 9 }),
      );
    }
  }
  parts.push(
    line(xs(0), ys(0), xs(1), ys(1), { stroke: '#444444', 'stroke-dasharray': '5 4', 'stroke-width': 1.25 }),
  );
  if (bins.length === 0) parts.push(noData(main, 'no rows in any bin'));
  return el('g', { class: 'panel reliability' }, parts.join(''));
}
