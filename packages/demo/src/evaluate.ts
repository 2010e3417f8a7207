import {
  type AccuracyTable,
  accuracyAt,
  algMethod,
  arraySource,
  type ClassGroups,
  type DataStats,
  type GammaCurve,
  gammaCurve,
  hmeanMethod,
  makeGroups,
  ncm,
  oracleMethod,
  pcvMethod,
  statsOfArray,
} from '@ftcal/core';
import type { DemoConfig } from './config.ts';
import { forward, type Mlp } from './mlp.ts';
import type { DigitSet } from './mnist.ts';
import type { DemoProgress, TrainedDemo } from './pipeline.ts';
import type { TrainingBackend } from './training.ts';

export type DemoMethod = 'alg' | 'pcv' | 'hmean' | 'oracle';

/** Methods in table order: the two that need no absent-class labels first, then the two that use them. */
export const DEMO_METHODS: readonly DemoMethod[] = ['alg', 'pcv', 'hmean', 'oracle'];

/** How each γ was fitted, for the table's notes and the JSON. */
export const METHOD_FIT: Record<DemoMethod, string> = {
  alg: 'fine-tuned logits on the fine-tuning training data (S only)',
  pcv: 'fold models fine-tuned on parts of S like the main model, scored with the pre-trained model on every fine-tuning row of S',
  hmean: 'the held-out test set, absent-class labels included (an analysis choice, not deployable)',
  oracle: 'the held-out test set, absent-class labels included (an upper bound)',
};

/** One row of the paper-like table; accuracies in percent, AUSUC 0–1. */
export interface DemoRow {
  name: string;
  model: 'pre-trained' | 'fine-tuned';
  method: DemoMethod | null;
  gamma: number;
  accuracy: AccuracyTable;
  /** Of the model's γ curve on the test set: the same for every γ of one model. */
  ausuc: number;
  /** NCM on the model's hidden features: the same for every γ of one model. */
  ncm: AccuracyTable;
}

/** What the rows are computed from, kept for the report's plots. */
export interface DemoEvaluation {
  groups: ClassGroups;
  rows: DemoRow[];
  curves: { pretrained: GammaCurve; finetuned: GammaCurve };
  finetunedStats: DataStats;
  /** Per fold: its γ (null for a fold skipped because no γ reached the pre-trained accuracy). */
  pcvFolds: {
    seen: number[];
    gamma: number | null;
    pretrainedUnseen: number;
    satisfied: boolean;
    rows: number;
  }[];
}

async function logitsOf(backend: TrainingBackend, m: Mlp, set: DigitSet) {
  return forward(backend, m, set.images, set.count);
}

/**
 * The evaluation half of the demo, all through the calibration engine: accuracy tables and γ curves of
 * the pre-trained and fine-tuned models on held-out domain-B digits, γ from alg / pcv / hmean / oracle,
 * and NCM on the hidden features with class means from the fine-tuning split (all ten digits).
 */
export async function evaluateDemo(
  backend: TrainingBackend,
  config: DemoConfig,
  trained: TrainedDemo,
  onProgress: (p: DemoProgress) => void = () => {},
): Promise<DemoEvaluation> {
  const groups = makeGroups(10, config.seen, config.absent);
  const total = 6 + trained.folds.length;
  let done = 0;
  const step = () => onProgress({ stage: 'evaluate', done: ++done, total });
  const { testSet, finetunePool, finetuneSet } = trained;
  const stats = (z: Float32Array, set: DigitSet) =>
    statsOfArray(backend, z, set.count, 10, { groups, labels: set.labels });

  const preTest = await logitsOf(backend, trained.pretrained, testSet);
  const ftTest = await logitsOf(backend, trained.finetuned, testSet);
  step();
  const preStats = await stats(preTest.logits, testSet);
  const ftStats = await stats(ftTest.logits, testSet);
  const curves = {
    pretrained: await gammaCurve(backend, preStats),
    finetuned: await gammaCurve(backend, ftStats),
  };
  step();

  const alg = algMethod(
    await stats((await logitsOf(backend, trained.finetuned, finetuneSet)).logits, finetuneSet),
  );
  step();
  // Every fold is scored on the same rows, all of S in the fine-tuning data, as the paper's code does.
  const foldRows = finetuneSet.count;
  const preLogits = (await logitsOf(backend, trained.pretrained, finetuneSet)).logits;
  const pretrained = arraySource(preLogits, foldRows, 10, 'pre-trained logits on the fine-tuning rows of S');
  const folds = [];
  for (const fold of trained.folds) {
    const foldLogits = (await logitsOf(backend, fold.model, finetuneSet)).logits;
    folds.push({
      seen: fold.seen,
      labels: finetuneSet.labels,
      logits: arraySource(foldLogits, foldRows, 10, `pcv fold (S_f = ${fold.seen.join(',')}) logits`),
      pretrained,
    });
    step();
  }
  const pcv = await pcvMethod(backend, groups, folds);
  step();
  const picked = { alg, pcv, hmean: hmeanMethod(curves.finetuned), oracle: oracleMethod(curves.finetuned) };

  const ncmOf = async (m: Mlp, testFeatures: Float32Array) => {
    const reference = (await logitsOf(backend, m, finetunePool)).hidden;
    const result = await ncm(backend, {
      reference: arraySource(reference, finetunePool.count, config.hidden, 'fine-tuning split features'),
      referenceLabels: finetunePool.labels,
      features: arraySource(testFeatures, testSet.count, config.hidden, 'test features'),
      labels: testSet.labels,
      groups,
    });
    return result.table;
  };
  const ncmPre = await ncmOf(trained.pretrained, preTest.hidden);
  const ncmFt = await ncmOf(trained.finetuned, ftTest.hidden);
  step();

  const rows: DemoRow[] = [
    {
      name: 'pre-trained',
      model: 'pre-trained',
      method: null,
      gamma: 0,
      accuracy: accuracyAt(preStats, 0),
      ausuc: curves.pretrained.ausuc,
      ncm: ncmPre,
    },
    {
      name: 'fine-tuned',
      model: 'fine-tuned',
      method: null,
      gamma: 0,
      accuracy: accuracyAt(ftStats, 0),
      ausuc: curves.finetuned.ausuc,
      ncm: ncmFt,
    },
  ];
  for (const method of DEMO_METHODS) {
    const gamma = picked[method].gamma;
    rows.push({
      name: `fine-tuned + γ (${method})`,
      model: 'fine-tuned',
      method,
      gamma,
      accuracy: accuracyAt(ftStats, gamma),
      ausuc: curves.finetuned.ausuc,
      ncm: ncmFt,
    });
  }
  step();
  return {
    groups,
    rows,
    curves,
    finetunedStats: ftStats,
    pcvFolds: pcv.details.folds.map((f, i) => ({
      seen: trained.folds[i]!.seen,
      gamma: f.gamma,
      pretrainedUnseen: f.pretrainedUnseen,
      satisfied: f.satisfied,
      rows: f.rows,
    })),
  };
}
