import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowStats, RowStatsOptions } from '../src/backend/backend.ts';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { rowStatsCpu } from '../src/cpu/row-stats.ts';
import { pickRowKernel } from '../src/webgpu/kernel-variants.ts';
import { ROW_STATS_KERNELS } from '../src/webgpu/resident-rows.ts';
import { randomNormal, rng } from './gpu-harness.ts';
import { GPU_RUNS, openGpuRun } from './gpu-variants.ts';

const NEG_INF = Number.NEGATIVE_INFINITY;

function logits(rows: number, cols: number, seed: number, scale = 3): Float32Array {
  const next = rng(seed);
  const z = new Float32Array(rows * cols);
  for (let i = 0; i < z.length; i++) z[i] = randomNormal(next) * scale;
  return z;
}

/** Random group codes; `codes` picks which of 0 (S), 1 (U), 2 (O) may appear. */
function groupsFor(cols: number, seed: number, codes: readonly number[] = [0, 1, 2]): Uint32Array {
  const next = rng(seed);
  return Uint32Array.from({ length: cols }, () => codes[Math.floor(next() * codes.length)]!);
}

function labelsFor(rows: number, cols: number, seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: rows }, () => Math.floor(next() * cols));
}

/**
 * Independent reference: gathers each group into a plain array, then Math.max / indexOf for the maxima
 * (indexOf finds the first, i.e. lowest, tied index) and a float64 log-sum-exp of fround(z·fround(1/T)).
 */
function rowStatsReference(z: Float32Array, rows: number, cols: number, o: RowStatsOptions) {
  const invT = Math.fround(1 / (o.temperature ?? 1));
  const result = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from(z.subarray(r * cols, (r + 1) * cols));
    const idx = (keep: (g: number) => boolean) => row.map((_, c) => c).filter((c) => keep(o.groups[c]!));
    const best = (cs: number[]) => {
      if (cs.length === 0) return { max: NEG_INF, arg: -1 };
      const vals = cs.map((c) => row[c]!);
      // The value is taken at the arg, so a -0 tied with 0 at a higher index is reported as -0.
      const arg = cs[vals.indexOf(Math.max(...vals))]!;
      return { max: row[arg]!, arg };
    };
    const lse = (cs: number[], factor = 1) => {
      const s = cs.map((c) => factor * Math.fround(row[c]! * invT));
      const m = Math.max(...s);
      if (cs.length === 0 || m === NEG_INF) return NEG_INF;
      return m + Math.log(s.reduce((a, v) => a + Math.exp(v - m), 0));
    };
    // log Σ p² of the group's own softmax: log Σ exp(2s) − 2·log Σ exp(s).
    const logSq = (cs: number[]) => (lse(cs) === NEG_INF ? NEG_INF : lse(cs, 2) - 2 * lse(cs));
    const S = idx((g) => g === 0);
    const U = idx((g) => g === 1);
    const SO = idx((g) => g !== 1);
    const y = o.labels?.[r] ?? -1;
    result.push({
      so: best(SO),
      u: best(U),
      s: best(S),
      label: y >= 0 && y < cols ? row[y]! : Number.NaN,
      sumS: S.reduce((a, c) => a + row[c]!, 0),
      sumU: U.reduce((a, c) => a + row[c]!, 0),
      lseSO: lse(SO),
      lseU: lse(U),
      logSqSO: logSq(SO),
      logSqU: logSq(U),
    });
  }
  return result;
}

const MAX_FIELDS = ['maxSO', 'argSO', 'maxU', 'argU', 'maxS', 'argS', 'label'] as const;
const SUM_FIELDS = ['sumS', 'sumU', 'lseSO', 'lseU', 'logSqSO', 'logSqU'] as const;

/**
 * Maxima, arguments and label logits must be identical (Object.is, so -0 ≠ 0 would show). Sums and
 * log-sum-exps: |gpu − cpu| ≤ 1e-5·|cpu| + 1e-6·scale, where scale is the row's largest |z| (sums of
 * mixed signs can cancel to near 0, leaving only the f32 rounding of the addends).
 */
