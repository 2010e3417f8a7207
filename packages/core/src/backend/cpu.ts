import { cpuLinearData } from '../calib/linear/cpu-data.ts';
import { type LinearData, type MapShape, usingLinearData } from '../calib/linear/data.ts';
import { l2NormalizeCpu } from '../cpu/l2-normalize.ts';
import { labelRanksCpu } from '../cpu/label-rank.ts';
import { nllGradResidentCpu } from '../cpu/nll-grad.ts';
import { ParallelCpu, type ParallelCpuOptions } from '../cpu/parallel.ts';
import { sortKeysCpu } from '../cpu/sort.ts';
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
 * The reference path: plain TypeScript twins of the calibration kernels, and for matmul a WebAssembly SIMD
 * kernel with the arithmetic of its TypeScript twin (cpu/matmul-wasm.ts). Runs anywhere. The row-parallel
 * ops (rowStats, nllGrad, softmax, matmul) spread large inputs over worker threads with bit-identical
 * results (cpu/parallel.ts); `dispose()` stops the workers.
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
    this.name = `cpu (TypeScript, WebAssembly SIMD matmul, ${t} thread${t === 1 ? '' : 's'})`;
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

  async rowPass(z: Float32Array, rows: number, cols: number, options: RowPassOptions): Promise<RowPass> {
    checkRowPass(z, rows, cols, options);
    return this.parallel.rowPass(z, rows, cols, options);
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

  async nllGradResident(logits: ResidentLogits, options: NllPassOptions): Promise<NllGradResult> {
    checkNllResident(logits, options);
    return nllGradResidentCpu(logits, options, (z, rows, cols, o) => this.parallel.nllGrad(z, rows, cols, o));
  }
  async withLinearData<T>(
    logits: ResidentLogits,
    shape: MapShape,
    use: (data: LinearData) => Promise<T>,
  ): Promise<T> {
    return usingLinearData(await cpuLinearData(this, logits, shape), use);
  }

  async labelRanks(
    z: Float32Array,
    rows: number,
    cols: number,
    options: LabelRankOptions,
  ): Promise<LabelRanks> {
    checkLabelRanks(z, rows, cols, options);
    return labelRanksCpu(z, rows, cols, options);
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
