/** Linear scales and "nice" ticks: the little of d3-scale the plots need, without the dependency. */

export interface LinearScale {
  (value: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  ticks(count: number): number[];
}

/**
 * Maps [d0, d1] onto [r0, r1], clamping outside values to the range so an outlier lands on the
 * plot's edge, never off it. A zero-width or non-finite domain is widened so the map stays finite.
 */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
): LinearScale {
  const [d0, d1] = safeDomain(domain[0], domain[1]);
  const [r0, r1] = range;
  const k = (r1 - r0) / (d1 - d0);
  const lo = Math.min(r0, r1);
  const hi = Math.max(r0, r1);
  const scale = (value: number) => {
    if (Number.isNaN(value)) return Number.NaN;
    const y = r0 + (value - d0) * k;
    return Math.min(hi, Math.max(lo, y));
  };
  return Object.assign(scale, {
    domain: [d0, d1] as const,
    range: [r0, r1] as const,
    ticks: (count: number) => niceTicks(d0, d1, count),
  });
}

function safeDomain(a: number, b: number): [number, number] {
  if (!Number.isFinite(a) || !Number.isFinite(b)) {
    if (Number.isFinite(a)) return [a - 1, a + 1];
    if (Number.isFinite(b)) return [b - 1, b + 1];
    return [0, 1];
  }
  if (a === b) {
    const pad = a === 0 ? 1 : Math.abs(a) * 0.1;
    return [a - pad, b + pad];
  }
  return a < b ? [a, b] : [b, a];
}

/** Tick step of 1, 2 or 5 × 10^k giving about `count` ticks over the span. */
function tickStep(start: number, stop: number, count: number): number {
  const raw = Math.abs(stop - start) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const error = raw / power;
  const factor = error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1;
  return factor * power;
}

/** Round-numbered ticks inside [start, stop]; values are snapped to the step so labels print cleanly. */
export function niceTicks(start: number, stop: number, count: number): number[] {
  if (!(Number.isFinite(start) && Number.isFinite(stop)) || start === stop) return [];
  const lo = Math.min(start, stop);
  const hi = Math.max(start, stop);
  const step = tickStep(lo, hi, count);
  if (!(step > 0) || !Number.isFinite(step)) return [];
  // The epsilon keeps 0.15/0.05 = 2.9999999999999996 from dropping the last tick.
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(Math.min(20, digits))));
  return ticks;
}

/** Tick label text: as many decimals as the step needs, no more. */
export function tickLabel(value: number, ticks: readonly number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const a = Math.max(...ticks.map(Math.abs));
  if (a >= 1e6 || (a > 0 && a < 1e-4)) return value.toExponential(1).replace('-', '−');
  const digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  const text = value.toFixed(digits);
  return (/^-0\.?0*$/.test(text) ? text.slice(1) : text).replace('-', '−');
}

/** At most this many values are sorted for axis limits: Node's typed-array sort takes seconds on millions. */
const SAMPLE = 100_000;

/**
 * The finite values of every group, ascending: all of them, or an evenly strided sample of about
 * 100k when there are more (axis limits from quantiles need no more). `total` counts every finite value.
 */
export function sortedFinite(...groups: ArrayLike<number>[]): { sorted: Float64Array; total: number } {
  let total = 0;
  for (const g of groups) for (let i = 0; i < g.length; i++) if (Number.isFinite(g[i]!)) total++;
  const stride = Math.max(1, Math.ceil(total / SAMPLE));
  const out = new Float64Array(Math.ceil(total / stride));
  let seen = 0;
  let k = 0;
  let ascending = true;
  for (const g of groups) {
    for (let i = 0; i < g.length; i++) {
      const v = g[i]!;
      if (!Number.isFinite(v)) continue;
      if (seen++ % stride === 0) {
        if (k > 0 && v < out[k - 1]!) ascending = false;
        out[k++] = v;
      }
    }
  }
  return { sorted: ascending ? out : out.sort(), total };
}

/**
 * The [q, 1−q] quantile range of sorted values: a handful of extreme logits should not squash
 * everything else into one pixel. Null when there are no values.
 */
export function quantileRange(sorted: Float64Array, q = 0.005): [number, number] | null {
  if (sorted.length === 0) return null;
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(p * (sorted.length - 1))))]!;
  return [at(q), at(1 - q)];
}
