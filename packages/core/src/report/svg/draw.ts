import { escapeXml } from '../escape.ts';
import { AXIS, GRID, INK, type MarkShape } from './palette.ts';
import type { LinearScale } from './scale.ts';
import { tickLabel } from './scale.ts';

/**
 * SVG markup builders. Every coordinate passes through `px`, which refuses NaN and ±Infinity: the plots
 * filter bad inputs before drawing, and a number that slips through is a bug to surface in tests, not
 * an invisible path in a user's report.
 */

export function px(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`report svg: non-finite coordinate ${value}`);
  const rounded = Math.round(value * 100) / 100;
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

type Attrs = Record<string, string | number | undefined>;

function attrs(a: Attrs | undefined): string {
  if (!a) return '';
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    out += ` ${k}="${typeof v === 'number' ? px(v) : escapeXml(v)}"`;
  }
  return out;
}

export function el(name: string, a?: Attrs, children?: string): string {
  return children === undefined ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${children}</${name}>`;
}

export function text(x: number, y: number, content: string, a?: Attrs): string {
  return el('text', { x, y, ...a }, escapeXml(content));
}

export function line(x1: number, y1: number, x2: number, y2: number, a?: Attrs): string {
  return el('line', { x1, y1, x2, y2, ...a });
}

export function rect(x: number, y: number, width: number, height: number, a?: Attrs): string {
  return el('rect', { x, y, width: Math.max(0, width), height: Math.max(0, height), ...a });
}

/** Path data through the points in order ("M x,y L x,y …"); empty when there are none. */
export function polyline(points: readonly (readonly [number, number])[]): string {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(x)},${px(y)}`).join('');
}

export interface Frame {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface AxesOptions {
  xLabel: string;
  yLabel: string;
  xTicks?: number;
  yTicks?: number;
  /** Omit the x tick labels and axis title (a panel stacked above another sharing its x axis). */
  hideX?: boolean;
}

/** Grid, axis lines, tick labels and axis titles for one plotting frame. */
export function axes(frame: Frame, xs: LinearScale, ys: LinearScale, options: AxesOptions): string {
  const { x, y, width, height } = frame;
  const bottom = y + height;
  const xt = xs.ticks(options.xTicks ?? 6);
  const yt = ys.ticks(options.yTicks ?? 5);
  const parts: string[] = [];
  for (const t of yt) {
    const ty = ys(t);
    parts.push(line(x, ty, x + width, ty, { stroke: GRID }));
    parts.push(text(x - 6, ty + 4, tickLabel(t, yt), { 'text-anchor': 'end', class: 'tick' }));
  }
  for (const t of xt) {
    const tx = xs(t);
    parts.push(line(tx, y, tx, bottom, { stroke: GRID }));
    parts.push(line(tx, bottom, tx, bottom + 4, { stroke: AXIS }));
    if (!options.hideX) {
      parts.push(text(tx, bottom + 16, tickLabel(t, xt), { 'text-anchor': 'middle', class: 'tick' }));
    }
  }
  parts.push(rect(x, y, width, height, { fill: 'none', stroke: AXIS }));
  if (!options.hideX) {
    parts.push(text(x + width / 2, bottom + 34, options.xLabel, { 'text-anchor': 'middle', class: 'label' }));
  }
  const ly = y + height / 2;
  parts.push(
    text(x - 44, ly, options.yLabel, {
      'text-anchor': 'middle',
      class: 'label',
      transform: `rotate(-90 ${px(x - 44)} ${px(ly)})`,
    }),
  );
  return el('g', { class: 'axes' }, parts.join(''));
}

/** A mark symbol centred on (x, y); shapes differ so marks read apart without colour. */
export function symbol(shape: MarkShape, x: number, y: number, r: number, colour: string): string {
  const style = { fill: colour, stroke: '#ffffff', 'stroke-width': 1 };
  const poly = (pts: [number, number][]) => el('path', { d: `${polyline(pts)}Z`, ...style });
  switch (shape) {
    case 'circle':
      return el('circle', { cx: x, cy: y, r, ...style });
    case 'square':
      return rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7, style);
    case 'diamond':
      return poly([
        [x, y - r * 1.2],
        [x + r * 1.2, y],
        [x, y + r * 1.2],
        [x - r * 1.2, y],
      ]);
    case 'triangle':
      return poly([
        [x, y - r * 1.2],
        [x + r * 1.1, y + r * 0.8],
        [x - r * 1.1, y + r * 0.8],
      ]);
    case 'triangle-down':
      return poly([
        [x, y + r * 1.2],
        [x + r * 1.1, y - r * 0.8],
        [x - r * 1.1, y - r * 0.8],
      ]);
    case 'cross': {
      const a = r * 0.4;
      const b = r * 1.1;
      return poly([
        [x - a, y - b],
        [x + a, y - b],
        [x + a, y - a],
        [x + b, y - a],
        [x + b, y + a],
        [x + a, y + a],
        [x + a, y + b],
        [x - a, y + b],
        [x - a, y + a],
        [x - b, y + a],
        [x - b, y - a],
        [x - a, y - a],
      ]);
    }
    case 'star': {
      const pts: [number, number][] = [];
      for (let i = 0; i < 10; i++) {
        const rr = i % 2 === 0 ? r * 1.3 : r * 0.55;
        const a = -Math.PI / 2 + (i * Math.PI) / 5;
        pts.push([x + rr * Math.cos(a), y + rr * Math.sin(a)]);
      }
      return poly(pts);
    }
  }
}

interface SvgDocument {
  /** Prefix for element ids: several plots share one HTML page, so ids must not collide. */
  id: string;
  width: number;
  height: number;
  title: string;
  desc: string;
  body: string;
}

/**
 * Styles scoped by the document id: a <style> inside inline SVG applies to the whole HTML page, so
 * unscoped class rules would leak into it and into the other plots.
 */
function style(id: string): string {
  const s = `#${id}`;
  return (
    `${s} text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;fill:${INK}}` +
    `${s} .tick{font-size:11px}${s} .label{font-size:12px}${s} .title{font-size:14px;font-weight:600}` +
    `${s} .note{font-size:11px;fill:#555}${s} .mark-label{font-size:11px;font-weight:600}`
  );
}

/**
 * A standalone SVG document (also valid inline in HTML): accessible name and description through
 * <title>/<desc> referenced by aria-labelledby, and a white background so it reads on dark viewers.
 */
export function svgDocument(doc: SvgDocument): string {
  const titleId = `${doc.id}-title`;
  const descId = `${doc.id}-desc`;
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      id: doc.id,
      width: doc.width,
      height: doc.height,
      viewBox: `0 0 ${px(doc.width)} ${px(doc.height)}`,
      role: 'img',
      'aria-labelledby': `${titleId} ${descId}`,
    },
    el('title', { id: titleId }, escapeXml(doc.title)) +
      el('desc', { id: descId }, escapeXml(doc.desc)) +
      el('style', undefined, style(doc.id)) +
      rect(0, 0, doc.width, doc.height, { fill: '#ffffff' }) +
      doc.body,
  );
}
