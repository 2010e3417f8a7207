import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { InputError } from '../../src/errors.ts';
import type { TensorSource } from '../../src/io/tensor-source.ts';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const fixture = (name: string) => join(FIXTURES, name);

export interface Expected {
  shape: number[];
  values: number[];
  dtype: string;
}

let cache: Record<string, Expected> | null = null;

/** What NumPy read from each fixture (make_fixtures.py), with "nan"/"inf"/"-inf" turned back into numbers. */
export async function expected(key: string): Promise<Expected> {
  if (!cache) {
    const raw = JSON.parse(await readFile(fixture('expected.json'), 'utf8')) as Record<string, Expected>;
    const num = (v: number | string) =>
      v === 'nan'
        ? Number.NaN
        : v === 'inf'
          ? Number.POSITIVE_INFINITY
          : v === '-inf'
            ? Number.NEGATIVE_INFINITY
            : (v as number);
    cache = Object.fromEntries(
      Object.entries(raw).map(([k, e]) => [k, { ...e, values: (e.values as (number | string)[]).map(num) }]),
    );
  }
  const e = cache[key];
  if (!e) throw new Error(`no expected values for ${key}`);
  return e;
}

/** Element-wise identity, NaN equal to NaN and -0 distinct from 0: the readers must not round or fold. */
export function expectSameValues(actual: ArrayLike<number>, wanted: ArrayLike<number>): void {
  expect(actual.length).toBe(wanted.length);
  for (let i = 0; i < wanted.length; i++) {
    if (!Object.is(actual[i], wanted[i]))
      throw new Error(`element ${i}: got ${actual[i]}, want ${wanted[i]}`);
  }
}

/** Reads every row range [s, s+k) of a small source and checks each against the matching slice. */
export async function expectAllRanges(source: TensorSource, wanted: ArrayLike<number>): Promise<void> {
  const cols = source.cols;
  for (let s = 0; s <= source.rows; s++) {
    for (let k = 0; s + k <= source.rows; k++) {
      const got = await source.readRows(s, k);
      expectSameValues(got, Float32Array.from(Array.from(wanted).slice(s * cols, (s + k) * cols)));
    }
  }
}

export async function expectInputError(p: Promise<unknown>, pattern: RegExp): Promise<InputError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected an InputError matching ${pattern}`).toBeInstanceOf(InputError);
  const err = caught as InputError;
  expect(err.message).toMatch(pattern);
  // One line: <file>: <problem>; <fix>
  expect(err.message).not.toContain('\n');
  expect(err.message).toMatch(/^[^:]+.*: .+; .+$/);
  return err;
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ftcal-io-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** python3 with numpy, or null when this machine has neither (those checks then skip). */
export const python = (() => {
  const r = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  return r.status === 0 ? 'python3' : null;
})();

export function runPython(code: string, ...args: string[]): string {
  const r = spawnSync(python!, ['-c', code, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}
