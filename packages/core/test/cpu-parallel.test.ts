import { afterAll, describe, expect, it } from 'vitest';
import type { RowStats, RowStatsOptions } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu.ts';
import { matmulCpu } from '../src/cpu/matmul.ts';
import { nllGradCpu } from '../src/cpu/nll-grad.ts';
import { cpuThreads, PARALLEL_MIN_WORK, ParallelCpu, rowRanges } from '../src/cpu/parallel.ts';
import { rowStatsCpu } from '../src/cpu/row-stats.ts';
import { softmaxCpu } from '../src/cpu/softmax.ts';
import { InputError } from '../src/errors.ts';
import { WorkerPool } from '../src/platform/node/worker-pool.ts';
import { randomNormal, rng } from './gpu-harness.ts';

const NEG_INF = Number.NEGATIVE_INFINITY;
type Typed = Float32Array | Float64Array | Int32Array | Uint32Array;

/** Index of the first element whose bits differ (so -0 vs 0 and NaN payloads count), or -1. */
function firstBitDifference(a: Typed, b: Typed): number {
  expect(a.constructor).toBe(b.constructor);
  expect(a.length).toBe(b.length);
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return Math.floor(i / a.BYTES_PER_ELEMENT);
  return -1;
}

function expectSameBits(got: Typed, want: Typed, what: string): void {
  const i = firstBitDifference(got, want);
  if (i >= 0) throw new Error(`${what}[${i}]: ${got[i]} vs twin ${want[i]}`);
}

function expectSameStats(got: RowStats, want: RowStats): void {
  expect(got.rows).toBe(want.rows);
  for (const key of Object.keys(want) as (keyof RowStats)[]) {
    if (key === 'rows') continue;
    const g = got[key] as Typed;
    // The pool's results are plain arrays like the twin's, not views of worker-visible shared memory.
    expect(g.buffer).toBeInstanceOf(ArrayBuffer);
    expectSameBits(g, want[key] as Typed, key);
  }
}

/**
 * Seeded logits with the edge cases sprinkled in: integer values (exact ties inside and across groups),
 * -inf, -0 and, at most once each per row so no sum overflows, ±3e38.
 */
function edgyLogits(rows: number, cols: number, seed: number): Float32Array {
  const next = rng(seed);
  const z = new Float32Array(rows * cols);
  for (let i = 0; i < z.length; i++) {
    const u = next();
    z[i] =
      u < 0.05
        ? NEG_INF
        : u < 0.07
          ? -0
          : u < 0.5
            ? Math.round(randomNormal(next) * 3)
            : randomNormal(next) * 3;
  }
  for (let r = 0; r < rows; r += 5) {
    z[r * cols + Math.floor(next() * cols)] = 3e38;
    z[r * cols + Math.floor(next() * cols)] = -3e38;
  }
  return z;
}

function groupsFor(cols: number, seed: number, codes: readonly number[]): Uint32Array {
  const next = rng(seed);
  return Uint32Array.from({ length: cols }, () => codes[Math.floor(next() * codes.length)]!);
}

function labelsFor(rows: number, cols: number, seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: rows }, () => Math.floor(next() * cols));
}

const SHAPES: [rows: number, cols: number, codes: number[]][] = [
  [1, 1, [0]],
  [1, 7, [0, 1, 2]],
  [3, 1, [1]],
  [9, 5, [0, 2]],
  [37, 1000, [0, 1, 2]],
  [300, 10, [0, 1]],
  [1001, 3, [0, 1, 2]],
];

