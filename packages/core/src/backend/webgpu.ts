import { accumulatorOf } from '../calib/accumulators.ts';
import type { LinearData, MapShape } from '../calib/linear/data.ts';
import { usingLinearData } from '../calib/linear/data.ts';
import { gpuLinearData } from '../calib/linear/gpu-data.ts';
import { rowPassCpu } from '../cpu/row-stats.ts';
import type { GpuContext } from '../gpu/context.ts';
import { l2NormalizeGpu } from '../webgpu/l2-normalize.ts';
import { labelRanksGpu } from '../webgpu/label-rank.ts';
import { matmulGpu } from '../webgpu/matmul.ts';
import { nllGradGpu, nllGradResidentGpu } from '../webgpu/nll-grad.ts';
import { rowStatsGpu } from '../webgpu/row-stats.ts';
import { softmaxGpu } from '../webgpu/softmax.ts';
import { sortKeysGpu } from '../webgpu/sort.ts';
import type {
  Backend,
  LabelRankOptions,
  LabelRanks,
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
  checkLabelRanks,
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

  /**
   * Statistics on the device; marks, moments and accumulators on the host (rowPassCpu), except the
   * accumulators with a device path (top-k: the label-rank kernel), which run on the device afterwards
   * over the rows the host counted.
   */
  async rowPass(z: Float32Array, rows: number, cols: number, options: RowPassOptions): Promise<RowPass> {
    checkRowPass(z, rows, cols, options);
    const jobs = options.accumulators ?? [];
    const onDevice = jobs.map((job) => accumulatorOf(job).addChunk !== undefined);
    const host = rowPassCpu(
      z,
      rows,
      cols,
      { ...options, accumulators: jobs.filter((_, j) => !onDevice[j]) },
      await rowStatsGpu(this.ctx, z, rows, cols, options),
    );
    if (!onDevice.includes(true)) return host;
    const counted = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      counted[r] = Number.isNaN(host.stats.lseSO[r]!) || (options.keep && !options.keep[r]) ? 0 : 1;
    }
    const chunk = {
      z,
      rows,
      cols,
      groups: options.groups,
      labels: options.labels ?? null,
      invT: Math.fround(1 / (options.temperature ?? 1)),
      stats: host.stats,
      counted,
    };
    const fromHost = host.accumulated[Symbol.iterator]();
    const accumulated: Float64Array[] = [];
    for (const [j, job] of jobs.entries()) {
      if (!onDevice[j]) {
        accumulated.push(fromHost.next().value!);
        continue;
      }
      const acc = accumulatorOf(job);
      const state = new Float64Array(acc.stateLength(job.params as never, cols));
      await acc.addChunk!(this, state, job.params as never, chunk);
      accumulated.push(state);
    }
    return { ...host, accumulated };
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

  async labelRanks(
    z: Float32Array,
    rows: number,
    cols: number,
    options: LabelRankOptions,
  ): Promise<LabelRanks> {
    checkLabelRanks(z, rows, cols, options);
    return labelRanksGpu(this.ctx, z, rows, cols, options);
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
