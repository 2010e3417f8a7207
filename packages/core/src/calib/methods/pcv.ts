import type { Backend } from '../../backend/backend.ts';
import { InputError } from '../../errors.ts';
import type { RowSource } from '../../io/row-source.ts';
import { accuracyAt } from '../accuracy.ts';
import { bestPoint, type CurvePoint, gammaCurve } from '../curve.ts';
import { type ClassGroups, makeGroups } from '../groups.ts';
import { accumulateStats, type NanPolicy } from '../stats.ts';
import { type MethodResult, methodNeeds } from './result.ts';

/**
 * One fold of pseudo cross-validation: a model fine-tuned on S_f ⊂ S only, its logits on rows labelled
 * in S (the fold's held-out data), and the pre-trained model's logits on the same rows.
 */
export interface PcvFold {
  /** S_f: the classes this fold model was fine-tuned on; the rest of S acts as pseudo-absent. */
  seen: readonly number[];
  logits: RowSource;
  labels: Int32Array;
  pretrained: RowSource;
}

export interface PcvFoldResult {
  /** The fold's pick; null for a skipped fold. */
  gamma: number | null;
  /** Pre-trained model's accuracy on pseudo-absent rows (U/Y under the fold's groups), percent. */
  pretrainedUnseen: number;
  point: CurvePoint | null;
  /**
   * False when no curve point reached the pre-trained accuracy: the fold is skipped and left out of the
   * mean, as the paper's code does.
   */
  satisfied: boolean;
  rows: number;
  /** Rows labelled outside S, which a fold cannot score, dropped. */
  droppedRows: number;
}

export interface PcvDetails {
  folds: PcvFoldResult[];
  /** Folds whose pick entered the mean (the satisfied ones). */
  usedFolds: number;
}

/**
 * The fold's groups: S_f seen, S \ S_f pseudo-absent, and every class outside S (the real U and O) other:
 * they stay in the argmax over all C outputs as distractors, but no bias is applied to them.
 */
function foldGroups(groups: ClassGroups, fold: PcvFold, f: number): ClassGroups {
  const fail = (problem: string, fix: string) =>
    new InputError({ code: 'groups', file: fold.logits.name, problem: `pcv fold ${f}: ${problem}`, fix });
  const inS = new Set(groups.seen);
  for (const c of fold.seen) {
    if (!inS.has(c)) throw fail(`class ${c} is not a seen class`, 'S_f must be a subset of S');
  }
  const fs = new Set(fold.seen);
  const pseudoAbsent = groups.seen.filter((c) => !fs.has(c));
  if (fold.seen.length === 0 || pseudoAbsent.length === 0) {
    throw fail(
      `S_f has ${fold.seen.length} of the ${groups.seen.length} seen classes`,
      'it must be a non-empty proper subset of S',
    );
  }
  return makeGroups(groups.numClasses, fold.seen, pseudoAbsent, fold.logits.name);
}

/**
 * Pseudo cross-validation (DESIGN.md §1 `pcv`): per fold, the highest-overall curve point whose
 * pseudo-absent accuracy (U/Y under the fold's groups) is at least the pre-trained model's; γ is the mean
 * over folds. A fold where no point reaches that accuracy is skipped, as the paper's code does; if every
 * fold is skipped there is no γ (an InputError). Needs no real absent-class data.
 */
export async function pcvMethod(
  backend: Backend,
  groups: ClassGroups,
  folds: readonly PcvFold[],
  options: { chunkRows?: number; nanPolicy?: NanPolicy } = {},
): Promise<MethodResult<PcvDetails>> {
  if (folds.length === 0) throw methodNeeds('pcv', 'at least one fold', 'folds');
  const results: PcvFoldResult[] = [];
  for (const [f, fold] of folds.entries()) {
    const fg = foldGroups(groups, fold, f);
    if (fold.pretrained.rows !== fold.logits.rows) {
      throw new InputError({
        code: 'shape',
        file: fold.pretrained.name,
        problem: `pcv fold ${f}: ${fold.pretrained.rows} rows but ${fold.logits.name} has ${fold.logits.rows}`,
        fix: 'the pre-trained and fold models must score the same rows',
      });
    }
    // Rows labelled outside S (in the fold's O) are the same rows in both models, so both drop them.
    const common = {
      groups: fg,
      labels: fold.labels,
      allowOtherLabels: true,
      chunkRows: options.chunkRows,
      nanPolicy: options.nanPolicy,
    };
    const foldStats = await accumulateStats(backend, fold.logits, common);
    const preStats = await accumulateStats(backend, fold.pretrained, common);
    if (foldStats.rows !== preStats.rows) {
      throw new InputError({
        code: 'non-finite',
        file: fold.pretrained.name,
        problem: `pcv fold ${f}: its NaN rows differ from those of ${fold.logits.name}`,
        fix: 'clean both',
      });
    }
    const pretrainedUnseen = accuracyAt(preStats, 0)['U/Y'];
    if (Number.isNaN(pretrainedUnseen)) {
      throw new InputError({
        code: 'labels',
        file: fold.logits.name,
        problem: `pcv fold ${f}: no rows labelled in the pseudo-absent classes`,
        fix: "the fold's data must cover S \\ S_f",
      });
    }
    const curve = await gammaCurve(backend, foldStats);
    const index = bestPoint(
      curve.points,
      (p) => p.overall,
      (p) => p.unseen >= pretrainedUnseen,
    );
    const point = index >= 0 ? curve.points[index]! : null;
    results.push({
      gamma: point?.gamma ?? null,
      pretrainedUnseen,
      point,
      satisfied: point !== null,
      rows: foldStats.rows,
      droppedRows: foldStats.dropped.otherLabel,
    });
  }
  const used = results.filter((r) => r.satisfied);
  if (used.length === 0) {
    throw new InputError({
      code: 'unsupported',
      problem: `pcv: in none of the ${results.length} folds does any γ bring the fold model's pseudo-absent accuracy up to the pre-trained model's (folds like that are skipped, as the paper's code does)`,
      fix: 'check that each fold model was fine-tuned like the real one and scored on rows of all of S, or drop pcv',
    });
  }
  const gamma = used.reduce((s, r) => s + r.gamma!, 0) / used.length;
  return { method: 'pcv', gamma, temperature: 1, details: { folds: results, usedFolds: used.length } };
}
