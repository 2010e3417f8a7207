import { biasReluCpu } from '../cpu/bias-relu.ts';
import { colSumCpu } from '../cpu/col-sum.ts';
import { l2NormalizeCpu } from '../cpu/l2-normalize.ts';
import { ParallelCpu, type ParallelCpuOptions } from '../cpu/parallel.ts';
import { reluBackwardCpu } from '../cpu/relu-backward.ts';
import { sgdMomentumCpu } from '../cpu/sgd-momentum.ts';
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
import { checkMatmul, checkNllGrad, checkRowStats, checkShape, checkSoftmax } from './validate.ts';

/**
 * The reference path: plain TypeScript twins of every kernel. Runs anywhere. The row-parallel ops
 * (rowStats, nllGrad, softmax, matmul) spread large inputs over worker threads with bit-identical results
 * (cpu/parallel.ts); `dispose()` stops the workers.
 */
export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly name: string;
  readonly adapter = null;
  /** The worker pool behind the row-parallel ops; its `tasksDone` shows whether they ran there. */
  readonly parallel: ParallelCpu;

  /** Threads default to FTCAL_CPU_THREADS, else min(available cores, 8); an invalid value is an InputError. */
  constructor(options: ParallelCpuOptions = {}) {
    this.parallel = new ParallelCpu(options);
    const t = this.parallel.threads;
    this.name = `cpu (TypeScript reference path, ${t} thread${t === 1 ? '' : 's'})`;
  }

  async softmax(
    z: Float32Array,
    rows: number,
    cols: number,
    options?: SoftmaxOptions,
  ): Promise<Float32Array> {
    checkSoftmax(z, rows, cols, options ?? {});
    return this.parallel.softmax(z, rows, cols, options);
  }

  async matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    n: number,
    k: number,
    options?: MatmulOptions,
  ): Promise<Float32Array> {
    checkMatmul(a, b, m, n, k, options ?? {});
    return this.parallel.matmul(a, b, m, n, k, options);
  }

  async rowStats(z: Float32Array, rows: number, cols: number, options: RowStatsOptions): Promise<RowStats> {
    checkRowStats(z, rows, cols, options);
    return this.parallel.rowStats(z, rows, cols, options);
  }

  async nllGrad(
    z: Float32Array,
    rows: number,
    cols: number,
    options: NllGradOptions,
  ): Promise<NllGradResult> {
    checkNllGrad(z, rows, cols, options);
    return this.parallel.nllGrad(z, rows, cols, options);
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
    checkShape('l2Normalize', x, rows, cols);
    return l2NormalizeCpu(x, rows, cols);
  }

  dispose(): void {
    this.parallel.close();
  }
}
