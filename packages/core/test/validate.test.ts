import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu.ts';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { type ErrorInfo, InputError } from '../src/errors.ts';
import { openTestGpu, TEST_ADAPTERS } from './gpu-harness.ts';

const z = new Float32Array(12);
const groups = new Uint32Array(4);
const labels = Int32Array.of(0, 1, 3);
const pair = Float64Array.of(0, 0);

/** Caller mistakes, each with the InputError every backend must give for it (DESIGN.md §4). */
const MISTAKES: [string, (b: Backend) => Promise<unknown>, ErrorInfo][] = [
  [
    'softmax: values that do not fill the shape',
    (b) => b.softmax(z, 3, 5),
    { code: 'shape', problem: 'softmax: 12 values for shape 3×5' },
  ],
  [
    'softmax: a fractional row count',
    (b) => b.softmax(z, 1.5, 8),
    { code: 'shape', problem: 'softmax: bad shape 1.5×8; rows must be a whole number ≥ 0 and columns ≥ 1' },
  ],
  [
    'softmax: temperature 0',
    (b) => b.softmax(z, 3, 4, { temperature: 0 }),
    {
      code: 'option',
      problem:
        'softmax: temperature must be a number > 0 whose value and reciprocal fit float32 (2.9e-39 ≤ T ≤ 3.4e38), got 0',
    },
  ],
  [
    'softmax: a γ beyond float32',
    (b) => b.softmax(z, 3, 4, { gamma: 1e39 }),
    {
      code: 'option',
      problem: 'softmax: gamma must be a finite number within float32 range (|γ| ≤ 3.4e38), got 1e+39',
    },
  ],
  [
    'softmax: groups for another head',
    (b) => b.softmax(z, 3, 4, { groups: new Uint32Array(3) }),
    { code: 'groups', problem: 'softmax: groups has 3 entries for 4 classes' },
  ],
  [
    'rowStats: a group code that is not 0, 1 or 2',
    (b) => b.rowStats(z, 3, 4, { groups: Uint32Array.of(0, 1, 3, 0) }),
    {
      code: 'groups',
      problem: 'rowStats: group code 3 at class 2; codes are 0 (seen), 1 (absent) and 2 (other)',
    },
  ],
  [
    'rowStats: labels for other rows',
    (b) => b.rowStats(z, 3, 4, { groups, labels: Int32Array.of(0, 1) }),
    { code: 'shape', problem: 'rowStats: 2 labels for 3 rows' },
  ],
  [
    'rowStats: an infinite temperature',
    (b) => b.rowStats(z, 3, 4, { groups, temperature: Number.POSITIVE_INFINITY }),
    {
      code: 'option',
      problem:
        'rowStats: temperature must be a number > 0 whose value and reciprocal fit float32 (2.9e-39 ≤ T ≤ 3.4e38), got Infinity',
    },
  ],
  [
    'nllGrad: a label outside the classes',
    (b) => b.nllGrad(z, 3, 4, { groups, labels: Int32Array.of(0, 4, 1), candidates: pair }),
    {
      code: 'labels',
      problem: 'nllGrad: label 4 at row 1 is outside [0, 4)',
      fix: 'labels must be class indices of the logits',
    },
  ],
  [
    'nllGrad: an odd number of candidate values',
    (b) => b.nllGrad(z, 3, 4, { groups, labels, candidates: Float64Array.of(0, 0, 1) }),
    { code: 'shape', problem: 'nllGrad: candidates must hold (γ, log T) pairs, got 3 values' },
  ],
  [
    'nllGrad: a NaN candidate',
    (b) => b.nllGrad(z, 3, 4, { groups, labels, candidates: Float64Array.of(0, Number.NaN) }),
    { code: 'option', problem: 'nllGrad: candidate value 1 is not finite' },
  ],
  [
    'matmul: B of the wrong size',
    (b) => b.matmul(new Float32Array(6), new Float32Array(5), 2, 2, 3),
    { code: 'shape', problem: 'matmul: B has 5 values, expected 1·3·2 or 3·2' },
  ],
  [
    'matmul: a bias for other columns',
    (b) => b.matmul(new Float32Array(4), new Float32Array(4), 2, 2, 2, { bias: new Float32Array(3) }),
    { code: 'shape', problem: 'matmul: bias has 3 values, expected 2' },
  ],
  [
    'matmul: batch 0',
    (b) => b.matmul(new Float32Array(4), new Float32Array(4), 2, 2, 2, { batch: 0 }),
    { code: 'shape', problem: 'matmul: batch must be a positive integer, got 0' },
  ],
  [
    'l2Normalize: values that do not fill the shape',
    (b) => b.l2Normalize(new Float32Array(5), 2, 3),
    { code: 'shape', problem: 'l2Normalize: 5 values for shape 2×3' },
  ],
];

async function errorOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

describe('argument checks at the Backend boundary', () => {
  // The pool path (2 threads, no minimum) must not see bad input either: it gets the same error.
  const backends: [string, () => Backend | null][] = [];
  const cpu = new CpuBackend({ threads: 1 });
  const pooled = new CpuBackend({ threads: 2, minWork: 0 });
  const gpus = new Map<string, WebGpuBackend | null>();
  backends.push(['cpu', () => cpu], ['cpu, 2 threads', () => pooled]);
  for (const adapter of TEST_ADAPTERS)
    backends.push([`webgpu on ${adapter}`, () => gpus.get(adapter) ?? null]);
  beforeAll(async () => {
    for (const adapter of TEST_ADAPTERS) gpus.set(adapter, await openTestGpu(adapter));
  });
  afterAll(() => {
    cpu.dispose();
    pooled.dispose();
    for (const gpu of gpus.values()) gpu?.dispose();
  });

  for (const [name, backend] of backends) {
    it.for(MISTAKES)(`${name}: %s is an InputError`, async ([, call, info], ctx) => {
      const b = backend();
      if (!b) return ctx.skip();
      const e = await errorOf(() => call(b));
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).info).toEqual(info);
    });
  }

  it('runs the checks before any worker or device work', async () => {
    await errorOf(() => pooled.rowStats(z, 3, 4, { groups, temperature: 0 }));
    expect(pooled.parallel.tasksDone).toBe(0);
  });
});
