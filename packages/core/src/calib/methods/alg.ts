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
 * Each fitting row's two ALG terms, for rows labelled in S: mean_{c∈S\{y}} z_c = (sumS − z_y)/(|S| − 1)
 * and mean_{c∈U} z_c = sumU/|U|. ALG is their mean difference; the bootstrap re-averages them over
 * resampled rows.
 */
export interface AlgTerms {
  rows: number;
  /** 1 for a row labelled in S (the only rows ALG averages over). */
  labelledSeen: Uint8Array;
  seenNonLabel: Float64Array;
  absent: Float64Array;
}

function needTwoSeen(nSeen: number): void {
  if (nSeen >= 2) return;
  throw new InputError({
    code: 'unsupported',
    problem: 'alg needs at least 2 seen classes (it averages the non-label seen logits)',
    fix: 'choose another method',
  });
}

/** The per-row terms of `alg` from the fitting set's statistics. */
export function algTerms(train: DataStats): AlgTerms {
  const labels = requireLabels(train, 'alg');
  const { groups, stats } = train;
  const nSeen = groups.seen.length;
  const nAbsent = groups.absent.length;
  needTwoSeen(nSeen);
  const terms: AlgTerms = {
    rows: stats.rows,
    labelledSeen: new Uint8Array(stats.rows),
    seenNonLabel: new Float64Array(stats.rows),
    absent: new Float64Array(stats.rows),
  };
  for (let r = 0; r < stats.rows; r++) {
    if (groups.codes[labels[r]!] !== SEEN) continue;
    terms.labelledSeen[r] = 1;
    terms.seenNonLabel[r] = (stats.sumS[r]! - stats.label[r]!) / (nSeen - 1);
    terms.absent[r] = stats.sumU[r]! / nAbsent;
  }
  return terms;
}

/**
 * Average Logit Gap (DESIGN.md §1 `alg`): on rows of the fitting set (the fine-tuning training logits)
 * labelled in S, γ = mean_i(mean_{c∈S\{y_i}} z_ic) − mean_i(mean_{c∈U} z_ic). Read from the row
 * statistics alone (sumS minus the label logit, sumU). Needs |S| ≥ 2 and finite logits in S and U.
 */
export function algMethod(train: DataStats): MethodResult<AlgDetails> {
  const t = algTerms(train);
  let a = 0;
  let b = 0;
  let n = 0;
  for (let r = 0; r < t.rows; r++) {
    if (!t.labelledSeen[r]) continue;
    a += t.seenNonLabel[r]!;
    b += t.absent[r]!;
    n++;
  }
  if (n === 0) {
    throw new InputError({
      code: 'labels',
      file: train.source,
      problem: `alg needs fitting rows labelled in S; none of ${t.rows} rows are`,
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
    details: { fitRows: n, ignoredRows: t.rows - n, meanSeenNonLabel: a / n, meanAbsent: b / n },
  };
}
