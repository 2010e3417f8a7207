import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { mergeSortedRuns, sortKeysCpu } from '../src/cpu/sort.ts';
import { sortKeysGpu } from '../src/webgpu/sort.ts';
import { openTestGpu, randomNormal, rng, TEST_ADAPTERS } from './gpu-harness.ts';

const bitsOf = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
const fromBits = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer);

/** The documented total order, written from the float values, not from their bit patterns. */
function totalCompare(a: number, b: number): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  if (a !== b) return a < b ? -1 : 1;
  if (a === 0) return Number(Object.is(b, -0)) - Number(Object.is(a, -0));
  return 0;
}

/** Array.prototype.sort with the index as tie-break: stable by construction, whatever the engine does. */
function referenceSort(keys: Float32Array): { bits: Uint32Array; order: Uint32Array } {
  const order = Array.from({ length: keys.length }, (_, i) => i);
  order.sort((i, j) => totalCompare(keys[i]!, keys[j]!) || i - j);
  const src = bitsOf(keys);
  return { bits: Uint32Array.from(order, (i) => src[i]!), order: Uint32Array.from(order) };
}

/** Normals mixed with repeats, ±0, ±Infinity, NaNs of several payloads and signs, denormals, extremes. */
function awkwardKeys(n: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(n);
  const bits = bitsOf(out);
  const pool = Float32Array.from({ length: 7 }, () => randomNormal(next));
  const special = [0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001];
  special.push(
    0x7fffffff,
    0x00000001,
    0x80000001,
    0x007fffff,
    0x807fffff,
    0x7f7fffff,
    0xff7fffff,
    0x00800000,
  );
  for (let i = 0; i < n; i++) {
    const u = next();
    if (u < 0.5) out[i] = randomNormal(next) * 10 ** Math.floor(next() * 8 - 4);
    else if (u < 0.75) out[i] = pool[Math.floor(next() * pool.length)]!;
    else if (u < 0.9) bits[i] = special[Math.floor(next() * special.length)]!;
    else bits[i] = Math.floor(next() * 0x800000) | (next() < 0.5 ? 0x80000000 : 0);
  }
  return out;
}

function expectSameSort(
  got: { keys: Float32Array; order: Uint32Array },
  want: { bits: Uint32Array; order: Uint32Array },
) {
  expect(got.keys.length).toBe(want.bits.length);
  expect(got.order.length).toBe(want.order.length);
  const gotBits = bitsOf(got.keys);
  for (let i = 0; i < want.order.length; i++) {
    if (got.order[i] !== want.order[i] || gotBits[i] !== want.bits[i]) {
      throw new Error(
        `position ${i}: order ${got.order[i]} vs ${want.order[i]}, key bits 0x${gotBits[i]?.toString(16)} vs 0x${want.bits[i]?.toString(16)}`,
      );
    }
  }
}

describe('sortKeys: CPU twin against Array.prototype.sort with index tie-break', () => {
  for (const n of [0, 1, 2, 3, 17, 1000, 4096, 50_000]) {
    it(`${n} awkward keys`, () => {
      const keys = awkwardKeys(n, n + 11);
      expectSameSort(sortKeysCpu(keys), referenceSort(keys));
    });
  }

  it('orders the special values as documented', () => {
    const keys = fromBits([
      0x7fc00000, 0x7f800000, 0x00000000, 0xffc00001, 0x80000000, 0xff800000, 0x00000001,
    ]);
    const got = sortKeysCpu(keys);
    expect([...bitsOf(got.keys)]).toEqual([
      0xff800000, 0x80000000, 0x00000000, 0x00000001, 0x7f800000, 0x7fc00000, 0xffc00001,
    ]);
    expect([...got.order]).toEqual([5, 4, 2, 6, 1, 0, 3]);
  });

  it('keeps equal keys in input order, including when whole passes are skipped', () => {
    // All equal (no pass runs), one varying byte (one pass), two varying bytes (two passes).
    for (const keys of [
      new Float32Array(3000).fill(2.5),
      Float32Array.from({ length: 3000 }, (_, i) => [1.75, 1, 1.5][i % 3]!),
      Float32Array.from({ length: 3000 }, (_, i) => i % 3),
    ]) {
      expectSameSort(sortKeysCpu(keys), referenceSort(keys));
    }
  });

  it('does not modify its input', () => {
    const keys = awkwardKeys(500, 3);
    const before = bitsOf(keys).slice();
    sortKeysCpu(keys);
    expect(bitsOf(keys)).toEqual(before);
  });

  it('merges sorted runs stably (the host side of the chunked GPU sort)', () => {
    const keys = awkwardKeys(10_007, 5);
    for (const run of [1, 3, 1000, 5000, 10_007]) {
      const order = new Uint32Array(keys.length);
      for (let s = 0; s < keys.length; s += run) {
        const part = sortKeysCpu(keys.subarray(s, Math.min(keys.length, s + run)));
        part.order.forEach((o, i) => {
          order[s + i] = o + s;
        });
      }
      const merged = mergeSortedRuns(keys, order, run);
      expect(merged).toEqual(referenceSort(keys).order);
    }
  });
});

