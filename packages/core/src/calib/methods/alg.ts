import { InputError } from '../../errors.ts';
import { requireLabels } from '../accuracy.ts';
import { SEEN } from '../groups.ts';
import type { DataStats } from '../stats.ts';
import type { MethodResult } from './result.ts';

export interface AlgDetails {
  /** Rows of the fitting set labelled in S: the only ones ALG averages over. */
  fitRows: number;
  /** Rows labelled in U, left out (ALG needs no absent-class data). */
  ignoredRows: number;
  /** mean_i mean_{c∈S\{y_i}} z_ic and mean_i mean_{c∈U} z_ic. */
  meanSeenNonLabel: number;
  meanAbsent: number;
}

/**
 * Average Logit Gap (DESIGN.md §1 `alg`): on rows of the fitting set (the fine-tuning training logits)
 * labelled in S, γ = mean_i(mean_{c∈S\{y_i}} z_ic) − mean_i(mean_{c∈U} z_ic). Read from the row
 * statistics alone (sumS minus the label logit, sumU). Needs |S| ≥ 2 and finite logits in S and U.
 */
export function algMethod(train: DataStats): MethodResult<AlgDetails> {
  const labels = requireLabels(train, 'alg');
  const { groups, stats } = train;
  const nSeen = groups.seen.length;
  const nAbsent = groups.absent.length;
  if (nSeen < 2) {
    throw new InputError({
      code: 'unsupported',
      problem: 'alg needs at least 2 seen classes (it averages the non-label seen logits)',
      fix: 'choose another method',
    });
  }
  let a = 0;
  let b = 0;
  let n = 0;
  for (let r = 0; r < stats.rows; r++) {
    if (groups.codes[labels[r]!] !== SEEN) continue;
    a += (stats.sumS[r]! - stats.label[r]!) / (nSeen - 1);
    b += stats.sumU[r]! / nAbsent;
    n++;
  }
  if (n === 0) {
    throw new InputError({
      code: 'labels',
      file: train.source,
      problem: `alg needs fitting rows labelled in S; none of ${stats.rows} rows are`,
      fix: 'fit alg on the fine-tuning training data',
    });
  }
  const gamma = a / n - b / n;
  if (!Number.isFinite(gamma)) {
    throw new InputError({
      code: 'non-finite',
      file: train.source,
      problem: `alg needs finite logits in S and U, but their means are ${a / n} and ${b / n}`,
      fix: 'drop rows with -Infinity logits',
    });
  }
  return {
    method: 'alg',
    gamma,
    temperature: 1,
    details: { fitRows: n, ignoredRows: stats.rows - n, meanSeenNonLabel: a / n, meanAbsent: b / n },
  };
}
