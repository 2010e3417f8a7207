import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowPass, RowPassOptions } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu.ts';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { ACCUMULATORS, type ChunkRows } from '../src/calib/accumulators.ts';
import { columnsOf } from '../src/cpu/columns.ts';
import { ParallelCpu } from '../src/cpu/parallel.ts';
import { expNonPositive, groupRuns } from '../src/cpu/row-pass.ts';
import { rowPassCpu } from '../src/cpu/row-stats.ts';
import { openTestGpu, randomNormal, rng, TEST_ADAPTERS } from './gpu-harness.ts';

const NEG_INF = Number.NEGATIVE_INFINITY;

/** Seeded logits with -inf entries, integer ties, and rows holding NaN or +Infinity every seventh row. */
function logits(rows: number, cols: number, seed: number): Float32Array {
  const next = rng(seed);
  const z = new Float32Array(rows * cols);
  for (let i = 0; i < z.length; i++) {
    const u = next();
    z[i] = u < 0.05 ? NEG_INF : u < 0.4 ? Math.round(randomNormal(next) * 3) : randomNormal(next) * 3;
  }
  for (let r = 3; r < rows; r += 7) z[r * cols + Math.floor(next() * cols)] = r % 2 ? Number.NaN : Infinity;
  return z;
}

const groupsFor = (cols: number, seed: number) => {
  const next = rng(seed);
  return Uint32Array.from({ length: cols }, () => Math.floor(next() * 3));
};
const labelsFor = (rows: number, cols: number, seed: number) => {
  const next = rng(seed);
  return Int32Array.from({ length: rows }, () => Math.floor(next() * cols));
};

/** A test accumulator: per label, how many rows it saw (an integer state, as the contract asks). */
ACCUMULATORS['test-label-counts'] = {
  stateLength: (_params: never, cols: number) => cols,
  addRow(state: Float64Array, _params: never, chunk: ChunkRows, r: number) {
    state[chunk.labels![r]!]! += 1;
  },
};

describe('the fused row pass', () => {
  it('computes exp(x) for x ≤ 0 within 1e-15 of Math.exp down to the subnormals, 0 below, for -inf and NaN', () => {
    const next = rng(5);
    let worst = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = -next() * (i % 2 ? 708 : 20);
      const want = Math.exp(x);
      if (want > 0) worst = Math.max(worst, Math.abs(expNonPositive(x) - want) / want);
    }
    expect(worst).toBeLessThan(1e-15);
    expect(expNonPositive(0)).toBe(1);
    expect([expNonPositive(-746), expNonPositive(NEG_INF), expNonPositive(Number.NaN)]).toEqual([0, 0, 0]);
  });

  it('visits classes as runs of one group', () => {
    expect([...groupRuns(Uint32Array.from([0, 0, 1, 1, 1, 2, 0]))]).toEqual([
      0, 2, 0, 2, 5, 1, 5, 6, 2, 6, 7, 0,
    ]);
    expect([...groupRuns(new Uint32Array(0))]).toEqual([]);
  });

  it('marks NaN/+Infinity rows, keeps finite moments, and feeds only counted rows to accumulators', () => {
    const rows = 40;
    const cols = 9;
    const z = logits(rows, cols, 1);
    const groups = groupsFor(cols, 2);
    const labels = labelsFor(rows, cols, 3);
    const keep = Uint8Array.from({ length: rows }, (_, r) => (r % 5 === 1 ? 0 : 1));
    const pass = rowPassCpu(z, rows, cols, {
      groups,
      labels,
      keep,
      accumulators: [{ name: 'test-label-counts', params: null }],
    });
    const counts = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(z.subarray(r * cols, (r + 1) * cols));
      const bad = row.some((v) => Number.isNaN(v) || v === Infinity);
      expect(Number.isNaN(pass.stats.lseSO[r]!)).toBe(bad);
      if (!bad && keep[r]) counts[labels[r]!]! += 1;
      for (const [g, name] of [
        [0, 'S'],
        [1, 'U'],
        [2, 'O'],
      ] as const) {
        const finite = row.filter((v, c) => groups[c] === g && v > NEG_INF);
        const m = pass.moments;
        expect(m[`count${name}`][r]).toBe(finite.length);
        expect(m[`sum${name}`][r]).toBeCloseTo(
          finite.reduce((a, v) => a + v, 0),
          10,
        );
        expect(m[`sumSq${name}`][r]).toBeCloseTo(
          finite.reduce((a, v) => a + v * v, 0),
          8,
        );
      }
    }
    expect([...pass.accumulated[0]!]).toEqual([...counts]);
  });

  it('is refused with a name nobody registered', async () => {
    const cpu = new CpuBackend({ threads: 1 });
    await expect(
      cpu.rowPass(new Float32Array(2), 1, 2, {
        groups: new Uint32Array(2),
        accumulators: [{ name: 'nope', params: null }],
      }),
    ).rejects.toThrow(/no chunk accumulator named 'nope'/);
  });
});