describe.each(TEST_ADAPTERS)(
  'sortKeys: radix sort kernels vs CPU twin (identical keys and order) on %s',
  (adapter) => {
    let gpu: WebGpuBackend | null = null;
    beforeAll(async () => {
      gpu = await openTestGpu(adapter);
    });
    afterAll(() => gpu?.dispose());

    // A tile is 2048 or 4096 keys (128 or 256 threads × 16 keys) by default; 100,003 keys make tens of
    // tiles and thousands of counts, so several scan blocks.
    const sizes = [0, 1, 2, 255, 256, 257, 1000, 1025, 2047, 2048, 2049, 4095, 4096, 4097, 100_003];
    for (const n of sizes) {
      it(`${n} awkward keys`, async (ctx) => {
        if (!gpu) return ctx.skip();
        const keys = awkwardKeys(n, n * 31 + 7);
        const want = sortKeysCpu(keys);
        expectSameSort(await gpu.sortKeys(keys), { bits: bitsOf(want.keys), order: want.order });
      });
    }

    it('gives the same answer with small tiles, so many tiles and partial threads are exercised', async (ctx) => {
      if (!gpu) return ctx.skip();
      for (const n of [255, 257, 2049, 20_000]) {
        const keys = awkwardKeys(n, n + 5);
        const want = sortKeysCpu(keys);
        const got = await sortKeysGpu(gpu.ctx, keys, { wg: 32 });
        expectSameSort(got, { bits: bitsOf(want.keys), order: want.order });
      }
    });

    it('is stable on an all-equal array and on NaNs of every payload', async (ctx) => {
      if (!gpu) return ctx.skip();
      const equal = new Float32Array(5000).fill(-1.5);
      const nans = fromBits(
        Array.from({ length: 3000 }, (_, i) => (i % 2 ? 0xff800000 : 0x7f800000) + 1 + i),
      );
      for (const keys of [equal, nans]) {
        const got = await gpu.sortKeys(keys);
        expect(got.order).toEqual(Uint32Array.from({ length: keys.length }, (_, i) => i));
        expect(bitsOf(got.keys)).toEqual(bitsOf(keys));
      }
    });

    it('sorts 10⁶ keys with duplicates, NaNs, ±0 and infinities like the twin', async (ctx) => {
      if (!gpu) return ctx.skip();
      const keys = awkwardKeys(1_000_000, 1234);
      const want = sortKeysCpu(keys);
      expectSameSort(await gpu.sortKeys(keys), { bits: bitsOf(want.keys), order: want.order });
    });

    it('sorts normal-distributed thresholds like the γ curve feeds it', async (ctx) => {
      if (!gpu) return ctx.skip();
      const next = rng(42);
      const keys = Float32Array.from({ length: 30_000 }, () => Math.fround(randomNormal(next) * 3));
      const want = sortKeysCpu(keys);
      expectSameSort(await gpu.sortKeys(keys), { bits: bitsOf(want.keys), order: want.order });
    });

    it('sorts chunk by chunk and merges when the keys exceed one binding', async (ctx) => {
      if (!gpu) return ctx.skip();
      const keys = awkwardKeys(20_000, 77);
      gpu.ctx.capBindingBytes(3001 * 4);
      try {
        const want = referenceSort(keys);
        expectSameSort(await gpu.sortKeys(keys), want);
      } finally {
        gpu.ctx.capBindingBytes(undefined);
      }
    });
  },
);
