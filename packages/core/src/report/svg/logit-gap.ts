import { compactCount, logitValue } from '../format.ts';
import type { LogitGapPlot } from '../types.ts';
import { axes, el, type Frame, line, rect, svgDocument, text } from './draw.ts';
import { type Histogram, histogram } from './histogram.ts';
import { markStyle } from './marks.ts';
import { OKABE_ITO } from './palette.ts';
import { linearScale, quantileRange, sortedFinite } from './scale.ts';

const LEFT = 70;
const PLOT_W = 640;
const PANEL_H = 150;
const PANEL_GAP = 34;
const TITLE_H = 30;
const LABEL_LINE = 14;

/**
 * Histograms of the per-row threshold t = maxSO − maxU, one panel per label group, with vertical lines
 * at chosen γ values. A row is predicted absent iff γ > t, so everything left of a line goes to U:
 * the S panel's mass left of a line is seen accuracy given away, the U panel's is absent accuracy won.
 */
export function logitGapSvg(plot: LogitGapPlot, id = 'logit-gap'): string {
  const { seen, unseen } = plot.thresholds;
  const markers = plot.markers.map((m, index) => ({ ...m, index })).filter((m) => Number.isFinite(m.gamma));
  const { sorted, total } = sortedFinite(seen, unseen);
  const extent = quantileRange(sorted);
  const lo0 = Math.min(extent?.[0] ?? -1, ...markers.map((m) => m.gamma));
  const hi0 = Math.max(extent?.[1] ?? 1, ...markers.map((m) => m.gamma));
  const pad = (hi0 - lo0) * 0.02 || 1;
  const [lo, hi] = [lo0 - pad, hi0 + pad];
  const bins = Math.min(60, Math.max(10, Math.ceil(2 * Math.cbrt(total))));
  const hs = histogram(seen, lo, hi, bins);
  const hu = histogram(unseen, lo, hi, bins);

  const labelLines = markerLabelLines(markers, lo, hi);
  const top = TITLE_H + 34 + labelLines.lines * LABEL_LINE;
  const xs = linearScale([lo, hi], [LEFT, LEFT + PLOT_W]);
  const upper: Frame = { x: LEFT, y: top, width: PLOT_W, height: PANEL_H };
  const lower: Frame = { x: LEFT, y: top + PANEL_H + PANEL_GAP, width: PLOT_W, height: PANEL_H };
  const width = LEFT + PLOT_W + 30;
  const height = lower.y + PANEL_H + 52;

  const parts = [
    text(LEFT, 24, 'Logit gap t = max over S∪O − max over U, by label group', { class: 'title' }),
    panel(upper, xs, hs, 'Rows labelled in S (seen)', OKABE_ITO.blue, true),
    panel(lower, xs, hu, 'Rows labelled in U (absent)', OKABE_ITO.orange, false),
  ];
  for (const m of markers) {
    const { colour } = markStyle(m.index);
    const x = xs(m.gamma);
    const ly = TITLE_H + 12 + labelLines.lineOf.get(m.index)! * LABEL_LINE;
    parts.push(
      line(x, ly + 3, x, lower.y + PANEL_H, {
        stroke: colour,
        'stroke-width': 1.5,
        'stroke-dasharray': '5 3',
      }),
      text(x, ly, `${m.label} γ=${logitValue(m.gamma)}`, {
        'text-anchor': 'middle',
        class: 'mark-label',
        stroke: '#ffffff',
        'stroke-width': 3,
        'paint-order': 'stroke',
      }),
    );
  }
  const skipped = plot.markers.filter((m) => !Number.isFinite(m.gamma)).map((m) => m.label);
  const desc =
    `Histograms (${bins} equal-width bins over ${logitValue(lo)} to ${logitValue(hi)} logit units) of the ` +
    `per-row threshold t = maxSO − maxU for ${seen.length} rows labelled in S and ${unseen.length} labelled ` +
    'in U. A row is predicted absent iff γ > t. ' +
    `${outside('S', hs)} ${outside('U', hu)}` +
    (markers.length > 0
      ? ` Lines at ${markers.map((m) => `${m.label} γ=${logitValue(m.gamma)}`).join(', ')}.`
      : '') +
    (skipped.length > 0 ? ` Not drawn (γ not finite): ${skipped.join(', ')}.` : '');
  return svgDocument({
    id,
    width,
    height,
    title: 'Logit-gap histogram by label group',
    desc,
    body: parts.join(''),
  });
}

