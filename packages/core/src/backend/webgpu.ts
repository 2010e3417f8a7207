import type { GpuContext } from '../gpu/context.ts';
import { biasReluGpu } from '../webgpu/bias-relu.ts';
import { colSumGpu } from '../webgpu/col-sum.ts';
import { l2NormalizeGpu } from '../webgpu/l2-normalize.ts';
import { matmulGpu } from '../webgpu/matmul.ts';
import { nllGradGpu } from '../webgpu/nll-grad.ts';
import { reluBackwardGpu } from '../webgpu/relu-backward.ts';
import { rowStatsGpu } from '../webgpu/row-stats.ts';
import { sgdMomentumGpu } from '../webgpu/sgd-momentum.ts';
import { softmaxGpu } from '../webgpu/softmax.ts';
import { softmaxXentGpu } from '../webgpu/softmax-xent.ts';
import { sortKeysGpu } from '../webgpu/sort.ts';
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

/** Runs ftcal's WGSL kernels on one WebGPU device. */
export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly ctx: GpuContext;

  constructor(ctx: GpuContext) {
    this.ctx = ctx;
  }

  get adapter() {
    return this.ctx.report;
  }

  get name(): string {
    const r = this.ctx.report;
    const what = r.description || r.device || r.vendor || 'unknown adapter';
    return `webgpu (${r.device ? `${r.device}, ` : ''}${what}; ${r.backend}, ${r.featureLevel}${r.software ? ', software' : ''})`;
  }

  async softmax(
    z: Float32Array,
    rows: number,
    cols: number,
    options?: SoftmaxOptions,
  ): Promise<Float32Array> {
    checkSoftmax(z, rows, cols, options ?? {});
    return softmaxGpu(this.ctx, z, rows, cols, options);
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
    return matmulGpu(this.ctx, a, b, m, n, k, options);
  }

  async rowStats(z: Float32Array, rows: number, cols: number, options: RowStatsOptions): Promise<RowStats> {
    checkRowStats(z, rows, cols, options);
    return rowStatsGpu(this.ctx, z, rows, cols, options);
  }

  async nllGrad(
    z: Float32Array,
    rows: number,
    cols: number,
    options: NllGradOptions,
  ): Promise<NllGradResult> {
    checkNllGrad(z, rows, cols, options);
    return nllGradGpu(this.ctx, z, rows, cols, options);
  }

  biasRelu(
    x: Float32Array,
    rows: number,
    cols: number,
    bias: Float32Array,
    options?: BiasReluOptions,
  ): Promise<Float32Array> {
    return biasReluGpu(this.ctx, x, rows, cols, bias, options);
  }

  reluBackward(grad: Float32Array, activation: Float32Array): Promise<Float32Array> {
    return reluBackwardGpu(this.ctx, grad, activation);
  }

  softmaxXent(z: Float32Array, rows: number, cols: number, labels: Int32Array): Promise<SoftmaxXentResult> {
    return softmaxXentGpu(this.ctx, z, rows, cols, labels);
  }

  colSum(x: Float32Array, rows: number, cols: number): Promise<Float32Array> {
    return colSumGpu(this.ctx, x, rows, cols);
  }

  sgdMomentum(
    params: Float32Array,
    grads: Float32Array,
    velocity: Float32Array,
    options: SgdMomentumOptions,
  ): Promise<SgdMomentumResult> {
    return sgdMomentumGpu(this.ctx, params, grads, velocity, options);
  }

  sortKeys(keys: Float32Array): Promise<SortedKeys> {
    return sortKeysGpu(this.ctx, keys);
  }

  async l2Normalize(x: Float32Array, rows: number, cols: number): Promise<Float32Array> {
    checkShape('l2Normalize', x, rows, cols);
    return l2NormalizeGpu(this.ctx, x, rows, cols);
  }

  dispose(): void {
    this.ctx.destroy();
  }
}
