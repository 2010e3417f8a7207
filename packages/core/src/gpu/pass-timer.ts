import type { GpuContext } from './context.ts';

export interface PassTiming<T> {
  result: T;
  /** Sum of the compute passes' durations on the GPU, in milliseconds. */
  gpuMs: number;
  /** Compute passes that were timed. */
  passes: number;
  /** Compute passes left untimed: they brought their own timestampWrites, or the query set was full. */
  untimed: number;
}

/**
 * GPU time of everything a piece of work dispatches, from timestamp queries. Core's ops create their
 * own encoders and passes, so rather than thread a query set through every op, `time()` shadows the
 * device's createCommandEncoder for its duration and gives each compute pass a pair of query slots.
 * Only for benchmarks: while `time()` runs, no other work may use the device, or it is timed as well.
 */
export class GpuPassTimer {
  private readonly ctx: GpuContext;
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private readonly capacity: number;
  private busy = false;

  private constructor(ctx: GpuContext, capacity: number) {
    this.ctx = ctx;
    this.capacity = capacity;
    this.querySet = ctx.device.createQuerySet({ label: 'pass-timer', type: 'timestamp', count: capacity });
    this.resolveBuffer = ctx.device.createBuffer({
      label: 'pass-timer:resolve',
      size: capacity * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
  }

  /** A timer, or null when the device lacks 'timestamp-query' (llvmpipe, most compatibility adapters). */
  static create(ctx: GpuContext, maxPasses = 2048): GpuPassTimer | null {
    if (!ctx.features.timestampQuery) return null;
    return new GpuPassTimer(ctx, Math.min(4096, maxPasses * 2));
  }

  async time<T>(work: () => Promise<T>): Promise<PassTiming<T>> {
    if (this.busy) throw new Error('GpuPassTimer.time() is not re-entrant');
    this.busy = true;
    const device = this.ctx.device;
    let next = 0;
    let untimed = 0;
    const { querySet, capacity } = this;
    const createEncoder = device.createCommandEncoder;
    const shadow = (descriptor?: GPUCommandEncoderDescriptor): GPUCommandEncoder => {
      const encoder = createEncoder.call(device, descriptor);
      const beginPass = encoder.beginComputePass;
      encoder.beginComputePass = (pass?: GPUComputePassDescriptor) => {
        if (pass?.timestampWrites || next + 2 > capacity) {
          untimed++;
          return beginPass.call(encoder, pass);
        }
        const at = next;
        next += 2;
        return beginPass.call(encoder, {
          ...pass,
          timestampWrites: { querySet, beginningOfPassWriteIndex: at, endOfPassWriteIndex: at + 1 },
        });
      };
      return encoder;
    };
    let result: T;
    try {
      device.createCommandEncoder = shadow;
      result = await work();
    } finally {
      // The shadow is an own property; deleting it uncovers the prototype's method again.
      delete (device as Partial<GPUDevice>).createCommandEncoder;
      if (device.createCommandEncoder !== createEncoder) device.createCommandEncoder = createEncoder;
      this.busy = false;
    }
    const gpuMs = next === 0 ? 0 : await this.resolve(next);
    return { result, gpuMs, passes: next / 2, untimed };
  }

  private async resolve(count: number): Promise<number> {
    const encoder = this.ctx.device.createCommandEncoder({ label: 'pass-timer:resolve' });
    encoder.resolveQuerySet(this.querySet, 0, count, this.resolveBuffer, 0);
    this.ctx.device.queue.submit([encoder.finish()]);
    const ticks = new BigInt64Array(await this.ctx.read(this.resolveBuffer, count * 8));
    let ns = 0n;
    for (let i = 0; i + 1 < count; i += 2) {
      const d = ticks[i + 1]! - ticks[i]!;
      // An implementation may report a pass it could not time as zero or as going backwards.
      if (d > 0n) ns += d;
    }
    return Number(ns) / 1e6;
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuffer.destroy();
  }
}
