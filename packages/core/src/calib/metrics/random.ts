/**
 * xoshiro128** (Blackman and Vigna), seeded by SplitMix32 from a seed and a stream number: the
 * bootstrap gives replicate r its own stream, so its draws depend only on (seed, r), never on how
 * replicates are spread over threads or in what order they run.
 */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    let s = (Math.imul(seed >>> 0, 0x9e3779b9) ^ Math.imul((stream >>> 0) + 0x632be5ab, 0x85ebca6b)) >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    // An all-zero state would stay zero; SplitMix32 never gives four zeros, but keep the guarantee.
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /**
   * Uniform integer in [0, n), n ≤ 2^32, without bias: Lemire's multiply-and-reject for n ≤ 2^21 (the
   * product stays exact in a double), a 53-bit fraction beyond (bias below n / 2^53).
   */
  below(n: number): number {
    if (n <= LEMIRE_MAX) {
      for (;;) {
        const m = this.nextU32() * n;
        const hi = Math.floor(m * 2 ** -32);
        const low = m - hi * 2 ** 32;
        if (low >= n || low >= (2 ** 32 - n) % n) return hi;
      }
    }
    const hi = this.nextU32() >>> 11;
    const lo = this.nextU32();
    return Math.floor(((hi * 2 ** 32 + lo) / 2 ** 53) * n);
  }

  /**
   * `count` draws of below(n), each adding 1 to w at the drawn index: the same stream as calling
   * below(n) `count` times, with the generator's state in locals (the bootstrap's hot loop). Returns
   * false if a count would wrap (past 255 in a Uint8Array, 65535 in a Uint16Array): the caller redraws
   * into wider counts.
   */
  countDraws(n: number, count: number, w: Uint8Array | Uint16Array | Int32Array): boolean {
    if (n > LEMIRE_MAX) {
      for (let i = 0; i < count; i++) if (++w[this.below(n)]! === 0) return false;
      return true;
    }
    let { a, b, c, d } = this;
    const reject = (2 ** 32 - n) % n;
    let ok = true;
    for (let i = 0; i < count; i++) {
      for (;;) {
        const x = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
        const t = b << 9;
        c ^= a;
        d ^= b;
        b ^= c;
        a ^= d;
        c ^= t;
        d = rotl(d, 11);
        const m = x * n;
        const hi = Math.floor(m * 2 ** -32);
        const low = m - hi * 2 ** 32;
        if (low < n && low < reject) continue;
        if (++w[hi]! === 0) ok = false;
        break;
      }
      if (!ok) break;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return ok;
  }
}

/** Lemire's method needs x·n < 2^53 for a 32-bit x. */
const LEMIRE_MAX = 2 ** 21;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