// minWork 0 sends even one-row jobs to the workers, so the edge shapes all cross the thread boundary; a
// 100-value slab sends them in many slabs (one row each when C = 1000) through the double buffer.
describe.each([
  ['one slab', undefined],
  ['slabs of 100 values', 100],
])('ParallelCpu: bit-identical to the twins, %s', (_, slabValues) => {
  const par = new ParallelCpu({ threads: 2, minWork: 0, slabValues, warn: (line) => expect.fail(line) });
  afterAll(() => par.close());

  for (const [rows, cols, codes] of SHAPES) {
    const name = `${rows}×${cols}, groups ${codes.join('')}`;
    it(`rowStats ${name}`, async () => {
      const z = edgyLogits(rows, cols, rows * 31 + cols);
      const groups = groupsFor(cols, cols, codes);
      for (const options of [
        { groups, labels: labelsFor(rows, cols, rows), temperature: 0.7 },
        { groups },
      ] satisfies RowStatsOptions[]) {
        const before = par.tasksDone;
        expectSameStats(await par.rowStats(z, rows, cols, options), rowStatsCpu(z, rows, cols, options));
        const perSlab = Math.max(1, Math.floor(par.slabValues / cols));
        let tasks = 0;
        for (let r0 = 0; r0 < rows; r0 += perSlab) tasks += Math.min(rows - r0, perSlab, par.threads * 4);
        expect(par.tasksDone - before).toBe(tasks);
      }
    });

    it(`nllGrad ${name}, K = 1 and 3`, async () => {
      const z = edgyLogits(rows, cols, rows + cols).map((v) => (Math.abs(v) > 1e30 ? v / 1e37 : v));
      const options = { groups: groupsFor(cols, cols + 1, codes), labels: labelsFor(rows, cols, rows + 2) };
      for (const candidates of [
        [0.5, 0.1],
        [0, 0, 2, -0.3, -1.5, 0.7],
      ]) {
        const o = { ...options, candidates: Float64Array.from(candidates) };
        const got = await par.nllGrad(z, rows, cols, o);
        const want = nllGradCpu(z, rows, cols, o);
        expect([got.k, got.rows]).toEqual([want.k, want.rows]);
        expectSameBits(got.nll, want.nll, 'nll');
        expectSameBits(got.grad, want.grad, 'grad');
        expectSameBits(got.hess, want.hess, 'hess');
      }
    });

    it(`softmax ${name}, plain and log with γ and T`, async () => {
      const z = edgyLogits(rows, cols, rows * 7 + cols);
      const groups = groupsFor(cols, cols + 2, codes);
      for (const options of [
        {},
        { gamma: 1.3, temperature: 0.6, groups, log: true },
        { gamma: -2, groups },
      ]) {
        const got = await par.softmax(z, rows, cols, options);
        expect(got.buffer).toBeInstanceOf(ArrayBuffer);
        expectSameBits(got, softmaxCpu(z, rows, cols, options), 'softmax');
      }
    });
  }

  const matmuls: [m: number, n: number, k: number, batch: number, shared: boolean][] = [
    [1, 1, 1, 1, false],
    [5, 3, 7, 1, false],
    [33, 17, 64, 3, false],
    [20, 9, 31, 4, true],
    // Two summation blocks of K, ranges that end inside a tile of 4 rows, N past a panel of 8.
    [37, 13, 300, 2, false],
  ];
  for (const [m, n, k, batch, sharedB] of matmuls) {
    it(`matmul ${m}×${n}×${k}, batch ${batch}${sharedB ? ', shared B' : ''}, every transpose, ±bias`, async () => {
      const next = rng(m * n * k);
      const a = Float32Array.from({ length: batch * m * k }, () => (next() < 0.2 ? 0 : randomNormal(next)));
      const b = Float32Array.from({ length: (sharedB ? 1 : batch) * k * n }, () => randomNormal(next));
      // A zero in A meeting an infinity in B is NaN on every path (no product is skipped).
      b[0] = Number.POSITIVE_INFINITY;
      const bias = Float32Array.from({ length: n }, () => randomNormal(next));
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const withBias of [false, true]) {
            const options = { transA, transB, batch, ...(withBias ? { bias } : {}) };
            const got = await par.matmul(a, b, m, n, k, options);
            expectSameBits(got, matmulCpu(a, b, m, n, k, options), 'C');
          }
        }
      }
    });
  }
});