function expectSamePass(got: RowPass, want: RowPass): void {
  for (const part of ['stats', 'moments'] as const) {
    const w = Object.fromEntries(columnsOf(want[part]));
    for (const [key, col] of columnsOf(got[part])) {
      const a = new Uint8Array(col.buffer, col.byteOffset, col.byteLength);
      const b = new Uint8Array(w[key]!.buffer, w[key]!.byteOffset, w[key]!.byteLength);
      expect(Buffer.compare(a, b), `${part}.${key}`).toBe(0);
    }
  }
}

describe('rowPass on the worker pool: bit-identical to the twin', () => {
  const par = new ParallelCpu({ threads: 2, minWork: 0, slabValues: 500, warn: (line) => expect.fail(line) });
  afterAll(() => par.close());
  for (const [rows, cols] of [
    [1, 1],
    [50, 7],
    [203, 64],
  ] as const) {
    it(`${rows}×${cols}`, async () => {
      const z = logits(rows, cols, rows + cols);
      const options: RowPassOptions = {
        groups: groupsFor(cols, cols),
        labels: labelsFor(rows, cols, rows),
        temperature: 0.7,
      };
      const before = par.tasksDone;
      expectSamePass(await par.rowPass(z, rows, cols, options), rowPassCpu(z, rows, cols, options));
      expect(par.tasksDone).toBeGreaterThan(before);
    });
  }
});

describe.each(TEST_ADAPTERS)(
  'rowPass on WebGPU: device statistics, host marks and moments on %s',
  (adapter) => {
    let gpu: WebGpuBackend | null = null;
    beforeAll(async () => {
      gpu = await openTestGpu(adapter);
    });
    afterAll(() => gpu?.dispose());

    it('marks the same rows, gives the same moments and accumulator states as the CPU', async (ctx) => {
      if (!gpu) return ctx.skip();
      const rows = 120;
      const cols = 33;
      const z = logits(rows, cols, 9);
      const options: RowPassOptions = {
        groups: groupsFor(cols, 10),
        labels: labelsFor(rows, cols, 11),
        accumulators: [{ name: 'test-label-counts', params: null }],
      };
      const g = await gpu.rowPass(z, rows, cols, options);
      const c = rowPassCpu(z, rows, cols, options);
      for (let r = 0; r < rows; r++) {
        expect(Number.isNaN(g.stats.lseSO[r]!)).toBe(Number.isNaN(c.stats.lseSO[r]!));
        if (Number.isNaN(c.stats.lseSO[r]!)) continue;
        expect(g.stats.argSO[r]).toBe(c.stats.argSO[r]);
        expect(g.stats.logSqU[r]).toBeCloseTo(c.stats.logSqU[r]!, 5);
      }
      expect(columnsOf(g.moments)).toEqual(columnsOf(c.moments));
      expect(g.accumulated).toEqual(c.accumulated);
    });
  },
);
