import { gradients, type Mlp } from './mlp.ts';
import type { DigitSet } from './mnist.ts';
import { SeededRandom } from './random.ts';
import type { SgdMomentumOptions, TrainingBackend } from './training.ts';

export interface TrainOptions extends SgdMomentumOptions {
  epochs: number;
  /**
   * Stop after this many SGD steps instead of `epochs` whole epochs (the last epoch may be partial): a
   * model trained on fewer rows gets as many updates as one trained on more.
   */
  steps?: number;
  batchSize: number;
  seed: number;
  /** Separates the batch order of each training run made with the same seed. */
  stream: number;
  /** Called after every step with the steps done and the total. */
  onStep?: (done: number, total: number, loss: number) => void;
}

export interface TrainResult {
  model: Mlp;
  /** Mean training loss of each epoch (over its batches, weighted by batch size). */
  epochLosses: number[];
  steps: number;
}

/** Mini-batch SGD with momentum over `set`, reshuffled every epoch from the seed. */
export async function train(
  backend: TrainingBackend,
  start: Mlp,
  set: DigitSet,
  options: TrainOptions,
): Promise<TrainResult> {
  const { inputs } = start;
  const rand = new SeededRandom(options.seed, options.stream);
  const batches = Math.ceil(set.count / options.batchSize);
  const total = options.steps ?? batches * options.epochs;
  let params: Float32Array = start.params;
  let velocity: Float32Array = new Float32Array(params.length);
  const epochLosses: number[] = [];
  let done = 0;
  while (done < total) {
    const order = rand.permutation(set.count);
    let sum = 0;
    let seen = 0;
    for (let b0 = 0; b0 < set.count && done < total; b0 += options.batchSize) {
      const rows = Math.min(options.batchSize, set.count - b0);
      const x = new Float32Array(rows * inputs);
      const y = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        const src = order[b0 + r]!;
        x.set(set.images.subarray(src * inputs, (src + 1) * inputs), r * inputs);
        y[r] = set.labels[src]!;
      }
      const { loss, grad } = await gradients(backend, { ...start, params }, x, y, rows);
      ({ params, velocity } = await backend.sgdMomentum(params, grad, velocity, options));
      sum += loss * rows;
      seen += rows;
      done++;
      options.onStep?.(done, total, loss);
    }
    epochLosses.push(sum / seen);
  }
  return { model: { ...start, params }, epochLosses, steps: total };
}
