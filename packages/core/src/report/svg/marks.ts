import { el, type Frame, symbol, text } from './draw.ts';
import { MARK_COLOURS, MARK_SHAPES, type MarkShape } from './palette.ts';

/** Colour and shape of the i-th mark, the same in every panel and legend of a plot. */
export function markStyle(index: number): { colour: string; shape: MarkShape } {
  return {
    colour: MARK_COLOURS[index % MARK_COLOURS.length]!,
    shape: MARK_SHAPES[index % MARK_SHAPES.length]!,
  };
}

interface PlacedMark {
  x: number;
  y: number;
  index: number;
  label: string;
}

const LABEL_GAP = 13;

/**
 * Symbols plus text labels for marks inside a frame. Marks on the same pixel share one label
 * ("oracle = hmean"); labels are pushed apart vertically so they never overprint, and flip to the
 * left of their point near the frame's right edge.
 */
export function drawMarks(frame: Frame, marks: readonly PlacedMark[]): string {
  const groups = new Map<string, PlacedMark[]>();
  for (const m of marks) {
    const key = `${Math.round(m.x)},${Math.round(m.y)}`;
    const g = groups.get(key);
    if (g) g.push(m);
    else groups.set(key, [m]);
  }
  const parts: string[] = [];
  for (const m of marks) {
    const { colour, shape } = markStyle(m.index);
    parts.push(symbol(shape, m.x, m.y, 5, colour));
  }
  const labels = [...groups.values()]
    .map((g) => ({
      x: g[0]!.x,
      y: g[0]!.y,
      ly: g[0]!.y,
      text: g.map((m) => m.label).join(' = '),
      index: g[0]!.index,
    }))
    .sort((a, b) => a.y - b.y);
  for (let i = 1; i < labels.length; i++) {
    const prev = labels[i - 1]!;
    const cur = labels[i]!;
    if (cur.ly - prev.ly < LABEL_GAP) cur.ly = prev.ly + LABEL_GAP;
  }
  // Pushing down can run past the frame's bottom: shift the whole stack back up if so.
  const overflow = labels.length > 0 ? labels[labels.length - 1]!.ly - (frame.y + frame.height - 4) : 0;
  if (overflow > 0) for (const l of labels) l.ly = Math.max(frame.y + 10, l.ly - overflow);
  for (const l of labels) {
    const right = l.x + 9 + l.text.length * 6.5 > frame.x + frame.width;
    const tx = right ? l.x - 9 : l.x + 9;
    if (Math.abs(l.ly - l.y) > 4) {
      parts.push(
        el('line', { x1: l.x, y1: l.y, x2: tx, y2: l.ly - 4, stroke: '#999999', 'stroke-width': 0.75 }),
      );
    }
    parts.push(
      text(tx, l.ly, l.text, {
        class: 'mark-label',
        'text-anchor': right ? 'end' : 'start',
        stroke: '#ffffff',
        'stroke-width': 3,
        'paint-order': 'stroke',
      }),
    );
  }
  return el('g', { class: 'marks' }, parts.join(''));
}
