import type { DemoConfig } from './config.ts';
import { toDomainB } from './domain.ts';
import { initMlp, type Mlp } from './mlp.ts';
import { DIGITS, type DigitSet, loadMnist, onlyClasses, PIXELS, pickRows, splitDigits } from './mnist.ts';
import { SeededRandom } from './random.ts';
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

/** One pseudo cross-validation fold: a model fine-tuned on S_f, judged on rows of all of S. */
export interface DemoFoldModel {
  /** S_f, the classes this fold fine-tunes on. */
  seen: number[];
  /** S \ S_f: classes of S this fold treats as absent. */
  pseudoAbsent: number[];
  model: Mlp;
  losses: number[];
  /** Held-out rows labelled in S: S_f rows the fold did not train on and every S \ S_f row. */
  evaluation: DigitSet;
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
const STREAM = { noisePool: 5, noiseTest: 6, init: 7, pretrain: 10, finetune: 11, fold: 20, foldSplit: 40 };

/** Picks `share` of `set`'s rows by a seeded permutation; returns [picked, rest]. */
function splitRows(set: DigitSet, share: number, rand: SeededRandom): [DigitSet, DigitSet] {
  const order = rand.permutation(set.count);
  const k = Math.round(set.count * share);
  return [pickRows(set, order.subarray(0, k)), pickRows(set, order.subarray(k))];
}

function concat(a: DigitSet, b: DigitSet): DigitSet {
  const images = new Float32Array((a.count + b.count) * PIXELS);
  images.set(a.images);
  images.set(b.images, a.images.length);
  const labels = new Int32Array(a.count + b.count);
  labels.set(a.labels);
  labels.set(b.labels, a.count);
  return { images, labels, count: a.count + b.count };
}

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
    const [fit, heldOut] = splitRows(
      onlyClasses(finetuneSet, seen),
      config.pcv.trainShare,
      new SeededRandom(seed, STREAM.foldSplit + f),
    );
    const detail = `fold ${f + 1}/${k}`;
    const run = await train(backend, pre.model, fit, {
      ...sgd,
      ...config.finetune,
      stream: STREAM.fold + f,
      onStep: (done, total, loss) => onProgress({ stage: 'pcv', detail, done, total, loss }),
    });
    folds.push({
      seen,
      pseudoAbsent,
      model: run.model,
      losses: run.epochLosses,
      evaluation: concat(heldOut, onlyClasses(finetuneSet, pseudoAbsent)),
    });
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
