import type { LinearData, MapShape } from '../calib/linear/data.ts';
import { usingLinearData } from '../calib/linear/data.ts';
import { gpuLinearData } from '../calib/linear/gpu-data.ts';
import { rowPassCpu } from '../cpu/row-stats.ts';
import type { GpuContext } from '../gpu/context.ts';
import { l2NormalizeGpu } from '../webgpu/l2-normalize.ts';
import { matmulGpu } from '../webgpu/matmul.ts';
import { nllGradGpu, nllGradResidentGpu } from '../webgpu/nll-grad.ts';
import { rowStatsGpu } from '../webgpu/row-stats.ts';
import { softmaxGpu } from '../webgpu/softmax.ts';
import { sortKeysGpu } from '../webgpu/sort.ts';
import type {
  Backend,
  MatmulOptions,
  NllGradOptions,
  NllGradResult,
  NllPassOptions,
  RowPass,
  RowPassOptions,
  RowStats,
  RowStatsOptions,
  SoftmaxOptions,
  SortedKeys,
} from './backend.ts';
import type { ResidentLogits } from './resident-logits.ts';
import {
  checkMatmul,
  checkNllGrad,
  checkNllResident,
  checkRowPass,
  checkRowStats,
  checkShape,
  checkSoftmax,
} from './validate.ts';

/**
 * Runs the calibration kernels on one WebGPU device. Other drivers on the same device (the demo's
 * training ops) reach it through `ctx`; `dispose()` destroys it.
 */
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

  /** The device computes the statistics; the host adds the NaN marks, moments and accumulators. */
  async rowPass(z: Float32Array, rows: number, cols: number, options: RowPassOptions): Promise<RowPass> {
    checkRowPass(z, rows, cols, options);
    return rowPassCpu(z, rows, cols, options, await rowStatsGpu(this.ctx, z, rows, cols, options));
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

  async nllGradResident(logits: ResidentLogits, options: NllPassOptions): Promise<NllGradResult> {
    checkNllResident(logits, options);
    return nllGradResidentGpu(this.ctx, logits, options);
  }

  async withLinearData<T>(
    logits: ResidentLogits,
    shape: MapShape,
    use: (data: LinearData) => Promise<T>,
  ): Promise<T> {
    return usingLinearData(await gpuLinearData(this.ctx, logits, shape), use);
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
