import {
  type Backend,
  checkLabelIndices,
  checkShape,
  colSumCpu,
  type GpuContext,
  GpuError,
  InputError,
  WebGpuBackend,
} from '@ftcal/core';
import { biasReluCpu } from './cpu/bias-relu.ts';
import { reluBackwardCpu } from './cpu/relu-backward.ts';
import { sgdMomentumCpu } from './cpu/sgd-momentum.ts';
import { softmaxXentCpu } from './cpu/softmax-xent.ts';
import { biasReluGpu } from './webgpu/bias-relu.ts';
import { colSumGpu } from './webgpu/col-sum.ts';
import { reluBackwardGpu } from './webgpu/relu-backward.ts';
import { sgdMomentumGpu } from './webgpu/sgd-momentum.ts';
import { softmaxXentGpu } from './webgpu/softmax-xent.ts';

export interface BiasReluOptions {
  /** Apply the ReLU after the bias. Default true; false gives a plain bias add (output logits). */
  relu?: boolean;
}

export interface SoftmaxXentResult {
  /** Mean over rows of logsumexp(z_r) − z_r[y_r] (NaN for zero rows). */
  loss: number;
  /** ∂loss/∂z = (softmax(z_r) − onehot(y_r)) / rows, rows×cols. */
  grad: Float32Array;
}

/** PyTorch's SGD: d = g + weightDecay·w; v = momentum·v + d; w = w − lr·v. */
export interface SgdMomentumOptions {
  lr: number;
  /** Default 0. */
  momentum?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
}

export interface SgdMomentumResult {
  params: Float32Array;
  velocity: Float32Array;
}

/**
 * The MLP's training kernels (DESIGN.md §2: demo's, not core's). Like core's Backend they take and
 * return row-major host arrays and split work that exceeds one storage binding; each has a WGSL driver
 * (webgpu/) and a CPU twin (cpu/) with the same signature.
 */
export interface TrainingOps {
  /** x[r, c] + bias[c], then ReLU unless `relu: false`. Returns a new array. */
  biasRelu(
    x: Float32Array,
    rows: number,
    cols: number,
    bias: Float32Array,
    options?: BiasReluOptions,
  ): Promise<Float32Array>;
  /** The gradient where the ReLU output `activation` was positive, 0 elsewhere. */
  reluBackward(grad: Float32Array, activation: Float32Array): Promise<Float32Array>;
  /** Mean softmax cross-entropy over rows and its gradient with respect to z. */
  softmaxXent(z: Float32Array, rows: number, cols: number, labels: Int32Array): Promise<SoftmaxXentResult>;
  /** Column sums (a bias gradient), cols values. */
  colSum(x: Float32Array, rows: number, cols: number): Promise<Float32Array>;
  /** One SGD-with-momentum step; returns the new parameters and velocity. */
  sgdMomentum(
    params: Float32Array,
    grads: Float32Array,
    velocity: Float32Array,
    options: SgdMomentumOptions,
  ): Promise<SgdMomentumResult>;
}

/** A calibration Backend with the training ops on the same device: what the demo runs on. */
export interface TrainingBackend extends Backend, TrainingOps {}

function shapeError(problem: string): InputError {
  return new InputError({ code: 'shape', problem });
}

function checkSgd(params: Float32Array, grads: Float32Array, velocity: Float32Array, o: SgdMomentumOptions) {
  if (grads.length !== params.length || velocity.length !== params.length) {
    throw shapeError(
      `sgdMomentum: ${params.length} parameters, ${grads.length} gradients, ${velocity.length} velocities`,
    );
  }
  for (const [name, v] of [
    ['lr', o.lr],
    ['momentum', o.momentum ?? 0],
    ['weightDecay', o.weightDecay ?? 0],
  ] as const) {
    if (!Number.isFinite(v) || v < 0) {
      throw new InputError({
        code: 'option',
        problem: `sgdMomentum: ${name} must be finite and ≥ 0, got ${v}`,
      });
    }
  }
}

/**
 * The training ops for `backend`'s device: the WGSL drivers on a WebGPU backend's context, the CPU twins
 * otherwise. Arguments are checked here, once, for both. A backend that falls back to the CPU (core's
 * withCpuFallback) takes these with it; a device lost during a training op finishes it on the twin.
 */
export function trainingOps(backend: Backend): TrainingOps {
  let lost = false;
  const run = async <T>(gpu: (ctx: GpuContext) => Promise<T>, cpu: () => T): Promise<T> => {
    if (lost || backend.kind !== 'webgpu' || !(backend instanceof WebGpuBackend)) return cpu();
    try {
      return await gpu(backend.ctx);
    } catch (e) {
      if (!(e instanceof GpuError && e.kind === 'device-lost')) throw e;
      lost = true;
      return cpu();
    }
  };
  return {
    async biasRelu(x, rows, cols, bias, options = {}) {
      checkShape('biasRelu', x, rows, cols);
      if (bias.length !== cols)
        throw shapeError(`biasRelu: bias has ${bias.length} values for ${cols} columns`);
      return run(
        (ctx) => biasReluGpu(ctx, x, rows, cols, bias, options),
        () => biasReluCpu(x, rows, cols, bias, options),
      );
    },
    async reluBackward(grad, activation) {
      if (grad.length !== activation.length) {
        throw shapeError(`reluBackward: ${grad.length} gradients for ${activation.length} activations`);
      }
      return run(
        (ctx) => reluBackwardGpu(ctx, grad, activation),
        () => reluBackwardCpu(grad, activation),
      );
    },
    async softmaxXent(z, rows, cols, labels) {
      checkShape('softmaxXent', z, rows, cols);
      checkLabelIndices('softmaxXent', labels, rows, cols);
      return run(
        (ctx) => softmaxXentGpu(ctx, z, rows, cols, labels),
        () => softmaxXentCpu(z, rows, cols, labels),
      );
    },
    async colSum(x, rows, cols) {
      checkShape('colSum', x, rows, cols);
      return run(
        (ctx) => colSumGpu(ctx, x, rows, cols),
        () => colSumCpu(x, rows, cols),
      );
    },
    async sgdMomentum(params, grads, velocity, options) {
      checkSgd(params, grads, velocity, options);
      return run(
        (ctx) => sgdMomentumGpu(ctx, params, grads, velocity, options),
        () => sgdMomentumCpu(params, grads, velocity, options),
      );
    },
  };
}

/** `backend` with the training ops of its device (trainingOps); disposing it disposes `backend`. */
export function withTraining(backend: Backend): TrainingBackend {
  return {
    get kind() {
      return backend.kind;
    },
    get name() {
      return backend.name;
    },
    get adapter() {
      return backend.adapter;
    },
    softmax: (...a) => backend.softmax(...a),
    matmul: (...a) => backend.matmul(...a),
    rowStats: (...a) => backend.rowStats(...a),
    rowPass: (...a) => backend.rowPass(...a),
    nllGrad: (...a) => backend.nllGrad(...a),
    nllGradResident: (...a) => backend.nllGradResident(...a),
    withLinearData: (logits, shape, use) => backend.withLinearData(logits, shape, use),
    labelRanks: (...a) => backend.labelRanks(...a),
    sortKeys: (...a) => backend.sortKeys(...a),
    l2Normalize: (...a) => backend.l2Normalize(...a),
    dispose: () => backend.dispose(),
    ...trainingOps(backend),
  };
}