describe('ParallelCpu: when it uses the workers', () => {
  it('keeps jobs under minWork on the calling thread and sends larger ones to the pool', async () => {
    const par = new ParallelCpu({ threads: 2 });
    try {
      expect(par.minWork).toBe(PARALLEL_MIN_WORK);
      const cols = 1000;
      const groups = groupsFor(cols, 1, [0, 1, 2]);
      const small = edgyLogits(Math.floor(PARALLEL_MIN_WORK / cols) - 1, cols, 2);
      await par.rowStats(small, small.length / cols, cols, { groups });
      expect(par.tasksDone).toBe(0);
      const rows = Math.ceil(PARALLEL_MIN_WORK / cols) + 7;
      const z = edgyLogits(rows, cols, 3);
      const labels = labelsFor(rows, cols, 4);
      const got = await par.rowStats(z, rows, cols, { groups, labels, temperature: 1.7 });
      expect(par.tasksDone).toBe(8);
      expectSameStats(got, rowStatsCpu(z, rows, cols, { groups, labels, temperature: 1.7 }));
    } finally {
      par.close();
    }
  });

  it('keeps concurrent jobs apart (one owns the kept scratch, the others get their own buffers)', async () => {
    // Slabs of 10 rows, so the jobs interleave slab by slab.
    const par = new ParallelCpu({
      threads: 2,
      minWork: 0,
      slabValues: 400,
      warn: (line) => expect.fail(line),
    });
    try {
      const jobs = [0, 1, 2].map((i) => {
        const rows = 50 + 30 * i;
        const z = edgyLogits(rows, 40, 100 + i);
        const options = { groups: groupsFor(40, 100 + i, [0, 1, 2]), labels: labelsFor(rows, 40, i) };
        return { want: rowStatsCpu(z, rows, 40, options), got: par.rowStats(z, rows, 40, options) };
      });
      for (const { want, got } of jobs) expectSameStats(await got, want);
      // Sequential jobs reuse the scratch, shorter and longer than before.
      for (const rows of [20, 200, 7]) {
        const z = edgyLogits(rows, 40, rows);
        const options = { groups: groupsFor(40, rows, [0, 1]) };
        expectSameStats(await par.rowStats(z, rows, 40, options), rowStatsCpu(z, rows, 40, options));
      }
    } finally {
      par.close();
    }
  });

  it('matmul: the same bits on 1, 2 and 3 threads, on the workers when large enough', async () => {
    const next = rng(21);
    const [m, n, k] = [203, 77, 520];
    const a = Float32Array.from({ length: m * k }, () => randomNormal(next));
    const b = Float32Array.from({ length: n * k }, () => randomNormal(next));
    const options = { transB: true, bias: Float32Array.from({ length: n }, () => randomNormal(next)) };
    const want = matmulCpu(a, b, m, n, k, options);
    for (const threads of [1, 2, 3]) {
      const par = new ParallelCpu({ threads, minWork: 0, warn: (line) => expect.fail(line) });
      try {
        expectSameBits(await par.matmul(a, b, m, n, k, options), want, `C on ${threads} threads`);
        // On the pool: one piece (under 8 MiB of rows), 4 ranges per thread.
        expect(par.tasksDone).toBe(threads === 1 ? 0 : threads * 4);
      } finally {
        par.close();
      }
    }
    // Below minWork the kernel stays on the calling thread.
    const par = new ParallelCpu({ threads: 2, minWork: m * n * k + 1 });
    expectSameBits(await par.matmul(a, b, m, n, k, options), want, 'C on the calling thread');
    expect(par.tasksDone).toBe(0);
    par.close();
  });

  it('matmul: a matrix in several pieces (A in, C out while the workers compute) gives the same bits', async () => {
    const next = rng(23);
    const [m, n, k] = [3001, 700, 300];
    const a = Float32Array.from({ length: m * k }, () => randomNormal(next));
    const b = Float32Array.from({ length: n * k }, () => randomNormal(next));
    const bias = Float32Array.from({ length: n }, () => randomNormal(next));
    const alone = new ParallelCpu({ threads: 1 });
    const par = new ParallelCpu({ threads: 2, minWork: 0, warn: (line) => expect.fail(line) });
    try {
      for (const options of [{ transB: true, bias }, { transA: true }]) {
        const before = par.tasksDone;
        const got = await par.matmul(a, b, m, n, k, options);
        // 3–4 KB of A and C per row: two pieces (the first about 8 MiB), each up to 8 ranges.
        expect(par.tasksDone - before).toBeGreaterThan(8);
        expectSameBits(got, await alone.matmul(a, b, m, n, k, options), 'C');
      }
    } finally {
      par.close();
      alone.close();
    }
  });

  it('matmul: finishes on the calling thread, with one notice, if the pool dies under it', async () => {
    const notices: string[] = [];
    const par = new ParallelCpu({ threads: 2, minWork: 0, warn: (line) => notices.push(line) });
    const alone = new ParallelCpu({ threads: 1 });
    const next = rng(22);
    const [m, n, k] = [4000, 512, 256];
    const a = Float32Array.from({ length: m * k }, () => randomNormal(next));
    const b = Float32Array.from({ length: k * n }, () => randomNormal(next));
    try {
      const job = par.matmul(a, b, m, n, k);
      // Shut the pool once its first ranges are done and the rest still run.
      while (par.tasksDone === 0) await new Promise((r) => setTimeout(r, 1));
      par.close();
      expectSameBits(await job, await alone.matmul(a, b, m, n, k), 'C');
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/^ftcal: the CPU worker threads failed \(.*\); continuing on one thread$/);
    } finally {
      par.close();
      alone.close();
    }
  });

  it('with one thread never starts a worker', async () => {
    const par = new ParallelCpu({ threads: 1, minWork: 0 });
    const z = edgyLogits(50, 20, 9);
    const options = { groups: groupsFor(20, 9, [0, 1]) };
    expectSameStats(await par.rowStats(z, 50, 20, options), rowStatsCpu(z, 50, 20, options));
    expect(par.tasksDone).toBe(0);
  });

  it('finishes a job on the calling thread, with one notice, if the pool dies under it', async () => {
    const notices: string[] = [];
    const par = new ParallelCpu({ threads: 2, minWork: 0, warn: (line) => notices.push(line) });
    const z = edgyLogits(400, 50, 11);
    const options = { groups: groupsFor(50, 11, [0, 1, 2]) };
    const job = par.rowStats(z, 400, 50, options);
    par.close();
    expectSameStats(await job, rowStatsCpu(z, 400, 50, options));
    expectSameStats(await par.rowStats(z, 400, 50, options), rowStatsCpu(z, 400, 50, options));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^ftcal: the CPU worker threads failed \(.*\); continuing on one thread$/);
    expect(par.tasksDone).toBe(0);
  });

  it('restarts its workers for a job after close()', async () => {
    const par = new ParallelCpu({ threads: 2, minWork: 0, warn: (line) => expect.fail(line) });
    const z = edgyLogits(40, 30, 12);
    const options = { groups: groupsFor(30, 12, [0, 1]) };
    await par.rowStats(z, 40, 30, options);
    par.close();
    expectSameStats(await par.rowStats(z, 40, 30, options), rowStatsCpu(z, 40, 30, options));
    expect(par.tasksDone).toBe(16);
    par.close();
  });
});

