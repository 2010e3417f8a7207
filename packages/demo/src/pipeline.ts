import type { DemoConfig } from './config.ts';
import { toDomainB } from './domain.ts';
import { initMlp, type Mlp } from './mlp.ts';
import { DIGITS, type DigitSet, loadMnist, onlyClasses, PIXELS, splitDigits } from './mnist.ts';
import { train } from './train.ts';
import type { TrainingBackend } from './training.ts';

/** Progress of a demo run: the stage and its steps (SGD steps while training). */
export interface DemoProgress {
  stage: 'load' | 'pretrain' | 'finetune' | 'pcv' | 'evaluate';
  /** e.g. "fold 1/2" for pcv. */
  detail?: string;
  done: number;
  total: number;
  /** The last batch's loss while training. */
  loss?: number;
}

/**
 * One pseudo cross-validation fold: a model fine-tuned on S_f like the main model (every fine-tuning row
 * of S_f, the same number of SGD steps), judged on every fine-tuning row of S, as the paper's code does.
 */
export interface DemoFoldModel {
  /** S_f, the classes this fold fine-tunes on. */
  seen: number[];
  /** S \ S_f: classes of S this fold treats as absent. */
  pseudoAbsent: number[];
  model: Mlp;
  losses: number[];
  /** SGD steps, equal to the main model's. */
  steps: number;
}

export interface TrainedDemo {
  pretrained: Mlp;
  finetuned: Mlp;
  folds: DemoFoldModel[];
  losses: { pretrain: number[]; finetune: number[] };
  /** Domain A images of all ten digits (pre-training). */
  pretrainSet: DigitSet;
  /** Domain B images of all ten digits from the fine-tuning split; its S rows are the fine-tuning data. */
  finetunePool: DigitSet;
  /** finetunePool restricted to S: what the fine-tuned model was trained on (ALG fits on it). */
  finetuneSet: DigitSet;
  /** Held-out domain B images of all ten digits. */
  testSet: DigitSet;
}

/** Stream numbers of the seeded generators, one per purpose. */
const STREAM = { noisePool: 5, noiseTest: 6, init: 7, pretrain: 10, finetune: 11, fold: 20 };

/**
 * The training half of the demo: pre-train on domain A (all ten digits), fine-tune the whole network on
 * domain B digits of S only, and fine-tune one fold model per pseudo cross-validation fold.
 */
export async function trainDemo(
  backend: TrainingBackend,
  config: DemoConfig,
  seed: number,
  onProgress: (p: DemoProgress) => void = () => {},
): Promise<TrainedDemo> {
  onProgress({ stage: 'load', done: 0, total: 1 });
  const split = splitDigits(
    loadMnist(),
    { pretrain: config.pretrainShare, finetune: config.finetuneShare, use: config.use },
    seed,
  );
  const finetunePool = toDomainB(split.finetune, config.domain, seed, STREAM.noisePool);
  const testSet = toDomainB(split.test, config.domain, seed, STREAM.noiseTest);
  const finetuneSet = onlyClasses(finetunePool, config.seen);
  onProgress({ stage: 'load', done: 1, total: 1 });

  const sgd = {
    batchSize: config.batchSize,
    momentum: config.momentum,
    weightDecay: config.weightDecay,
    seed,
  };
  const start = initMlp(PIXELS, config.hidden, DIGITS, seed);
  const pre = await train(backend, start, split.pretrain, {
    ...sgd,
    ...config.pretrain,
    stream: STREAM.pretrain,
    onStep: (done, total, loss) => onProgress({ stage: 'pretrain', done, total, loss }),
  });
  const fine = await train(backend, pre.model, finetuneSet, {
    ...sgd,
    ...config.finetune,
    stream: STREAM.finetune,
    onStep: (done, total, loss) => onProgress({ stage: 'finetune', done, total, loss }),
  });

  const folds: DemoFoldModel[] = [];
  const k = config.pcv.folds;
  for (let f = 0; f < k; f++) {
    // Fold f treats every k-th class of S (offset f) as absent, so the folds' pseudo-absent sets tile S.
    const pseudoAbsent = config.seen.filter((_, i) => i % k === f);
    const seen = config.seen.filter((_, i) => i % k !== f);
    const detail = `fold ${f + 1}/${k}`;
    const run = await train(backend, pre.model, onlyClasses(finetuneSet, seen), {
      ...sgd,
      ...config.finetune,
      steps: fine.steps,
      stream: STREAM.fold + f,
      onStep: (done, total, loss) => onProgress({ stage: 'pcv', detail, done, total, loss }),
    });
    folds.push({ seen, pseudoAbsent, model: run.model, losses: run.epochLosses, steps: run.steps });
  }
  return {
    pretrained: pre.model,
    finetuned: fine.model,
    folds,
    losses: { pretrain: pre.epochLosses, finetune: fine.epochLosses },
    pretrainSet: split.pretrain,
    finetunePool,
    finetuneSet,
    testSet,
  };
}
