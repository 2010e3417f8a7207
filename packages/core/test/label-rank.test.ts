import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelRankOptions } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu.ts';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { labelRanksCpu } from '../src/cpu/label-rank.ts';
import { openTestGpu, randomGroups, randomLabels, randomLogits, rng, TEST_ADAPTERS } from './gpu-harness.ts';

const NEG_INF = Number.NEGATIVE_INFINITY;

const logits = randomLogits;
const groupsFor = randomGroups;
const labelsFor = randomLabels;

/**
 * Independent reference: sorts each row's classes into the order DESIGN.md §1.2 defines and reads the
 * label's position. Score z + γ·[c∈U]; a U class u goes before an S∪O class d iff z_u + γ > z_d, read
 * as γ > z_d − z_u (exact for f32 inputs), with -∞ never first on the U side and always last on S∪O.
 */
function referenceRanks(z: Float32Array, rows: number, cols: number, o: LabelRankOptions) {
  const gamma = o.gamma ?? 0;
  const isU = (c: number) => o.groups[c] === 1;
  const before = (a: number, b: number, row: Float32Array): boolean => {
    if (isU(a) === isU(b)) return row[a]! > row[b]! || (row[a] === row[b] && a < b);
    const [u, d] = isU(a) ? [a, b] : [b, a];
    const uFirst = row[u] === NEG_INF ? false : row[d] === NEG_INF ? true : gamma > row[d]! - row[u]!;
    return isU(a) ? uFirst : !uFirst;
  };
  const rankY = new Int32Array(rows);
  const rankOwn = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = z.subarray(r * cols, (r + 1) * cols);
    const order = Array.from({ length: cols }, (_, c) => c).sort((a, b) =>
      before(a, b, row) ? -1 : before(b, a, row) ? 1 : 0,
    );
    const y = o.labels[r]!;
    rankY[r] = order.indexOf(y);
    rankOwn[r] = order.filter((c) => o.groups[c] === o.groups[y]).indexOf(y);
  }
  return { rankY, rankOwn };
}

describe('labelRanks CPU twin against an independent sort', () => {
  const cases = [
    { rows: 1, cols: 1, seed: 1, gamma: 0 },
    { rows: 1, cols: 7, seed: 2, gamma: 1.5 },
    { rows: 64, cols: 12, seed: 3, gamma: 0, lattice: 0.5 },
    { rows: 64, cols: 12, seed: 4, gamma: 0.5, lattice: 0.5 },
    { rows: 40, cols: 33, seed: 5, gamma: -2.25 },
    { rows: 20, cols: 257, seed: 6, gamma: 3 },
  ];
  for (const { rows, cols, seed, gamma, lattice } of cases) {
    it(`${rows}×${cols}, γ = ${gamma}${lattice ? ', ties' : ''}`, () => {
      const z = logits(rows, cols, seed, 3, lattice);
      const o = { groups: groupsFor(cols, seed + 100), labels: labelsFor(rows, cols, seed + 200), gamma };
      const got = labelRanksCpu(z, rows, cols, o);
      const want = referenceRanks(z, rows, cols, o);
      expect([...got.rankY]).toEqual([...want.rankY]);
      expect([...got.rankOwn]).toEqual([...want.rankOwn]);
    });
  }

  it('follows the tie and -∞ rules across groups', () => {
    // Classes 0,1 in S, 2 in O, 3,4 in U. Row 0: all equal; row 1: U at -∞; row 2: S∪O at -∞;
    // row 3: everything at -∞; row 4: a U logit exactly γ below the label.
    const groups = Uint32Array.from([0, 0, 2, 1, 1]);
    const z = Float32Array.from([
      ...[1, 1, 1, 1, 1],
      ...[0, 2, 1, NEG_INF, NEG_INF],
      ...[NEG_INF, NEG_INF, NEG_INF, -5, 3],
      ...[NEG_INF, NEG_INF, NEG_INF, NEG_INF, NEG_INF],
      ...[2, 0, 0, 1, 0],
    ]);
    const labels = Int32Array.from([3, 0, 3, 4, 0]);
    const got = labelRanksCpu(z, 5, 5, { groups, labels, gamma: 1 });
    // Row 0 at γ = 1: U scores 2 beat S∪O's 1, and label 3 wins its tie with class 4 by index. Row 1:
    // a U class at -∞ never goes first. Row 2: a finite U logit always goes before S∪O at -∞; label 3
    // (-5) comes after class 4 (3). Row 3: all -∞, S∪O first, then index order. Row 4: class 3's
    // 1 + γ = 2 ties the label's 2, and ties go to S∪O.
    expect([...got.rankY]).toEqual([0, 2, 1, 4, 0]);
    expect([...got.rankOwn]).toEqual([0, 1, 1, 1, 0]);
  });
});

