import { biasReluCpu } from '../cpu/bias-relu.ts';
import { colSumCpu } from '../cpu/col-sum.ts';
import { l2NormalizeCpu } from '../cpu/l2-normalize.ts';
import { matmulCpu } from '../cpu/matmul.ts';
import { nllGradCpu } from '../cpu/nll-grad.ts';
import { reluBackwardCpu } from '../cpu/relu-backward.ts';
import { rowStatsCpu } from '../cpu/row-stats.ts';
import { sgdMomentumCpu } from '../cpu/sgd-momentum.ts';
import { softmaxCpu } from '../cpu/softmax.ts';
import { softmaxXentCpu } from '../cpu/softmax-xent.ts';
import { sortKeysCpu } from '../cpu/sort.ts';
import type {
  Backend,
  BiasReluOptions,
  MatmulOptions,
  NllGradOptions,
  NllGradResult,
  RowStats,
  RowStatsOptions,
  SgdMomentumOptions,
  SgdMomentumResult,
  SoftmaxOptions,
  SoftmaxXentResult,
  SortedKeys,
} from './backend.ts';

/** The reference path: plain TypeScript twins of every kernel. Runs anywhere. */
export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly name = 'cpu (TypeScript reference path)';
  readonly adapter = null;

  async softmax(
    z: Float32Array,
    rows: number,
    cols: number,
    options?: SoftmaxOptions,
  ): Promise<Float32Array> {
    return softmaxCpu(z, rows, cols, options);
  }

  async matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    n: number,
    k: number,
    options?: MatmulOptions,
  ): Promise<Float32Array> {
    return matmulCpu(a, b, m, n, k, options);
  }

  async rowStats(z: Float32Array, rows: number, cols: number, options: RowStatsOptions): Promise<RowStats> {
    return rowStatsCpu(z, rows, cols, options);
  }

  async nllGrad(
    z: Float32Array,
    rows: number,
    cols: number,
    options: NllGradOptions,
  ): Promise<NllGradResult> {
    return nllGradCpu(z, rows, cols, options);
  }

  async biasRelu(
    x: Float32Array,
    rows: number,
    cols: number,
    bias: Float32Array,
    options?: BiasReluOptions,
  ): Promise<Float32Array> {
    return biasReluCpu(x, rows, cols, bias, options);
  }

  async reluBackward(grad: Float32Array, activation: Float32Array): Promise<Float32Array> {
    return reluBackwardCpu(grad, activation);
  }

  async softmaxXent(
    z: Float32Array,
    rows: number,
    cols: number,
    labels: Int32Array,
  ): Promise<SoftmaxXentResult> {
    return softmaxXentCpu(z, rows, cols, labels);
  }

  async colSum(x: Float32Array, rows: number, cols: number): Promise<Float32Array> {
    return colSumCpu(x, rows, cols);
  }

  async sgdMomentum(
    params: Float32Array,
    grads: Float32Array,
    velocity: Float32Array,
    options: SgdMomentumOptions,
  ): Promise<SgdMomentumResult> {
    return sgdMomentumCpu(params, grads, velocity, options);
  }

  async sortKeys(keys: Float32Array): Promise<SortedKeys> {
    return sortKeysCpu(keys);
  }

  async l2Normalize(x: Float32Array, rows: number, cols: number): Promise<Float32Array> {
    return l2NormalizeCpu(x, rows, cols);
  }

  dispose(): void {}
}
