import { CpuBackend, gammaCurve, makeGroups, statsOfArray } from '@ftcal/core';
import { describe, expect, it } from 'vitest';
import { syntheticGroups, syntheticLogits } from '../src/data.ts';
import { breakpoints, paperCurve } from '../src/peers/paper-curve.ts';

/**
 * The bench compares ftcal's exact curve with the paper's re-scan only on timing; this checks that the
 * two really compute the same curve, so the ratio in docs/benchmarks.md compares like with like.
 */
describe("the paper's re-scan curve (bench peer)", () => {
  for (const [rows, cols, seed] of [
    [1, 2, 1],
    [7, 3, 2],
    [200, 10, 3],
    [500, 51, 4],
  ] as const) {
    it(`matches core's exact γ curve point for point (N=${rows}, C=${cols})`, async () => {
      const { z, labels } = syntheticLogits(0, rows, cols, seed);
      const codes = syntheticGroups(cols);
      const seen = [...codes.keys()].filter((c) => codes[c] === 0);
      const groups = makeGroups(cols, seen);
      const be = new CpuBackend();
      const data = await statsOfArray(be, z, rows, cols, { groups, labels });
      const exact = await gammaCurve(be, { stats: data.stats, labels: data.labels, groups });
      const paper = paperCurve(z, rows, cols, labels, codes);

      expect(paper.gammas.length).toBe(exact.points.length);
      exact.points.forEach((p, k) => {
        expect(paper.gammas[k]).toBeCloseTo(p.gamma, 9);
        // core reports percent, the paper's curve fractions.
        for (const [mine, theirs] of [
          [paper.seen[k]! * 100, p.seen],
          [paper.unseen[k]! * 100, p.unseen],
        ]) {
          if (Number.isNaN(theirs)) expect(mine).toBeNaN();
          else expect(mine).toBeCloseTo(theirs!, 9);
        }
      });
      if (Number.isNaN(exact.ausuc)) expect(paper.ausuc).toBeNaN();
      else expect(paper.ausuc).toBeCloseTo(exact.ausuc, 12);
    });
  }

  it('puts one breakpoint below, between and above the distinct gaps', () => {
    // Rows 0 and 1 share the gap 1; row 2 has gap -2. Classes 0 (seen) and 1 (absent).
    const z = Float32Array.of(2, 1, 3, 2, 0, 2);
    const g = breakpoints(z, 3, 2, Uint32Array.of(0, 1));
    expect([...g]).toEqual([-3, -0.5, 2]);
  });
});
