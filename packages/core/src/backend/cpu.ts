import { matmulCpu } from '../cpu/matmul.ts';
import { nllGradCpu } from '../cpu/nll-grad.ts';
import { rowStatsCpu } from '../cpu/row-stats.ts';
import { softmaxCpu } from '../cpu/softmax.ts';
import type {
  Backend,
  MatmulOptions,
  NllGradOptions,
  NllGradResult,
  RowStats,
  RowStatsOptions,
  SoftmaxOptions,
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

  dispose(): void {}
}
