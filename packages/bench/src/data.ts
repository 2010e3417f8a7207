/**
 * Synthetic inputs. Logits mimic a model fine-tuned on the first half of its classes: the label's logit
 * stands out, and every seen-class logit is inflated, so the γ curve has the shape the paper shows.
 * Every row is generated from (seed, row index) alone, so a file written in chunks and an array made
 * at once hold the same values, and the NumPy peer reads the very same bytes.
 */

export const LABEL_MARGIN = 3;
export const SEEN_INFLATION = 2;

function mix(seed: number, row: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(row + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: small, fast and good enough for benchmark data. */
function stream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 0 (seen) for the first ⌈C/2⌉ classes, 1 (absent) for the rest; no "other" classes. */
export function syntheticGroups(cols: number): Uint32Array {
  const g = new Uint32Array(cols);
  g.fill(1, Math.ceil(cols / 2));
  return g;
}

/** Rows [start, start+count) of the synthetic logits and their labels. */
export function syntheticLogits(
  start: number,
  count: number,
  cols: number,
  seed = 1,
): { z: Float32Array; labels: Int32Array } {
  const z = new Float32Array(count * cols);
  const labels = new Int32Array(count);
  const seen = Math.ceil(cols / 2);
  // The sum of two uniforms, centred and scaled to unit variance: near enough to normal noise.
  const scale = Math.sqrt(6);
  for (let r = 0; r < count; r++) {
    const next = stream(mix(seed, start + r));
    const y = Math.min(cols - 1, Math.floor(next() * cols));
    labels[r] = y;
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      let v = (next() + next() - 1) * scale;
      if (c < seen) v += SEEN_INFLATION;
      if (c === y) v += LABEL_MARGIN;
      z[o + c] = v;
    }
  }
  return { z, labels };
}

/** `length` values uniform in [-1, 1). */
export function randomMatrix(length: number, seed: number): Float32Array {
  const next = stream(mix(seed, 0x5eed));
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = next() * 2 - 1;
  return out;
}

/** "10⁴", "2·10⁵", or the plain number when it is not a round power of ten. */
export function pow10(n: number): string {
  const sup = '⁰¹²³⁴⁵⁶⁷⁸⁹';
  const e = Math.floor(Math.log10(n));
  const m = n / 10 ** e;
  if (e < 3 || !Number.isInteger(m)) return String(n);
  const exp = [...String(e)].map((d) => sup[Number(d)]).join('');
  return m === 1 ? `10${exp}` : `${m}·10${exp}`;
}
