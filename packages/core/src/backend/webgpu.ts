import { matmulCpu } from '../cpu/matmul.ts';
import { nllGradCpu } from '../cpu/nll-grad.ts';
import { rowStatsCpu } from '../cpu/row-stats.ts';
import type { GpuContext } from '../gpu/context.ts';
import { softmaxGpu } from '../webgpu/softmax.ts';
import type {
  Backend,
  MatmulOptions,
  NllGradOptions,
  NllGradResult,
  RowStats,
  RowStatsOptions,
  SoftmaxOptions,
} from './backend.ts';

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

  softmax(z: Float32Array, rows: number, cols: number, options?: SoftmaxOptions): Promise<Float32Array> {
    return softmaxGpu(this.ctx, z, rows, cols, options);
  }

  // TEMPORARY until the WGSL matmul lands (issue 3): delegates to the CPU twin.
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

  // TEMPORARY until the WGSL row-statistics kernel lands (issue 3): delegates to the CPU twin.
  async rowStats(z: Float32Array, rows: number, cols: number, options: RowStatsOptions): Promise<RowStats> {
    return rowStatsCpu(z, rows, cols, options);
  }

  // TEMPORARY until the WGSL gradient pass lands (issue 3): delegates to the CPU twin.
  async nllGrad(
    z: Float32Array,
    rows: number,
    cols: number,
    options: NllGradOptions,
  ): Promise<NllGradResult> {
    return nllGradCpu(z, rows, cols, options);
  }

  dispose(): void {
    this.ctx.destroy();
  }
}