function expectSameStats(gpu: RowStats, cpu: RowStats, z: Float32Array, cols: number): void {
  expect(gpu.rows).toBe(cpu.rows);
  for (let r = 0; r < cpu.rows; r++) {
    for (const f of MAX_FIELDS) {
      const g = gpu[f][r]!;
      const c = cpu[f][r]!;
      if (!Object.is(g, c)) throw new Error(`row ${r} ${f}: gpu ${g} vs cpu ${c}`);
    }
    let scale = 0;
    for (let c = 0; c < cols; c++) {
      const v = Math.abs(z[r * cols + c]!);
      if (Number.isFinite(v)) scale = Math.max(scale, v);
    }
    for (const f of SUM_FIELDS) {
      const g = gpu[f][r]!;
      const c = cpu[f][r]!;
      if (Object.is(g, c) || (Number.isNaN(g) && Number.isNaN(c))) continue;
      if (!(Math.abs(g - c) <= 1e-5 * Math.abs(c) + 1e-6 * scale)) {
        throw new Error(`row ${r} ${f}: gpu ${g} vs cpu ${c}`);
      }
    }
  }
}

describe('rowStats: CPU twin against an independent implementation', () => {
  const cases: [number, number, number, RowStatsOptions['temperature']][] = [
    [1, 1, 1, 1],
    [6, 9, 2, 0.7],
    [20, 40, 3, 2.5],
  ];
  for (const [rows, cols, seed, temperature] of cases) {
    it(`${rows}×${cols}, T=${temperature}`, () => {
      // Rounded logits make exact ties (within and across groups) common.
      const z = logits(rows, cols, seed).map(Math.round);
      z[0] = NEG_INF;
      const options = {
        groups: groupsFor(cols, seed + 10),
        labels: labelsFor(rows, cols, seed),
        temperature,
      };
      const got = rowStatsCpu(z, rows, cols, options);
      rowStatsReference(z, rows, cols, options).forEach((want, r) => {
        expect([got.maxSO[r], got.argSO[r]]).toEqual([Math.fround(want.so.max), want.so.arg]);
        expect([got.maxU[r], got.argU[r]]).toEqual([Math.fround(want.u.max), want.u.arg]);
        expect([got.maxS[r], got.argS[r]]).toEqual([Math.fround(want.s.max), want.s.arg]);
        expect(got.label[r]).toBe(Math.fround(want.label));
        expect(got.sumS[r]).toBeCloseTo(want.sumS, 4);
        expect(got.sumU[r]).toBeCloseTo(want.sumU, 4);
        expect(got.lseSO[r]).toBeCloseTo(want.lseSO, 5);
        expect(got.lseU[r]).toBeCloseTo(want.lseU, 5);
        expect(got.logSqSO[r]).toBeCloseTo(want.logSqSO, 10);
        expect(got.logSqU[r]).toBeCloseTo(want.logSqU, 10);
      });
    });
  }

  it('follows the tie and empty-group rules', () => {
    const z = Float32Array.from([
      ...[2, 5, 5, 1, 5, 0],
      ...[NEG_INF, NEG_INF, NEG_INF, NEG_INF, NEG_INF, NEG_INF],
      ...[-0, 0, 0, -0, 0, -0],
    ]);
    const groups = Uint32Array.from([0, 1, 2, 0, 0, 1]);
    const s = rowStatsCpu(z, 3, 6, { groups });
    expect([s.maxSO[0], s.argSO[0], s.maxU[0], s.argU[0], s.maxS[0], s.argS[0]]).toEqual([5, 2, 5, 1, 5, 4]);
    // A group of only -inf reports its lowest index; its log-sum-exp is -inf.
    expect([s.argSO[1], s.argU[1], s.argS[1], s.lseSO[1], s.lseU[1]]).toEqual([0, 1, 0, NEG_INF, NEG_INF]);
    expect(Object.is(s.maxS[2], -0)).toBe(true);
    expect(Number.isNaN(s.label[0]!)).toBe(true);
    const noU = rowStatsCpu(z.subarray(0, 6), 1, 6, { groups: new Uint32Array(6) });
    expect([noU.maxU[0], noU.argU[0], noU.sumU[0], noU.lseU[0]]).toEqual([NEG_INF, -1, 0, NEG_INF]);
  });
});

