import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { ResidentLogits } from '../../src/backend/resident-logits.ts';
import { accuracyAt } from '../../src/calib/accuracy.ts';
import { gammaCurve } from '../../src/calib/curve.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { algMethod } from '../../src/calib/methods/alg.ts';
import { constrainedMethod, oracleMethod } from '../../src/calib/methods/curve-picks.ts';
import { nllMethod } from '../../src/calib/methods/nll.ts';
import type { PcvDetails } from '../../src/calib/methods/pcv.ts';
import { accumulateStats } from '../../src/calib/stats.ts';
import { methodNote } from '../../src/report/method-notes.ts';
import { loadFixture, sourceOf } from '../calib/fixtures.ts';

describe('methodNote', () => {
  it('says what each method used and how it stopped, from its own details', async () => {
    const cpu = new CpuBackend();
    const fx = loadFixture('basic');
    const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);
    const data = await accumulateStats(cpu, sourceOf(fx.logits), { groups, labels: fx.labels });
    const train = await accumulateStats(cpu, sourceOf(fx.train.logits), { groups, labels: fx.train.labels });
    const curve = await gammaCurve(cpu, data);
    const passes = ResidentLogits.of(sourceOf(fx.logits), { labels: fx.labels });
    expect(methodNote(algMethod(train))).toBe('150 seen-labelled fitting rows, no absent-class data');
    expect(methodNote(oracleMethod(curve))).toMatch(
      new RegExp(`^curve point \\d+ of ${curve.points.length}; uses absent-class labels$`),
    );
    const seen0 = accuracyAt(data, 0)['S/Y'];
    expect(methodNote(constrainedMethod(curve, seen0, 2))).toBe(
      `seen ≥ ${(seen0 - 2).toFixed(2)} (δ = 2); uses absent-class labels`,
    );
    const fold = { pretrainedUnseen: 50, point: null, rows: 10, droppedRows: 0 };
    const pcv: PcvDetails = {
      folds: [
        { ...fold, gamma: 1.5, satisfied: true },
        { ...fold, gamma: null, satisfied: false },
      ],
      usedFolds: 1,
    };
    expect(methodNote({ method: 'pcv', details: pcv })).toBe(
      "mean of 1 of 2 folds, γ 1.500, skipped; 1 fold(s) skipped: no γ reached the pre-trained pseudo-absent accuracy (as the paper's code does)",
    );
    expect(methodNote(await nllMethod(cpu, passes, groups))).toMatch(
      /^\d+ Newton steps, \|grad\| \d\.\de-\d+, converged; uses absent-class labels$/,
    );
  });
});
