import { SeededRandom } from './random.ts';
import type { TrainingBackend } from './training.ts';

/**
 * A two-layer perceptron, inputs → hidden (ReLU; the "features") → classes, with all parameters in one
 * flat array so a single SGD dispatch updates them. Weights are stored input-major (inputs×hidden and
 * hidden×classes), so the forward pass is X·W1 with no transpose; the CPU matmul then skips the zero
 * pixels of a digit row, which keeps the whole demo within a minute on two cores.
 */
export interface Mlp {
  inputs: number;
  hidden: number;
  classes: number;
  /** w1 (inputs×hidden) | b1 (hidden) | w2 (hidden×classes) | b2 (classes). */
  params: Float32Array;
}

export interface MlpViews {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

export function parameterCount(inputs: number, hidden: number, classes: number): number {
  return inputs * hidden + hidden + hidden * classes + classes;
}

/** Subarray views of a flat parameter (or gradient) array in the Mlp layout. */
export function views(m: Omit<Mlp, 'params'>, flat: Float32Array): MlpViews {
  const a = m.inputs * m.hidden;
  const b = a + m.hidden;
  const c = b + m.hidden * m.classes;
  return {
    w1: flat.subarray(0, a),
    b1: flat.subarray(a, b),
    w2: flat.subarray(b, c),
    b2: flat.subarray(c, c + m.classes),
  };
}

/** He-normal weights (ReLU layer) and a smaller 1/√fan-in head, zero biases; seeded. */
export function initMlp(inputs: number, hidden: number, classes: number, seed: number): Mlp {
  const rand = new SeededRandom(seed, 3);
  const m = { inputs, hidden, classes, params: new Float32Array(parameterCount(inputs, hidden, classes)) };
  const v = views(m, m.params);
  const s1 = Math.sqrt(2 / inputs);
  for (let i = 0; i < v.w1.length; i++) v.w1[i] = s1 * rand.normal();
  const s2 = Math.sqrt(1 / hidden);
  for (let i = 0; i < v.w2.length; i++) v.w2[i] = s2 * rand.normal();
  return m;
}

export interface Forward {
  /** rows×hidden ReLU outputs: the features NCM reads. */
  hidden: Float32Array;
  /** rows×classes. */
  logits: Float32Array;
}

export async function forward(
  backend: TrainingBackend,
  m: Mlp,
  x: Float32Array,
  rows: number,
): Promise<Forward> {
  const v = views(m, m.params);
  const a1 = await backend.matmul(x, v.w1, rows, m.hidden, m.inputs);
  const hidden = await backend.biasRelu(a1, rows, m.hidden, v.b1);
  const a2 = await backend.matmul(hidden, v.w2, rows, m.classes, m.hidden);
  const logits = await backend.biasRelu(a2, rows, m.classes, v.b2, { relu: false });
  return { hidden, logits };
}

/**
 * Mean cross-entropy of the batch and the gradient of every parameter, in the flat layout:
 * dW2 = Hᵀ·dZ, db2 = Σ_r dZ, dH = dZ·W2ᵀ masked by the ReLU, dW1 = Xᵀ·dH, db1 = Σ_r dH.
 */
export async function gradients(
  backend: TrainingBackend,
  m: Mlp,
  x: Float32Array,
  labels: Int32Array,
  rows: number,
): Promise<{ loss: number; grad: Float32Array }> {
  const v = views(m, m.params);
  const { hidden, logits } = await forward(backend, m, x, rows);
  const { loss, grad: dz } = await backend.softmaxXent(logits, rows, m.classes, labels);
  const grad = new Float32Array(m.params.length);
  const g = views(m, grad);
  g.w2.set(await backend.matmul(hidden, dz, m.hidden, m.classes, rows, { transA: true }));
  g.b2.set(await backend.colSum(dz, rows, m.classes));
  const dh = await backend.reluBackward(
    await backend.matmul(dz, v.w2, rows, m.hidden, m.classes, { transB: true }),
    hidden,
  );
  g.w1.set(await backend.matmul(x, dh, m.inputs, m.hidden, rows, { transA: true }));
  g.b1.set(await backend.colSum(dh, rows, m.hidden));
  return { loss, grad };
}