describe.each(GPU_RUNS)('row-statistics kernel vs CPU twin on $title', (run) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openGpuRun(run);
  });
  afterAll(() => gpu?.dispose());

  it('runs the subgroup variant exactly when the device has subgroups (rows of 17+ columns)', (ctx) => {
    if (!gpu) return ctx.skip();
    const sub = gpu.ctx.features.subgroups;
    expect(pickRowKernel(gpu.ctx, ROW_STATS_KERNELS, 1000).kernel).toBe(
      sub ? ROW_STATS_KERNELS.vec4 : ROW_STATS_KERNELS.fallback,
    );
    expect(pickRowKernel(gpu.ctx, ROW_STATS_KERNELS, 33).kernel).toBe(
      sub ? ROW_STATS_KERNELS.scalar : ROW_STATS_KERNELS.fallback,
    );
    expect(pickRowKernel(gpu.ctx, ROW_STATS_KERNELS, 16).kernel).toBe(ROW_STATS_KERNELS.fallback);
  });

  // Columns around the subgroup variant's limits: 17 (its shortest row), multiples of 4 (vec4 loads) or
  // not, rows held in registers or not (128 and 1024 columns fill them with subgroups of 4 and 32), and
  // row counts that are not a multiple of a workgroup's rows.
  const shapes: [number, number, number[]][] = [
    [1, 1, [0, 1, 2]],
    [1, 7, [0, 1, 2]],
    [3, 128, [0, 1, 2]],
    [5, 129, [0, 1]],
    [37, 1000, [0, 1, 2]],
    [2, 3001, [0, 1]],
    [300, 10, [0, 1, 2]],
    [1000, 3, [0, 2]],
    [70, 33, [0]],
    [65, 17, [0, 1, 2]],
    [100, 20, [1, 2]],
    [33, 1024, [0, 1, 2]],
  ];
  for (const [rows, cols, codes] of shapes) {
    it(`${rows}×${cols}, groups ${codes.join('')}${codes.includes(1) ? '' : ' (U empty)'}`, async (ctx) => {
      if (!gpu) return ctx.skip();
      const z = logits(rows, cols, rows * 7919 + cols);
      const options = {
        groups: groupsFor(cols, cols, codes),
        labels: labelsFor(rows, cols, rows),
        temperature: 0.7,
      };
      expectSameStats(
        await gpu.rowStats(z, rows, cols, options),
        rowStatsCpu(z, rows, cols, options),
        z,
        cols,
      );
    });
  }

  // 40 columns fit a lane's registers on any subgroup size; 300 need the loop past them on small ones.
  it.for([40, 300])(
    'gives identical maxima on exact ties within and across groups, -inf, ±3e38 and -0 (%i columns)',
    async (cols, ctx) => {
      if (!gpu) return ctx.skip();
      const rows = 64;
      const next = rng(4242);
      // Small integers make ties everywhere; sprinkled specials test the edge rules at every lane offset.
      const z = logits(rows, cols, 17, 2).map(Math.round);
      for (let i = 0; i < z.length; i++) {
        const u = next();
        if (u < 0.05) z[i] = NEG_INF;
        else if (u < 0.06) z[i] = -0;
      }
      // At most one +3e38 and one -3e38 per row, so no order of f32 additions overflows the sums.
      for (let r = 0; r < rows; r += 3) {
        z[r * cols + Math.floor(next() * cols)] = 3e38;
        z[r * cols + Math.floor(next() * cols)] = -3e38;
      }
      z.fill(NEG_INF, 5 * cols, 6 * cols);
      const groups = groupsFor(cols, 5);
      const labels = labelsFor(rows, cols, 6);
      labels[3] = -1;
      labels[4] = cols;
      for (const temperature of [1, 3]) {
        const options = { groups, labels, temperature };
        const cpu = rowStatsCpu(z, rows, cols, options);
        expectSameStats(await gpu.rowStats(z, rows, cols, options), cpu, z, cols);
        expect([cpu.argSO[5], cpu.lseSO[5], Number.isNaN(cpu.label[3]!)]).toEqual([0, NEG_INF, true]);
      }
    },
  );

  it('returns NaN labels without labels and keeps an empty group at -inf / -1', async (ctx) => {
    if (!gpu) return ctx.skip();
    const z = logits(9, 50, 3);
    const options = { groups: groupsFor(50, 8, [0, 2]) };
    const got = await gpu.rowStats(z, 9, 50, options);
    expectSameStats(got, rowStatsCpu(z, 9, 50, options), z, 50);
    expect(got.label.every(Number.isNaN)).toBe(true);
    expect([...got.argU]).toEqual(new Array(9).fill(-1));
  });

  it('splits rows into chunks when a binding is smaller than the input', async (ctx) => {
    if (!gpu) return ctx.skip();
    for (const cols of [5, 33]) {
      const rows = 203;
      const z = logits(rows, cols, 99 + cols);
      const options = { groups: groupsFor(cols, 1), labels: labelsFor(rows, cols, 2) };
      gpu.ctx.capBindingBytes(Math.max(cols, 11) * 4 * 17);
      try {
        expectSameStats(
          await gpu.rowStats(z, rows, cols, options),
          rowStatsCpu(z, rows, cols, options),
          z,
          cols,
        );
      } finally {
        gpu.ctx.capBindingBytes(undefined);
      }
    }
  });
});
