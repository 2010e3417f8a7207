import { InputError } from '../errors.ts';

/** The largest finite float32: every kernel and the CPU twins compute in float32. */
export const F32_MAX = 3.4028234663852886e38;

/** ECE bins at most: more bins than this only measures noise, and each bin costs memory per row set. */
export const MAX_BINS = 10_000;

/** Classes at most: a head wider than this (16.7 Mi outputs) is a mistake, not a model. */
export const MAX_CLASSES = 2 ** 24;

/** Bootstrap replicates at most: each costs a pass over the per-row columns. */
export const MAX_REPLICATES = 1_000_000;

/** Rows per chunk at most (what an index into one chunk can address as an i32). */
export const MAX_CHUNK_ROWS = 2 ** 31 - 1;

/** Fits float32 as a finite value: |x| ≤ F32_MAX once rounded. */
const fitsF32 = (x: number) => Number.isFinite(Math.fround(x));

const whole = (x: number, min: number, max: number) => Number.isSafeInteger(x) && x >= min && x <= max;

/**
 * Every numeric option of the library and the CLI, by kind: what it must be where it is used (γ is added
 * to float32 logits, 1/T multiplies them, so both must fit float32), how a message says it, and an
 * example value for the fix. One table, so the library's check and the CLI's flag parser never drift.
 * `integer` kinds are written as plain digits on the command line.
 */
export const OPTION_KINDS = {
  gamma: {
    ok: fitsF32,
    want: 'a finite number within float32 range (|γ| ≤ 3.4e38)',
    example: '2.5',
    integer: false,
  },
  temperature: {
    ok: (x: number) => x > 0 && fitsF32(x) && fitsF32(1 / x),
    want: 'a number > 0 whose value and reciprocal fit float32 (2.9e-39 ≤ T ≤ 3.4e38)',
    example: '1.5',
    integer: false,
  },
  finite: { ok: fitsF32, want: 'a finite number within float32 range', example: '1', integer: false },
  positive: {
    ok: (x: number) => x > 0 && fitsF32(x),
    want: 'a finite number > 0 within float32 range',
    example: '1',
    integer: false,
  },
  nonNegative: {
    ok: (x: number) => x >= 0 && fitsF32(x),
    want: 'a finite number ≥ 0 within float32 range',
    example: '1',
    integer: false,
  },
  points: {
    ok: (x: number) => x >= 0 && x <= 100,
    want: 'a number of percentage points in [0, 100]',
    example: '1',
    integer: false,
  },
  fraction: {
    ok: (x: number) => x > 0 && x < 1,
    want: 'a number strictly between 0 and 1',
    example: '0.95',
    integer: false,
  },
  count: {
    ok: (x: number) => whole(x, 1, 2 ** 31 - 1),
    want: 'a whole number in [1, 2147483647]',
    example: '10',
    integer: true,
  },
  bins: {
    ok: (x: number) => whole(x, 1, MAX_BINS),
    want: `a whole number of bins in [1, ${MAX_BINS}]`,
    example: '15',
    integer: true,
  },
  chunkRows: {
    ok: (x: number) => whole(x, 1, MAX_CHUNK_ROWS),
    want: `a whole number of rows in [1, ${MAX_CHUNK_ROWS}]`,
    example: '65536',
    integer: true,
  },
  classes: {
    ok: (x: number) => whole(x, 2, MAX_CLASSES),
    want: `a whole number of classes in [2, ${MAX_CLASSES}]`,
    example: '10',
    integer: true,
  },
  port: {
    ok: (x: number) => whole(x, 0, 65535),
    want: 'a port number in [0, 65535]',
    example: '8173',
    integer: true,
  },
  topK: {
    ok: (x: number) => whole(x, 2, MAX_CLASSES),
    want: `a whole number k in [2, ${MAX_CLASSES}] (top-1 is the accuracy table itself)`,
    example: '5',
    integer: true,
  },
  replicates: {
    ok: (x: number) => whole(x, 1, MAX_REPLICATES),
    want: `a whole number of bootstrap replicates in [1, ${MAX_REPLICATES}]`,
    example: '1000',
    integer: true,
  },
  seed: {
    ok: (x: number) => whole(x, 0, 2 ** 32 - 1),
    want: 'a whole number in [0, 4294967295]',
    example: '1',
    integer: true,
  },
} as const;

export type OptionKind = keyof typeof OPTION_KINDS;

/**
 * The one check of the library's numeric options (γ, T, bins, chunk rows, δ): a bad value is an
 * InputError with code 'option' whose fix names the option, so a front end words it with its own flag.
 * `what` is the quantity in the vocabulary of DESIGN.md §1 (γ, T, δ of constrained, …).
 */
export function checkOption(value: number, option: string, what: string, kind: OptionKind): void {
  const { ok, want } = OPTION_KINDS[kind];
  if (typeof value === 'number' && ok(value)) return;
  throw new InputError({
    code: 'option',
    problem: `${what} = ${value} is not ${want}`,
    fix: `pass ${want} as {option}`,
    option: { name: option },
  });
}

export const checkGamma = (gamma: number, option = 'gamma'): void => checkOption(gamma, option, 'γ', 'gamma');

export const checkTemperature = (temperature: number, option = 'temperature'): void =>
  checkOption(temperature, option, 'T', 'temperature');

/**
 * The scores (z + γ·[c∈U]) / T of one row overflowed float32 although its logits were finite: γ or 1/T is
 * too large for logits of this scale. The one message for every place that computes them.
 */
export function scoreOverflowError(
  file: string,
  row: number,
  gamma: number,
  temperature: number,
): InputError {
  return new InputError({
    code: 'non-finite',
    file,
    problem: `at row ${row} the calibrated scores (z + γ)/T overflow float32 with γ = ${gamma}, T = ${temperature}`,
    fix: 'use a γ and T suited to the scale of these logits (refit on them)',
  });
}
