import type { Backend } from '../backend/backend.ts';
import { InputError } from '../errors.ts';
import { type RowSource, rowChunks } from '../io/row-source.ts';
import { type AccuracyTable, accuracyAt } from './accuracy.ts';
import type { ClassGroups } from './groups.ts';
import { accumulateStats, chunkRowsFor, type DataStats, type NanPolicy } from './stats.ts';

export interface NcmInput {
  /** Labelled reference features (e.g. the pre-training data) that define the class means. */
  reference: RowSource;
  referenceLabels: Int32Array;
  /** Features of the evaluated rows, and their labels. */
  features: RowSource;
  labels: Int32Array;
  groups: ClassGroups;
  chunkRows?: number;
  nanPolicy?: NanPolicy;
  allowOtherLabels?: boolean;
}

export interface NcmResult {
  /** The accuracy table of the NCM classifier (γ = 0: cosine scores are not biased). */
  table: AccuracyTable;
  /** Row statistics of the cosine scores, for a γ curve of the NCM classifier if wanted. */
  stats: DataStats;
  /** Classes with no reference row: no mean, so they score -Infinity and are never predicted. */
  classesWithoutReference: number[];
  featureDim: number;
  conventions: { score: 'cosine similarity to the L2-normalised mean of L2-normalised reference features' };
}

/**
 * Nearest class mean on features (DESIGN.md §1 NCM: are the features damaged?): L2-normalise the
 * reference features, average them per class, re-normalise the means, score each row by cosine similarity
 * (backend.l2Normalize, then backend.matmul with the means in nn.Linear layout), and report the same
 * accuracy table as for logits. The scores stream chunk by chunk into the row statistics.
 */
export async function ncm(backend: Backend, input: NcmInput): Promise<NcmResult> {
  const { reference, features, groups } = input;
  const c = groups.numClasses;
  const d = reference.cols;
  if (features.cols !== d) {
    throw new InputError({
      code: 'shape',
      file: features.name,
      problem: `${features.cols} features per row but ${reference.name} has ${d}`,
      fix: 'use features from the same layer',
    });
  }
  if (input.referenceLabels.length !== reference.rows) {
    throw new InputError({
      code: 'shape',
      file: reference.name,
      problem: `${reference.rows} rows but ${input.referenceLabels.length} reference labels`,
      fix: 'pass the labels of the same rows',
    });
  }
  const chunkRows = chunkRowsFor(Math.max(d, c), input.chunkRows);
  const sums = new Float64Array(c * d);
  const counts = new Float64Array(c);
  for await (const { start, count, data } of rowChunks(reference, chunkRows)) {
    const xn = await backend.l2Normalize(data, count, d);
    for (let r = 0; r < count; r++) {
      const y = input.referenceLabels[start + r]!;
      if (!Number.isInteger(y) || y < 0 || y >= c) {
        throw new InputError({
          code: 'labels',
          file: `${reference.name} labels`,
          problem: `label ${y} at row ${start + r} is outside [0, ${c})`,
          fix: 'use class indices of the head',
        });
      }
      let finite = true;
      for (let k = 0; k < d; k++) finite &&= Number.isFinite(xn[r * d + k]!);
      if (!finite) {
        throw new InputError({
          code: 'non-finite',
          file: reference.name,
          problem: `row ${start + r} holds NaN or Infinity features`,
          fix: 'clean the reference set',
        });
      }
      counts[y]!++;
      for (let k = 0; k < d; k++) sums[y * d + k]! += xn[r * d + k]!;
    }
  }
  const means = new Float32Array(c * d);
  const missing: number[] = [];
  for (let k = 0; k < c; k++) {
    if (counts[k] === 0) missing.push(k);
    else for (let j = 0; j < d; j++) means[k * d + j] = sums[k * d + j]! / counts[k]!;
  }
  const unitMeans = await backend.l2Normalize(means, c, d);
  const scores: RowSource = {
    name: `${features.name} (NCM scores)`,
    rows: features.rows,
    cols: c,
    async readRows(start, count) {
      const x = await features.readRows(start, count);
      const s = await backend.matmul(await backend.l2Normalize(x, count, d), unitMeans, count, c, d, {
        transB: true,
      });
      for (const k of missing) for (let r = 0; r < count; r++) s[r * c + k] = Number.NEGATIVE_INFINITY;
      return s;
    },
    close: () => features.close(),
  };
  const stats = await accumulateStats(backend, scores, {
    groups,
    labels: input.labels,
    chunkRows,
    nanPolicy: input.nanPolicy,
    allowOtherLabels: input.allowOtherLabels,
  });
  return {
    table: accuracyAt(stats, 0),
    stats,
    classesWithoutReference: missing,
    featureDim: d,
    conventions: { score: 'cosine similarity to the L2-normalised mean of L2-normalised reference features' },
  };
}
