import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { memoryBytes } from '../../src/io/bytes.ts';
import { npyFromBytes } from '../../src/io/npy.ts';
import { npzFromBytes } from '../../src/io/npz.ts';
import { safetensorsFromBytes } from '../../src/io/safetensors.ts';
import type { TensorSource } from '../../src/io/tensor-source.ts';
import { fixture } from './helpers.ts';

/**
 * Property: any mutation of a valid file (bit flips, truncation, insertion, deletion, header edits)
 * ends in a correct parse or an InputError, never another exception, never a hang (per-run time
 * limit), and never data that the bytes could not hold (no allocation from a lying header).
 */

type Mutation =
  | { kind: 'flip'; at: number; bit: number }[]
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'overwrite'; at: number; bytes: number[] }
  | { kind: 'text'; at: number; token: string };

/** Values a corrupted header field is likely to take: saturated, huge, negative, off by one. */
const NASTY_BYTES = [
  [0xff, 0xff, 0xff, 0xff],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
  [0x00, 0x00, 0x00, 0x80],
  [0x00, 0x00, 0x00, 0x00],
  [0x01],
  [0xfe, 0xff],
];
const TOKENS = [
  "'",
  '(',
  ')',
  ',',
  ':',
  '{',
  '}',
  'True',
  '1000000000000',
  '-1',
  "'<f8'",
  "'>i8'",
  "'|b1'",
  '()',
  '[',
  '"',
  'null',
  '1e400',
  '\\u0000',
];

/** Positions favour the first 128 bytes, where the headers are. */
function position(len: number): fc.Arbitrary<number> {
  return fc.oneof(fc.nat({ max: Math.min(127, len) }), fc.nat({ max: len }));
}

function mutation(len: number): fc.Arbitrary<Mutation> {
  const at = position(len);
  return fc.oneof(
    fc.array(
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat({ max: Math.max(0, len - 1) }),
        bit: fc.nat({ max: 7 }),
      }),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: len }) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at,
      bytes: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 16 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), at, len: fc.integer({ min: 1, max: 16 }) }),
    fc.record({
      kind: fc.constant('overwrite' as const),
      at,
      bytes: fc.oneof(
        fc.constantFrom(...NASTY_BYTES),
        fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 8 }),
      ),
    }),
    fc.record({ kind: fc.constant('text' as const), at, token: fc.constantFrom(...TOKENS) }),
  );
}

function apply(seed: Uint8Array, m: Mutation): Uint8Array {
  const b = Buffer.from(seed);
  if (Array.isArray(m)) {
    for (const f of m) if (f.at < b.length) b[f.at]! ^= 1 << f.bit;
    return b;
  }
  switch (m.kind) {
    case 'truncate':
      return b.subarray(0, m.at);
    case 'insert':
      return Buffer.concat([b.subarray(0, m.at), Buffer.from(m.bytes), b.subarray(m.at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, m.at), b.subarray(m.at + m.len)]);
    case 'overwrite':
      for (let k = 0; k < m.bytes.length && m.at + k < b.length; k++) b[m.at + k] = m.bytes[k]!;
      return b;
    case 'text': {
      const t = Buffer.from(m.token, 'latin1');
      return Buffer.concat([b.subarray(0, m.at), t, b.subarray(Math.min(b.length, m.at + t.length))]);
    }
  }
}

type Opener = (bytes: Uint8Array) => Promise<TensorSource>;

/** Opens and reads everything; returns what was read, or null for an InputError. Other errors escape. */
async function parse(open: Opener, bytes: Uint8Array): Promise<Float64Array | null> {
  let source: TensorSource;
  try {
    source = await open(bytes);
  } catch (err) {
    if (err instanceof InputError) return null;
    throw err;
  }
  try {
    // A successful open vouched that the data exists: the rows cannot outnumber the bytes (DEFLATE
    // expands at most ~1032:1), so reading them all is bounded by the input.
    expect(source.rows * Math.max(1, source.cols)).toBeLessThanOrEqual(bytes.length * 1032);
    const f32 = await source.readRows(0, source.rows);
    const f64 = await source.readRowsF64(0, source.rows);
    expect(f32.length).toBe(source.rows * source.cols);
    expect(f64.length).toBe(f32.length);
    // Half of a row range must equal the same rows of the whole read.
    const half = Math.floor(source.rows / 2);
    const tail = await source.readRows(half, source.rows - half);
    expect(Array.from(tail)).toEqual(Array.from(f32.subarray(half * source.cols)));
    return f64;
  } catch (err) {
    if (err instanceof InputError) return null;
    throw err;
  } finally {
    await source.close();
  }
}

const PER_RUN_MS = 2000;

async function fuzz(seedFile: string, open: Opener, numRuns: number, seed: number): Promise<void> {
  const original = new Uint8Array(await readFile(fixture(seedFile)));
  const clean = await parse(open, original);
  expect(clean, `${seedFile} must parse before mutation`).not.toBeNull();
  const before = process.memoryUsage().arrayBuffers;
  let parsed = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(mutation(original.length), async (m) => {
      const bytes = apply(original, m);
      const got = await parse(open, bytes);
      if (got === null) refused++;
      else parsed++;
      if (got && Buffer.compare(Buffer.from(bytes), Buffer.from(original)) === 0) {
        expect(Array.from(got)).toEqual(Array.from(clean!));
      }
    }),
    { numRuns, seed, timeout: PER_RUN_MS },
  );
  // Both outcomes occur: the mutations reach past the first check, and the checks do refuse.
  expect(refused).toBeGreaterThan(0);
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 << 20);
  console.log(`${seedFile}: ${numRuns} mutations, ${parsed} parsed, ${refused} refused with an InputError`);
}

const npy =
  (name: string): Opener =>
  (b) =>
    npyFromBytes(memoryBytes(b, name));
const npz =
  (name: string, member?: string): Opener =>
  (b) =>
    npzFromBytes(memoryBytes(b, name), { member });
const st =
  (name: string, tensor?: string): Opener =>
  (b) =>
    safetensorsFromBytes(memoryBytes(b, name), { tensor });

describe('fuzz: mutated files end in a parse or an InputError', () => {
  it('.npy (C and Fortran order, f2/f4/f8, v1 and v3 headers)', async () => {
    await fuzz('f4_le.npy', npy('f4_le.npy'), 300, 1);
    await fuzz('f4_fortran.npy', npy('f4_fortran.npy'), 300, 2);
    await fuzz('f2_be.npy', npy('f2_be.npy'), 200, 3);
    await fuzz('v3.npy', npy('v3.npy'), 200, 4);
  });

  it('.npz (stored, deflated, ZIP64)', async () => {
    await fuzz('stored.npz', npz('stored.npz', 'logits'), 400, 5);
    await fuzz('deflated.npz', npz('deflated.npz', 'fortran'), 400, 6);
    await fuzz('zip64.npz', npz('zip64.npz', 'logits'), 400, 7);
    await fuzz('single.npz', npz('single.npz'), 200, 8);
  });

  it('.safetensors', async () => {
    await fuzz('model.safetensors', st('model.safetensors', 'half'), 400, 9);
    await fuzz('one.safetensors', st('one.safetensors'), 300, 10);
  });
});