describe('WorkerPool', () => {
  // A worker program of the test's own that speaks the pool's protocol: its kernel 'boom' marks the rows it
  // ran, throws for the range starting at row 4, and with { die: true } kills its thread.
  const boomWorker = new URL('./fixtures/boom-worker.mjs', import.meta.url);

  it('covers every row once, reports a throwing kernel, then fails for good when a worker dies', async () => {
    const pool = new WorkerPool(2, boomWorker);
    const run = (args: object, ranges: [number, number][]) => pool.run('boom' as never, args, ranges);
    try {
      const seen = new Int32Array(new SharedArrayBuffer(4 * 10));
      await run({ die: false, seen }, rowRanges(4, 3));
      expect(Array.from(seen.subarray(0, 4))).toEqual([0, 1, 2, 2]);
      await expect(run({ die: false, seen }, [[4, 6]])).rejects.toThrow(/kernel boom failed: .*no row 4/);
      await run({ die: false, seen }, [[6, 10]]);
      await expect(run({ die: true, seen }, [[0, 1]])).rejects.toThrow(/exited with code 3/);
      await expect(run({ die: false, seen }, [[0, 1]])).rejects.toThrow(/exited with code 3/);
      expect(pool.tasksDone).toBe(5);
    } finally {
      pool.close();
    }
  });

  it('fails its job, not the process, when the worker program is missing', async () => {
    const pool = new WorkerPool(1, new URL('./fixtures/no-such-worker.mjs', import.meta.url));
    try {
      await expect(pool.run('rowPassRows', {}, [[0, 1]])).rejects.toThrow(/cpu pool: a worker failed/);
    } finally {
      pool.close();
    }
  });

  it('splits rows into even contiguous ranges', () => {
    expect(rowRanges(10, 4)).toEqual([
      [0, 2],
      [2, 5],
      [5, 7],
      [7, 10],
    ]);
    expect(rowRanges(2, 8)).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(rowRanges(0, 8)).toEqual([[0, 0]]);
  });
});

describe('thread count', () => {
  it('reads FTCAL_CPU_THREADS, defaults to the cores (at most 8), and rejects nonsense', () => {
    expect(cpuThreads({})).toBeGreaterThanOrEqual(1);
    expect(cpuThreads({})).toBeLessThanOrEqual(8);
    expect(cpuThreads({ FTCAL_CPU_THREADS: '3' })).toBe(3);
    expect(cpuThreads({ FTCAL_CPU_THREADS: ' ' })).toBe(cpuThreads({}));
    for (const bad of ['0', '-2', '1.5', 'two', '1000']) {
      expect(() => cpuThreads({ FTCAL_CPU_THREADS: bad })).toThrow(InputError);
    }
    expect(() => cpuThreads({ FTCAL_CPU_THREADS: 'two' })).toThrow(
      /^FTCAL_CPU_THREADS: 'two' is not a whole number/,
    );
  });

  it('CpuBackend names its threads, runs rowStats on them, and dispose() stops them', async () => {
    const backend = new CpuBackend({ threads: 2, minWork: 0 });
    expect(backend.name).toBe('cpu (TypeScript, WebAssembly SIMD matmul, 2 threads)');
    expect(new CpuBackend({ threads: 1 }).name).toBe('cpu (TypeScript, WebAssembly SIMD matmul, 1 thread)');
    const z = edgyLogits(64, 40, 21);
    const options = { groups: groupsFor(40, 21, [0, 1, 2]), labels: labelsFor(64, 40, 21) };
    expectSameStats(await backend.rowStats(z, 64, 40, options), rowStatsCpu(z, 64, 40, options));
    expect(backend.parallel.tasksDone).toBe(8);
    backend.dispose();
  });
});
