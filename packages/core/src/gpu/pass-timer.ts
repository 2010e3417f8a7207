import type { GpuContext } from './context.ts';

export interface PassTiming<T> {
  result: T;
  /** Sum of the timed compute passes' durations on the GPU, in ms; null without 'timestamp-query'. */
  gpuMs: number | null;
  /** Compute passes the work began, timed or not: zero means the op never ran on this device. */
  passes: number;
  /** Compute passes left untimed: no 'timestamp-query', their own timestampWrites, or a full query set. */
  untimed: number;
}

/**
 * GPU time of everything a piece of work dispatches, from timestamp queries. Core's ops create their
 * own encoders and passes, so rather than thread a query set through every op, `time()` shadows the
 * device's createCommandEncoder for its duration and gives each compute pass a pair of query slots.
 * Without 'timestamp-query' (llvmpipe, most compatibility adapters) it still counts the passes, which
 * tells a benchmark whether an op ran on the GPU at all.
 * Only for benchmarks: while `time()` runs, no other work may use the device, or it is counted as well.
 */
export class GpuPassTimer {
  private readonly ctx: GpuContext;
  private readonly querySet: GPUQuerySet | null;
  private readonly resolveBuffer: GPUBuffer | null;
  private readonly capacity: number;
  private busy = false;

  /** Whether `time()` reports gpuMs: the device has 'timestamp-query'. */
  get timestamps(): boolean {
    return this.querySet !== null;
  }

  constructor(ctx: GpuContext, maxPasses = 2048) {
    this.ctx = ctx;
    if (!ctx.features.timestampQuery) {
      this.capacity = 0;
      this.querySet = null;
      this.resolveBuffer = null;
      return;
    }
    // Query sets hold at most 4096 queries.
    this.capacity = Math.min(4096, maxPasses * 2);
    this.querySet = ctx.device.createQuerySet({
      label: 'pass-timer',
      type: 'timestamp',
      count: this.capacity,
    });
    this.resolveBuffer = ctx.device.createBuffer({
      label: 'pass-timer:resolve',
      size: this.capacity * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
  }

  async time<T>(work: () => Promise<T>): Promise<PassTiming<T>> {
    if (this.busy) throw new Error('GpuPassTimer.time() is not re-entrant');
    this.busy = true;
    const device = this.ctx.device;
    let next = 0;
    let untimed = 0;
    let passes = 0;
    const { querySet, capacity } = this;
    const createEncoder = device.createCommandEncoder;
    const shadow = (descriptor?: GPUCommandEncoderDescriptor): GPUCommandEncoder => {
      const encoder = createEncoder.call(device, descriptor);
      const beginPass = encoder.beginComputePass;
      encoder.beginComputePass = (pass?: GPUComputePassDescriptor) => {
        passes++;
        if (!querySet || pass?.timestampWrites || next + 2 > capacity) {
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
    const gpuMs = querySet ? await this.resolve(querySet, next) : null;
    return { result, gpuMs, passes, untimed };
  }

  private async resolve(querySet: GPUQuerySet, count: number): Promise<number> {
    if (count === 0) return 0;
    const resolveBuffer = this.resolveBuffer!;
    const encoder = this.ctx.device.createCommandEncoder({ label: 'pass-timer:resolve' });
    encoder.resolveQuerySet(querySet, 0, count, resolveBuffer, 0);
    this.ctx.device.queue.submit([encoder.finish()]);
    const ticks = new BigInt64Array(await this.ctx.read(resolveBuffer, count * 8));
    let ns = 0n;
    for (let i = 0; i + 1 < count; i += 2) {
      const d = ticks[i + 1]! - ticks[i]!;
      // An implementation may report a pass it could not time as zero or as going backwards.
      if (d > 0n) ns += d;
    }
    return Number(ns) / 1e6;
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
  }
}