function panel(
  frame: Frame,
  xs: ReturnType<typeof linearScale>,
  h: Histogram,
  label: string,
  colour: string,
  hideX: boolean,
): string {
  const max = Math.max(1, ...h.counts);
  const ys = linearScale([0, max], [frame.y + frame.height, frame.y + 6]);
  const parts = [
    axes(frame, xs, ys, {
      xLabel: 'Threshold t (logit units); a row goes to U when γ > t',
      yLabel: 'Rows per bin',
      yTicks: 4,
      hideX,
    }),
  ];
  const bw = (h.hi - h.lo) / h.counts.length;
  h.counts.forEach((c, i) => {
    if (c === 0) return;
    const x0 = xs(h.lo + i * bw);
    const x1 = xs(h.lo + (i + 1) * bw);
    parts.push(
      rect(x0, ys(c), Math.max(0.5, x1 - x0 - 0.5), frame.y + frame.height - ys(c), {
        class: 'bar',
        fill: colour,
      }),
    );
  });
  const total = h.counts.reduce((a, b) => a + b, 0) + h.below + h.above + h.nan;
  parts.push(
    text(frame.x, frame.y - 6, `${label}: ${compactCount(total)} rows`, {
      class: 'label',
      'font-weight': 600,
      stroke: '#ffffff',
      'stroke-width': 3,
      'paint-order': 'stroke',
    }),
  );
  const notes: string[] = [];
  if (h.below > 0)
    notes.push(
      `← ${compactCount(h.below)} left of axis${h.negInf ? ` (${compactCount(h.negInf)} at −∞)` : ''}`,
    );
  if (h.above > 0)
    notes.push(
      `${compactCount(h.above)} right of axis${h.posInf ? ` (${compactCount(h.posInf)} at +∞)` : ''} →`,
    );
  if (h.nan > 0) notes.push(`${compactCount(h.nan)} NaN`);
  if (notes.length > 0) {
    parts.push(
      text(frame.x + frame.width, frame.y - 6, notes.join(' · '), {
        class: 'note',
        'text-anchor': 'end',
      }),
    );
  }
  if (total === 0)
    parts.push(
      text(frame.x + frame.width / 2, frame.y + frame.height / 2, 'no rows', {
        class: 'note',
        'text-anchor': 'middle',
      }),
    );
  return el('g', { class: 'panel histogram' }, parts.join(''));
}

function outside(group: string, h: Histogram): string {
  return (
    `${group}: ${h.below} left of the axis (${h.negInf} at −∞), ${h.above} right (${h.posInf} at +∞)` +
    `${h.nan ? `, ${h.nan} NaN` : ''}.`
  );
}

/** Stacks marker labels on as many lines as needed so neighbouring ones never overprint. */
function markerLabelLines(
  markers: readonly { label: string; gamma: number; index: number }[],
  lo: number,
  hi: number,
): { lines: number; lineOf: Map<number, number> } {
  const xs = linearScale([lo, hi], [LEFT, LEFT + PLOT_W]);
  const ends: number[] = [];
  const lineOf = new Map<number, number>();
  for (const m of [...markers].sort((a, b) => a.gamma - b.gamma)) {
    const half = ((m.label.length + 4 + logitValue(m.gamma).length) * 6.5) / 2;
    const x = xs(m.gamma);
    let lineIndex = ends.findIndex((end) => end < x - half);
    if (lineIndex < 0) {
      lineIndex = ends.length;
      ends.push(0);
    }
    ends[lineIndex] = x + half + 4;
    lineOf.set(m.index, lineIndex);
  }
  return { lines: Math.max(1, ends.length), lineOf };
}
