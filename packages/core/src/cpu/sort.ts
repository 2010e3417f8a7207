import type { SortedKeys } from '../backend/backend.ts';

const DIGIT_BITS = 8;
const BUCKETS = 1 << DIGIT_BITS;
const MASK = BUCKETS - 1;
const PASSES = 4;

/**
 * Maps f32 bits to a u32 whose unsigned order is the float total order of `sortKeys`:
 * -Infinity < finite (-0 < +0) < +Infinity < NaN. Negatives have all bits flipped (larger magnitude
 * sorts first), positives get the sign bit set; every NaN, whatever its sign and payload, becomes
 * 0xffffffff so NaNs tie with each other and a stable sort keeps them in input order.
 */
export function sortableBits(bits: number): number {
  if ((bits & 0x7fffffff) >>> 0 > 0x7f800000) return 0xffffffff;
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

function bitsOf(keys: Float32Array): Uint32Array {
  return new Uint32Array(keys.buffer, keys.byteOffset, keys.length);
}

/** Keys in `order`, copied as bits so NaN payloads and -0 survive exactly. */
export function gatherKeys(keys: Float32Array, order: Uint32Array): Float32Array {
  const src = bitsOf(keys);
  const out = new Uint32Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = src[order[i]!]!;
  return new Float32Array(out.buffer);
}

/** Inverse of `sortableBits` for every non-NaN key (NaNs come back as 0x7fffffff, not their own bits). */
function unsortableBits(t: number): number {
  return (t & 0x80000000 ? t ^ 0x80000000 : ~t) >>> 0;
}

/**
 * CPU twin of the GPU radix sort: an LSD radix sort of the sortable u32 bits with 8-bit digits (four
 * passes), stable, keys and indices moving together. All histograms come from one read of the keys,
 * and a pass whose digit is the same for every key is skipped (it would be the identity). The last
 * pass writes the original bits back through the inverse map, and the NaNs, which all sort last, get
 * their own bits back by index, so the keys returned are the input's bits permuted.
 */
export function sortKeysCpu(keys: Float32Array): SortedKeys {
  const n = keys.length;
  if (n >= 2 ** 32) throw new RangeError(`sortKeys: ${n} keys do not fit u32 indices`);
  const src = bitsOf(keys);
  let k = new Uint32Array(n);
  const hist = new Uint32Array(PASSES * BUCKETS);
  for (let i = 0; i < n; i++) {
    const t = sortableBits(src[i]!);
    k[i] = t;
    hist[t & MASK]!++;
    hist[BUCKETS + ((t >>> DIGIT_BITS) & MASK)]!++;
    hist[2 * BUCKETS + ((t >>> (2 * DIGIT_BITS)) & MASK)]!++;
    hist[3 * BUCKETS + (t >>> (3 * DIGIT_BITS))]!++;
  }
  const passes: number[] = [];
  for (let pass = 0; pass < PASSES; pass++) {
    const h = hist.subarray(pass * BUCKETS, (pass + 1) * BUCKETS);
    if (!h.includes(n)) passes.push(pass);
  }
  if (passes.length === 0) return { keys: keys.slice(), order: identity(n) };
  const outBits = new Uint32Array(n);
  let v: Uint32Array<ArrayBuffer> | null = null;
  let k2 = passes.length > 1 ? new Uint32Array(n) : outBits;
  let v2 = new Uint32Array(n);
  const offsets = new Uint32Array(BUCKETS);
  passes.forEach((pass, p) => {
    const shift = pass * DIGIT_BITS;
    const last = p === passes.length - 1;
    if (last) k2 = outBits;
    let sum = 0;
    for (let d = 0; d < BUCKETS; d++) {
      offsets[d] = sum;
      sum += hist[pass * BUCKETS + d]!;
    }
    if (v === null) {
      // First pass run: the value of key i is i itself, so it is not read from an array.
      for (let i = 0; i < n; i++) {
        const t = k[i]!;
        const dst = offsets[(t >>> shift) & MASK]!++;
        k2[dst] = last ? unsortableBits(t) : t;
        v2[dst] = i;
      }
      v = new Uint32Array(n);
    } else if (last) {
      for (let i = 0; i < n; i++) {
        const t = k[i]!;
        const dst = offsets[(t >>> shift) & MASK]!++;
        k2[dst] = unsortableBits(t);
        v2[dst] = v[i]!;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const t = k[i]!;
        const dst = offsets[(t >>> shift) & MASK]!++;
        k2[dst] = t;
        v2[dst] = v[i]!;
      }
    }
    [k, k2] = [k2, k];
    [v, v2] = [v2, v];
  });
  const order = v!;
  for (let i = n - 1; i >= 0 && sortableBits(src[order[i]!]!) === 0xffffffff; i--)
    outBits[i] = src[order[i]!]!;
  return { keys: new Float32Array(outBits.buffer), order };
}

function identity(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/**
 * Stable merge of consecutive sorted runs of `runLength` positions (the last may be shorter) into one
 * sorted order. `order` holds original indices and `keys` the original array, so a run covering lower
 * indices wins ties. Used when the GPU sorts an array that does not fit one binding chunk by chunk.
 */
export function mergeSortedRuns(keys: Float32Array, order: Uint32Array, runLength: number): Uint32Array {
  const n = order.length;
  const src = bitsOf(keys);
  let t = new Uint32Array(n);
  for (let i = 0; i < n; i++) t[i] = sortableBits(src[order[i]!]!);
  let o = order.slice();
  let t2 = new Uint32Array(n);
  let o2 = new Uint32Array(n);
  for (let width = runLength; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let a = lo;
      let b = mid;
      let w = lo;
      while (a < mid && b < hi) {
        if (t[b]! < t[a]!) {
          t2[w] = t[b]!;
          o2[w++] = o[b++]!;
        } else {
          t2[w] = t[a]!;
          o2[w++] = o[a++]!;
        }
      }
      while (a < mid) {
        t2[w] = t[a]!;
        o2[w++] = o[a++]!;
      }
      while (b < hi) {
        t2[w] = t[b]!;
        o2[w++] = o[b++]!;
      }
    }
    [t, t2] = [t2, t];
    [o, o2] = [o2, o];
  }
  return o;
}
