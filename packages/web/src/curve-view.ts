import {
  type AccuracyTable,
  type CurveMark,
  type GammaCurve,
  type GammaCurveLayout,
  gammaCurveLayout,
  gammaCurveSvg,
} from '@ftcal/core';

const SVG = 'http://www.w3.org/2000/svg';
type Frame = GammaCurveLayout['seenUnseen']['frame'];
type Panel = 'seen-unseen' | 'overall';

function svgElement<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** value in [lo, hi] onto [a, b], clamped to the edge as core's plots draw outliers. */
function toPixel(value: number, [lo, hi]: readonly [number, number], a: number, b: number): number {
  const t = Math.min(1, Math.max(0, (value - lo) / (hi - lo)));
  return a + t * (b - a);
}

const inside = (f: Frame, x: number, y: number, margin = 12) =>
  x >= f.x - margin && x <= f.x + f.width + margin && y >= f.y - margin && y <= f.y + f.height + margin;

/**
 * The γ curve as core's report draws it (gammaCurveSvg), with the current operating point laid over it:
 * a ring on the seen/absent curve and a line at γ in the overall panel. Dragging on the overall panel
 * sets γ along its axis; dragging on the seen/absent panel picks the nearest curve point's γ.
 */
export class CurveView {
  private layout!: GammaCurveLayout;
  private svg: SVGSVGElement | null = null;
  private readonly overlay = svgElement('g', { class: 'current', 'pointer-events': 'none' });
  private readonly ring = svgElement('circle', { r: 7, fill: 'none', stroke: '#000', 'stroke-width': 2.5 });
  private readonly line = svgElement('line', { stroke: '#000', 'stroke-width': 2 });
  private readonly dot = svgElement('circle', { r: 5, fill: '#000' });
  private dragging: Panel | null = null;
  private curve!: GammaCurve;

  constructor(
    private readonly container: HTMLElement,
    private readonly onPick: (gamma: number) => void,
  ) {
    this.overlay.append(this.line, this.dot, this.ring);
    container.addEventListener('pointerdown', (e) => this.pointer(e, 'down'));
    container.addEventListener('pointermove', (e) => this.pointer(e, 'move'));
    const stop = () => {
      this.dragging = null;
    };
    container.addEventListener('pointerup', stop);
    container.addEventListener('pointercancel', stop);
  }

  /** The γ range the overall panel spans: the slider's range too. */
  get gammaRange(): readonly [number, number] {
    return this.layout.overall!.gamma;
  }

  /** Draws `curve` with these operating points marked (γ = 0 and each method's pick). */
  draw(curve: GammaCurve, marks: readonly CurveMark[]): void {
    this.curve = curve;
    const plot = { points: this.curve.points, marks, ausuc: this.curve.ausuc, overallPanel: true };
    this.layout = gammaCurveLayout(plot);
    this.container.innerHTML = gammaCurveSvg(plot, 'page-gamma-curve');
    this.svg = this.container.querySelector('svg')!;
    this.svg.append(this.overlay);
  }

  /** Moves the overlay to the operating point at `gamma` with accuracy table `table`. */
  show(gamma: number, table: AccuracyTable): void {
    const { seenUnseen, overall } = this.layout;
    const f = seenUnseen.frame;
    const finite = Number.isFinite(table['S/Y']) && Number.isFinite(table['U/Y']);
    this.ring.setAttribute('visibility', finite ? 'visible' : 'hidden');
    if (finite) {
      this.ring.setAttribute('cx', String(toPixel(table['S/Y'], seenUnseen.seen, f.x, f.x + f.width)));
      this.ring.setAttribute('cy', String(toPixel(table['U/Y'], seenUnseen.unseen, f.y + f.height, f.y)));
    }
    const o = overall!.frame;
    const x = toPixel(gamma, overall!.gamma, o.x, o.x + o.width);
    for (const [k, v] of Object.entries({ x1: x, x2: x, y1: o.y, y2: o.y + o.height })) {
      this.line.setAttribute(k, String(v));
    }
    this.dot.setAttribute('cx', String(x));
    this.dot.setAttribute('cy', String(toPixel(table['Y/Y'], overall!.overall, o.y + o.height, o.y)));
  }

  private pointer(e: PointerEvent, kind: 'down' | 'move'): void {
    if (!this.svg || (kind === 'move' && this.dragging === null)) return;
    const m = this.svg.getScreenCTM();
    if (!m) return;
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    if (kind === 'down') {
      if (inside(this.layout.overall!.frame, p.x, p.y)) this.dragging = 'overall';
      else if (inside(this.layout.seenUnseen.frame, p.x, p.y)) this.dragging = 'seen-unseen';
      else return;
      this.container.setPointerCapture(e.pointerId);
      e.preventDefault();
    }
    this.onPick(this.dragging === 'overall' ? this.gammaAt(p.x) : this.nearestPoint(p.x, p.y));
  }

  private gammaAt(x: number): number {
    const { frame, gamma } = this.layout.overall!;
    const t = Math.min(1, Math.max(0, (x - frame.x) / frame.width));
    return gamma[0] + t * (gamma[1] - gamma[0]);
  }

  /** The γ of the curve point drawn nearest (x, y) in the seen/absent panel. */
  private nearestPoint(x: number, y: number): number {
    const f = this.layout.seenUnseen.frame;
    const seen = ((x - f.x) / f.width) * 100;
    const unseen = ((f.y + f.height - y) / f.height) * 100;
    let best = this.curve.points[0]!;
    let bestD = Number.POSITIVE_INFINITY;
    for (const q of this.curve.points) {
      const d = (q.seen - seen) ** 2 + (q.unseen - unseen) ** 2;
      if (d < bestD) {
        bestD = d;
        best = q;
      }
    }
    return best.gamma;
  }
}
