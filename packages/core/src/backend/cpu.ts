import { softmaxCpu } from '../cpu/softmax.ts';
import type { Backend, SoftmaxOptions } from './backend.ts';

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

  dispose(): void {}
}
