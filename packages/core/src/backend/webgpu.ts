import type { GpuContext } from '../gpu/context.ts';
import { softmaxGpu } from '../webgpu/softmax.ts';
import type { Backend, SoftmaxOptions } from './backend.ts';

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

  dispose(): void {
    this.ctx.destroy();
  }
}