describe.each(TEST_ADAPTERS)('labelRanks: GPU against the CPU twin on %s', (adapter) => {
  let gpu: WebGpuBackend | null = null;
  const cpu = new CpuBackend({ threads: 1 });
  beforeAll(async () => {
    gpu = await openTestGpu(adapter);
  });
  afterAll(() => {
    gpu?.dispose();
    cpu.dispose();
  });

  async function expectSame(z: Float32Array, rows: number, cols: number, o: LabelRankOptions) {
    const g = await gpu!.labelRanks(z, rows, cols, o);
    const c = await cpu.labelRanks(z, rows, cols, o);
    expect([...g.rankY]).toEqual([...c.rankY]);
    expect([...g.rankOwn]).toEqual([...c.rankOwn]);
  }

  const shapes = [
    [1, 1],
    [1, 10],
    [97, 5],
    [300, 33],
    [64, 1000],
  ] as const;
  for (const [rows, cols] of shapes) {
    for (const gamma of [0, 0.7, -3.1]) {
      it(`${rows}×${cols}, γ = ${gamma}`, async (ctx) => {
        if (!gpu) return ctx.skip();
        const z = logits(rows, cols, rows * 31 + cols);
        await expectSame(z, rows, cols, {
          groups: groupsFor(cols, cols),
          labels: labelsFor(rows, cols, rows),
          gamma,
        });
      });
    }
  }

  it('agrees on exact ties, -∞, ±3e38 and γ on a logit difference (rows decided in float64)', async (ctx) => {
    if (!gpu) return ctx.skip();
    const rows = 256;
    const cols = 12;
    const z = logits(rows, cols, 77, 2, 0.25);
    const next = rng(78);
    for (let i = 0; i < z.length; i++) {
      const u = next();
      if (u < 0.05) z[i] = NEG_INF;
      else if (u < 0.07) z[i] = 3e38;
      else if (u < 0.09) z[i] = -3e38;
    }
    const groups = groupsFor(cols, 79);
    const labels = labelsFor(rows, cols, 80);
    // γ = 0.25 and 0.5 equal many lattice differences exactly: those rows are decided on the host.
    for (const gamma of [0, 0.25, 0.5, 1e-9, 0.1]) await expectSame(z, rows, cols, { groups, labels, gamma });
  });

  it('splits rows into chunks when a binding is smaller than the input', async (ctx) => {
    if (!gpu) return ctx.skip();
    const rows = 203;
    const cols = 33;
    const z = logits(rows, cols, 5);
    gpu.ctx.capBindingBytes(cols * 4 * 17);
    try {
      await expectSame(z, rows, cols, {
        groups: groupsFor(cols, 6),
        labels: labelsFor(rows, cols, 7),
        gamma: 0.4,
      });
    } finally {
      gpu.ctx.capBindingBytes(undefined);
    }
  });

  it('refuses labels outside [0, C) and a non-finite γ before any work', async () => {
    const z = new Float32Array(6);
    const groups = Uint32Array.from([0, 1, 1]);
    await expect(cpu.labelRanks(z, 2, 3, { groups, labels: Int32Array.from([0, 3]) })).rejects.toThrow(
      /label 3 at row 1 is outside/,
    );
    await expect(
      cpu.labelRanks(z, 2, 3, { groups, labels: Int32Array.from([0, 1]), gamma: Number.NaN }),
    ).rejects.toThrow(/γ must be a finite number/);
  });
});
